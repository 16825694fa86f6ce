// Parsing of tokenizer.json and tokenizer_config.json into specs the TokenizerImpl is built from.
// Every error names the file (`origin`), the JSON path and, for parse errors, the byte position.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "r1/tokenizer.h"
#include "tokenizer/decoder.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/post_processor.h"
#include "tokenizer/pre_tokenizer.h"

namespace r1::tok {

/// The "model" object of a BPE tokenizer, strings as written in the file.
struct BpeSpec {
  std::vector<std::pair<std::string, TokenId>> vocab;
  std::vector<std::pair<std::string, std::string>> merges;  // in rank order
  std::optional<std::string> unk_token;
  std::string continuing_subword_prefix;
  std::string end_of_word_suffix;
  bool fuse_unk = false;
  bool byte_fallback = false;
  bool ignore_merges = false;
};

struct TokenizerFileSpec {
  BpeSpec model;
  std::vector<AddedToken> added_tokens;
  std::unique_ptr<Normalizer> normalizer;
  std::unique_ptr<PreTokenizer> pre_tokenizer;
  std::unique_ptr<PostProcessor> post_processor;
  std::unique_ptr<Decoder> decoder;
};

/// The parts of tokenizer_config.json that change encoding or decoding (transformers semantics).
struct TokenizerConfigSpec {
  std::optional<AddedToken> bos_token;  // AddedToken when written as a dict, else content only
  std::optional<AddedToken> eos_token;
  std::optional<AddedToken> pad_token;
  std::optional<AddedToken> unk_token;
  std::optional<bool> add_bos_token;  // present in the file (transformers then rewrites the
  std::optional<bool> add_eos_token;  // post-processor)
  std::vector<std::pair<std::string, std::string>> chat_templates;  // name -> template
  std::vector<AddedToken> added_tokens_decoder;                     // in id order
  bool clean_up_tokenization_spaces = false;
  bool clean_up_even_for_bpe = false;  // clean_up_tokenization_spaces_for_bpe_even_though_...
  std::optional<std::int64_t> model_max_length;
};

/// Parses tokenizer.json. Throws Error(invalid_file) for malformed JSON or content,
/// Error(unsupported) for components this build does not implement.
TokenizerFileSpec parse_tokenizer_json(std::string_view text, std::string_view origin);

/// Parses tokenizer_config.json (empty text: all defaults).
TokenizerConfigSpec parse_tokenizer_config(std::string_view text, std::string_view origin);

}  // namespace r1::tok
