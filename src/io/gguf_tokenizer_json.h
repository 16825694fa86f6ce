// JSON helpers of the GGUF tokenizer conversion: writing strings into hand-built JSON text, and
// reading a tokenizer.json whose model.vocab and model.merges (~150k entries each) are captured
// while parsing instead of being built into the document tree (which would cost most of the time).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace r1::io::gguf_tok {

/// Appends `text` (valid UTF-8) as a JSON string literal: quotes, backslashes and control
/// characters escaped, everything else as is.
void append_json_string(std::string& out, std::string_view text);

/// A parsed tokenizer.json: the document without model.vocab / model.merges, and those two.
struct TokenizerDocument {
  nlohmann::json root;
  std::vector<std::pair<std::string, std::int64_t>> vocab;  // in file order
  std::vector<std::string> merges;  // "left right"; pair-form parts have spaces as U+0120
};

/// Parses tokenizer.json text. Error(invalid_file) naming `origin` and the entry when the text is
/// not JSON, not an object, or an entry of model.vocab / model.merges is malformed.
TokenizerDocument parse_tokenizer_document(std::string_view text, const std::string& origin);

}  // namespace r1::io::gguf_tok
