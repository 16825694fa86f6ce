// The tokenizer: Hugging Face tokenizer.json (+ tokenizer_config.json) loaded natively, with
// encode/decode results identical to Hugging Face `tokenizers` / `transformers`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace r1 {

using TokenId = std::int32_t;

/// What to do with added-token text (e.g. "<｜User｜>") written inside the input text.
enum class AddedTokenText {
  match,          // every added token written in the text becomes its id (HF default)
  split_special,  // special added tokens are encoded as plain text, non-special ones still match
                  // (HF `split_special_tokens=True`)
  split_all,      // no added token is matched: all text is plain text (safest for user content)
};

/// Whether the post-processor adds its special tokens (BOS for this model).
enum class SpecialTokens { add, skip };

struct EncodeOptions {
  SpecialTokens special_tokens = SpecialTokens::add;    // HF add_special_tokens
  AddedTokenText added_token_text = AddedTokenText::match;
};

enum class SkipSpecial { no, yes };

struct DecodeOptions {
  SkipSpecial skip_special = SkipSpecial::no;  // HF skip_special_tokens
};

struct AddedToken {
  TokenId id = 0;
  std::string content;
  bool special = false;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
};

class TokenizerImpl;

class Tokenizer {
 public:
  /// Loads tokenizer.json and, when present, tokenizer_config.json from a model folder.
  /// Errors (Error with code invalid_file / unsupported / not_found) name the file, the JSON path
  /// and the unsupported component type.
  static Tokenizer load(const std::filesystem::path& model_dir);

  /// Same, from file contents (tokenizer_config_json may be empty). `origin` names the source in
  /// error messages.
  static Tokenizer from_json(std::string_view tokenizer_json, std::string_view tokenizer_config_json,
                             std::string_view origin = "tokenizer.json");

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  /// Token ids for `text`, like HF `tokenizer(text).input_ids`. Throws Error(invalid_argument)
  /// with the byte offset when text is not valid UTF-8.
  std::vector<TokenId> encode(std::string_view text, const EncodeOptions& options = {}) const;

  /// Text for ids, like HF `tokenizer.decode(ids, skip_special_tokens=...)`. Throws
  /// Error(invalid_argument) for an id outside [0, vocab_size()).
  std::string decode(std::span<const TokenId> ids, const DecodeOptions& options = {}) const;

  /// Raw bytes the token stands for after decoding (may be a partial UTF-8 sequence).
  std::string token_bytes(TokenId id) const;

  /// The token's string as stored in the vocabulary (e.g. "Ġthe").
  const std::string& token_text(TokenId id) const;

  std::optional<TokenId> token_to_id(std::string_view token) const;

  /// Number of ids that exist: the largest id + 1 over the model vocabulary and added tokens.
  std::int32_t vocab_size() const;

  bool is_special(TokenId id) const;
  const std::vector<AddedToken>& added_tokens() const;

  /// Special tokens as tokenizer_config.json names them (bos_token, eos_token, ...).
  std::optional<TokenId> bos_id() const;
  std::optional<TokenId> eos_id() const;
  const std::string& bos_token() const;  // empty when none
  const std::string& eos_token() const;
  const std::string& pad_token() const;
  const std::string& unk_token() const;

  /// Chat templates from tokenizer_config.json: "default" is the plain `chat_template` string or
  /// the entry named "default" in the list form. Empty when absent.
  std::string chat_template(std::string_view name = "default") const;
  std::vector<std::string> chat_template_names() const;

  const TokenizerImpl& impl() const { return *impl_; }

 private:
  explicit Tokenizer(std::unique_ptr<TokenizerImpl> impl);
  std::unique_ptr<TokenizerImpl> impl_;
};

/// Turns a stream of ids into text one id at a time. Emits only complete UTF-8: a multi-byte
/// character split over tokens is held back until it completes; bytes that can no longer become
/// valid are emitted as U+FFFD. The concatenation of all push() results and finish() equals
/// Tokenizer::decode of the same ids with the same options.
class IncrementalDetokenizer {
 public:
  explicit IncrementalDetokenizer(const Tokenizer& tokenizer, const DecodeOptions& options = {});

  /// Text that became complete with this id (often empty).
  std::string push(TokenId id);

  /// Flushes held-back bytes (as U+FFFD if incomplete) at the end of the stream.
  std::string finish();

  void reset();

 private:
  std::string push_windowed(TokenId id);

  const Tokenizer* tokenizer_;
  DecodeOptions options_;
  std::string pending_bytes_;    // byte-level decoders: bytes not yet ending a whole character
  std::vector<TokenId> window_;  // other decoders: ids decoded together on the next push
  std::size_t emitted_ids_ = 0;  // window_[0, emitted_ids_) were emitted; their text is context_
  std::string context_;
};

}  // namespace r1
