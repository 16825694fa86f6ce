// Decoders from tokenizer.json's "decoder" field: they turn the token strings of ids back into
// text (ByteLevel, ByteFallback, Metaspace, Replace, Strip, Fuse, WordPiece, BPEDecoder, Sequence).
// Semantics follow Hugging Face `tokenizers` `Decoder::decode_chain`: each decoder maps the list
// of token strings to a new list, and the final text is their concatenation.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace r1::tok {

class Decoder {
 public:
  virtual ~Decoder() = default;
  /// Rewrites `tokens` in place (the list may shrink, e.g. to one string). Strings may hold raw
  /// bytes that are not valid UTF-8 until the end of the chain.
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
  /// True for a lone ByteLevel decoder: the text is then the lossy UTF-8 of the concatenated
  /// token bytes, which allows the fast paths in decode and the incremental detokenizer.
  virtual bool is_byte_level_only() const { return false; }
};

/// Builds the decoder described by `spec`; nullptr for JSON null. Throws Error(unsupported) naming
/// an unknown "type" and `json_path`, Error(invalid_file) for a malformed spec.
std::unique_ptr<Decoder> make_decoder(const nlohmann::json& spec, const std::string& json_path);

/// Maps a byte-level vocabulary string to its bytes: the GPT-2 alphabet decoded when every
/// character belongs to it, the string's own UTF-8 otherwise (like HF's ByteLevel decoder).
std::string byte_level_token_bytes(const std::string& token);

/// transformers' `clean_up_tokenization` (spaces before punctuation and contractions removed).
std::string clean_up_tokenization(std::string text);

/// Joins token strings like HF when a tokenizer has no decoder: separated by one space.
std::string join_with_spaces(const std::vector<std::string>& tokens);

}  // namespace r1::tok
