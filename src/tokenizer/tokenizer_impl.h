// The whole Hugging Face tokenizer pipeline behind r1::Tokenizer: added tokens, normalizer,
// pre-tokenizer, BPE model, post-processor and decoder, plus the tokenizer_config.json rules
// transformers applies on top (special tokens, add_bos_token / add_eos_token, chat templates).
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "r1/tokenizer.h"
#include "tokenizer/added_vocabulary.h"
#include "tokenizer/bpe_model.h"
#include "tokenizer/decoder.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/post_processor.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/tokenizer_json.h"

namespace r1 {

class TokenizerImpl {
 public:
  /// Builds the tokenizer; `origin` names the source in error messages.
  TokenizerImpl(tok::TokenizerFileSpec file, tok::TokenizerConfigSpec config, std::string origin);

  std::vector<TokenId> encode(std::string_view text, const EncodeOptions& options) const;
  std::string decode(std::span<const TokenId> ids, const DecodeOptions& options) const;

  /// Throws Error(invalid_argument) naming the id and the valid range when out of range.
  void check_id(TokenId id) const;

  std::string token_bytes(TokenId id) const;
  const std::string& token_text(TokenId id) const;
  std::optional<TokenId> token_to_id(std::string_view token) const;
  std::int32_t vocab_size() const { return static_cast<std::int32_t>(id_to_text_.size()); }
  bool is_special(TokenId id) const;
  /// True when decode with skip_special_tokens drops this id (its text is a special token).
  bool skipped_when_skipping_special(TokenId id) const { return skip_special_[id]; }
  const std::vector<AddedToken>& added_tokens() const { return added_tokens_; }

  /// Byte-level decoding without clean-up: the text of ids is the lossy UTF-8 of the
  /// concatenation of token_bytes (the incremental detokenizer's fast path).
  bool decodes_by_bytes() const { return decodes_by_bytes_; }
  /// token_bytes for the fast path (valid only when decodes_by_bytes()).
  const std::string& cached_token_bytes(TokenId id) const { return id_to_bytes_[id]; }

  std::optional<TokenId> bos_id() const { return bos_id_; }
  std::optional<TokenId> eos_id() const { return eos_id_; }
  const std::string& bos_token() const { return bos_token_; }
  const std::string& eos_token() const { return eos_token_; }
  const std::string& pad_token() const { return pad_token_; }
  const std::string& unk_token() const { return unk_token_; }
  std::optional<std::int64_t> model_max_length() const { return model_max_length_; }

  std::string chat_template(std::string_view name) const;
  std::vector<std::string> chat_template_names() const;

 private:
  [[noreturn]] void fail(const std::string& path, const std::string& what) const;
  /// Fills the id <-> text tables; returns the merges resolved to ids (validated like HF).
  std::vector<tok::BpeMergeIds> build_vocabulary(const tok::BpeSpec& model);
  void build_model(const tok::BpeSpec& model, const std::vector<tok::BpeMergeIds>& merges);
  void apply_config_tokens(const tok::TokenizerConfigSpec& config);
  void add_token(AddedToken token, bool assign_id);
  void finish_added_tokens();
  void apply_config_post_processor(const tok::TokenizerConfigSpec& config);
  void encode_segment(std::string_view text, bool at_text_start, bool match_added,
                      bool skip_special, std::vector<TokenId>& ids) const;
  void encode_normalized(std::string_view text, bool at_text_start,
                         std::vector<TokenId>& ids) const;

  std::string origin_;
  bool byte_level_ = false;
  std::unique_ptr<tok::BpeModel> model_;
  tok::StringIdMap model_vocab_;         // file-form token text -> id (model vocabulary)
  std::size_t model_vocab_size_ = 0;     // number of entries in the model vocabulary
  std::vector<std::string> id_to_text_;  // "" for ids no token uses
  std::vector<bool> id_used_;
  std::vector<std::string> id_to_bytes_;  // filled when decodes_by_bytes_
  std::vector<bool> skip_special_;
  std::vector<bool> special_;

  std::vector<AddedToken> added_tokens_;       // sorted by id
  std::vector<AddedToken> added_order_;        // in the order they were added (matching order)
  std::vector<std::string> special_contents_;  // HF special_tokens_set, in order
  tok::StringIdMap added_ids_;                 // added token content -> id
  tok::AddedVocabulary added_vocabulary_;

  std::unique_ptr<tok::Normalizer> normalizer_;
  std::unique_ptr<tok::PreTokenizer> pre_tokenizer_;
  std::unique_ptr<tok::PostProcessor> post_processor_;
  std::unique_ptr<tok::Decoder> decoder_;
  bool decodes_by_bytes_ = false;
  bool clean_up_ = false;

  std::string bos_token_, eos_token_, pad_token_, unk_token_;
  std::optional<TokenId> bos_id_, eos_id_;
  std::optional<std::int64_t> model_max_length_;
  std::vector<std::pair<std::string, std::string>> chat_templates_;
};

}  // namespace r1
