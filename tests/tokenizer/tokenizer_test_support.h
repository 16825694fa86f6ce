// Helpers shared by the tokenizer tests: cached tokenizers (loading one takes a while) and
// readable diffs of id sequences.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "r1/tokenizer.h"

namespace r1::test {

/// The tokenizer of a model folder, loaded once per test program.
const Tokenizer& cached_tokenizer(const std::filesystem::path& model_dir);

/// The DeepSeek-R1-Distill-Qwen tokenizer of assets/models.
const Tokenizer& deepseek_tokenizer();

/// "" when equal, else where the sequences first differ with the ids and token texts around it.
std::string describe_id_difference(const Tokenizer& tokenizer, std::span<const TokenId> expected,
                                   std::span<const TokenId> actual);

/// "" when equal, else the first differing byte offset with both texts around it (escaped).
std::string describe_text_difference(const std::string& expected, const std::string& actual);

/// Printable form of text: control characters and invalid bytes escaped.
std::string escape_text(const std::string& text);

}  // namespace r1::test
