// Patterns that Split, Replace and the pre-tokenizers search for: a regex (PCRE2 with JIT,
// Oniguruma-compatible where Hugging Face `tokenizers` relies on Oniguruma), a literal string, or
// one of the known split regexes with a hand-written linear-time matcher.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace r1::tok {

/// Byte range [start, end) of one match.
struct MatchSpan {
  std::size_t start;
  std::size_t end;
};

class TextPattern {
 public:
  virtual ~TextPattern() = default;
  /// Appends every match in `text` (valid UTF-8) in order, the way the onig crate's find_iter
  /// does: leftmost-first, non-overlapping, and an empty match right where the previous match
  /// ended is skipped. Throws Error(limit_exceeded) when a regex hits its match limit.
  virtual void find_all(std::string_view text, std::vector<MatchSpan>& matches) const = 0;
};

/// Compiles an Oniguruma-syntax regex (as tokenizer.json writes them) with PCRE2: UTF and UCP
/// mode, `\s`/`\S` as the White_Space property, `\w`/`\d`/`\h` as Oniguruma defines them, JIT when
/// available, match limits set. Throws Error(invalid_file) naming `json_path` when it does not
/// compile or uses a construct that cannot be translated.
std::unique_ptr<TextPattern> make_regex_pattern(std::string_view regex,
                                                const std::string& json_path);

/// A literal string pattern (tokenizer.json {"String": ...}).
std::unique_ptr<TextPattern> make_literal_pattern(std::string_view literal);

/// The pattern of a tokenizer.json {"String": s} or {"Regex": r} object; a Regex equal to a known
/// split regex gets the hand-written matcher. Error(invalid_file) naming `json_path` otherwise.
std::unique_ptr<TextPattern> make_text_pattern(const nlohmann::json& spec,
                                               const std::string& json_path);

/// The PCRE2 pattern text that `make_regex_pattern` compiles for an Oniguruma regex (exposed for
/// tests). Throws Error(invalid_file) for a construct it cannot translate.
std::string translate_oniguruma_regex(std::string_view regex, const std::string& json_path);

}  // namespace r1::tok
