// Reading a Hugging Face tokenizer.json without building its two big arrays into the document
// tree: model.vocab and model.merges (~150k entries each) are handed to callbacks entry by entry
// while nlohmann::json parses, which costs a fraction of building and walking them as a tree.
// Shared by the tokenizer loader and the GGUF tokenizer conversion, which validate the entries
// each their own way.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace r1 {

struct TokenizerJsonEntries {
  /// Each model.vocab entry: its key (the token) and value (should be an integer id).
  std::function<void(const std::string& token, const nlohmann::json& value)> vocab;
  /// Each model.merges entry as parsed: a "left right" string, a ["left", "right"] array, or
  /// anything else a malformed file holds.
  std::function<void(const nlohmann::json& entry)> merge;
};

/// Parses `text`; the returned document lacks model.vocab's and model.merges' entries (the
/// containers stay, empty). Throws nlohmann::json::parse_error for text that is not JSON.
nlohmann::json parse_tokenizer_json(std::string_view text, const TokenizerJsonEntries& entries);

}  // namespace r1
