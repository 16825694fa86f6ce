// Hand-written, linear-time equivalents of the split regexes of the common byte-level BPE
// tokenizers. Each gives exactly the leftmost-first matches of its regex (Oniguruma semantics, as
// Hugging Face `tokenizers` uses) in O(n) time and O(1) stack, where a backtracking engine can
// take quadratic time or overflow its stack on long runs of one character class.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace r1::tok {

enum class KnownPattern {
  qwen2,   // Qwen2 / DeepSeek-R1-Distill-Qwen: one digit per piece
  llama3,  // Llama-3: up to three digits per piece
  gpt2,    // GPT-2, the ByteLevel pre-tokenizer's use_regex pattern
};

/// The regex source text of a known pattern, exactly as tokenizer.json writes it.
std::string_view known_pattern_regex(KnownPattern pattern);

/// The known pattern whose source text is exactly `regex`, if any.
std::optional<KnownPattern> find_known_pattern(std::string_view regex);

/// End offset of the pattern's match that starts at `pos` (0 <= pos < text.size()). These
/// patterns match at every position, so their matches tile the text. `text` is valid UTF-8.
std::size_t known_pattern_match_end(KnownPattern pattern, std::string_view text, std::size_t pos);

/// Appends the end offset of each successive match of the pattern in `text` to `ends` (the first
/// match starts at 0, each next one where the previous ended; the last end is text.size()).
void split_known_pattern(KnownPattern pattern, std::string_view text,
                         std::vector<std::size_t>& ends);

}  // namespace r1::tok
