#include "tokenizer/tokenizer_impl.h"

#include <algorithm>
#include <unordered_set>

#include "core/utf8.h"
#include "r1/error.h"
#include "tokenizer/byte_level.h"

namespace r1 {

TokenizerImpl::TokenizerImpl(tok::TokenizerFileSpec file, tok::TokenizerConfigSpec config,
                             std::string origin)
    : origin_(std::move(origin)),
      normalizer_(std::move(file.normalizer)),
      pre_tokenizer_(std::move(file.pre_tokenizer)),
      post_processor_(std::move(file.post_processor)),
      decoder_(std::move(file.decoder)) {
  byte_level_ = pre_tokenizer_ && pre_tokenizer_->is_byte_level();
  build_model(file.model, build_vocabulary(file.model));
  file.model = {};  // the vocabulary strings now live in the model and the maps

  for (const AddedToken& token : file.added_tokens) add_token(token, /*assign_id=*/false);
  apply_config_tokens(config);
  finish_added_tokens();
  apply_config_post_processor(config);

  // transformers ignores clean_up_tokenization_spaces for BPE models unless forced.
  clean_up_ = config.clean_up_tokenization_spaces && config.clean_up_even_for_bpe;
  decodes_by_bytes_ = decoder_ && decoder_->is_byte_level_only() && !clean_up_;
  if (decodes_by_bytes_) {
    id_to_bytes_.resize(id_to_text_.size());
    for (std::size_t id = 0; id < id_to_text_.size(); ++id) {
      if (id_used_[id]) id_to_bytes_[id] = tok::byte_level_token_bytes(id_to_text_[id]);
    }
  }
  model_max_length_ = config.model_max_length;
  chat_templates_ = std::move(config.chat_templates);
}

void TokenizerImpl::fail(const std::string& path, const std::string& what) const {
  throw Error(ErrorCode::invalid_file, origin_ + ": " + path + ": " + what);
}

std::vector<tok::BpeMergeIds> TokenizerImpl::build_vocabulary(const tok::BpeSpec& model) {
  TokenId max_id = -1;
  for (const auto& entry : model.vocab) max_id = std::max(max_id, entry.second);
  id_to_text_.assign(static_cast<std::size_t>(max_id + 1), std::string());
  id_used_.assign(id_to_text_.size(), false);
  model_vocab_.reserve(model.vocab.size());
  for (const auto& [text, id] : model.vocab) {
    if (id_used_[id]) {
      fail("model.vocab", "tokens \"" + id_to_text_[id] + "\" and \"" + text + "\" both have id " +
                              std::to_string(id) + "; every token needs its own id");
    }
    id_used_[id] = true;
    id_to_text_[id] = text;
    model_vocab_.emplace(text, id);
  }
  model_vocab_size_ = model.vocab.size();

  // HF refuses merges whose parts or result are not tokens (MergeTokenOutOfVocabulary). The ids
  // are resolved here, on the file's strings, exactly as HF does.
  std::vector<tok::BpeMergeIds> merges;
  merges.reserve(model.merges.size());
  const std::size_t prefix_length = model.continuing_subword_prefix.size();
  std::string merged;
  for (std::size_t i = 0; i < model.merges.size(); ++i) {
    // Plain references, not a structured binding: clang before 16 cannot capture those.
    const std::string& left = model.merges[i].first;
    const std::string& right = model.merges[i].second;
    auto id_of = [&](const std::string& part, const char* role) {
      auto it = model_vocab_.find(part);
      if (it == model_vocab_.end()) {
        fail("model.merges[" + std::to_string(i) + "]", "merge \"" + left + " " + right + "\" " +
                                                            role + " \"" + part +
                                                            "\", which is not in model.vocab");
      }
      return it->second;
    };
    const TokenId left_id = id_of(left, "uses");
    const TokenId right_id = id_of(right, "uses");
    merged.assign(left);
    merged.append(right, std::min(prefix_length, right.size()));
    merges.push_back({left_id, right_id, id_of(merged, "produces")});
  }
  return merges;
}

void TokenizerImpl::build_model(const tok::BpeSpec& model,
                                const std::vector<tok::BpeMergeIds>& merges) {
  // Symbol space: raw bytes for byte-level models (see pre_tokenizer.h), the file's text otherwise.
  auto to_symbols = [&](const std::string& text) -> std::optional<std::string> {
    if (!byte_level_) return text;
    return tok::byte_level_decode(text);
  };
  std::vector<std::pair<std::string, TokenId>> vocab;
  vocab.reserve(model.vocab.size());
  for (const auto& [text, id] : model.vocab) {
    // A byte-level token outside the alphabet can never be produced from bytes; it is still
    // decodable through its text.
    if (auto symbols = to_symbols(text)) vocab.emplace_back(*std::move(symbols), id);
  }
  tok::BpeOptions options;
  if (model.unk_token) options.unk_token = to_symbols(*model.unk_token).value_or(*model.unk_token);
  options.continuing_subword_prefix =
      to_symbols(model.continuing_subword_prefix).value_or(model.continuing_subword_prefix);
  options.end_of_word_suffix =
      to_symbols(model.end_of_word_suffix).value_or(model.end_of_word_suffix);
  options.fuse_unk = model.fuse_unk;
  options.byte_fallback = model.byte_fallback;
  options.ignore_merges = model.ignore_merges;
  options.byte_level = byte_level_;
  model_ = std::make_unique<tok::BpeModel>(vocab, merges, std::move(options));
}

// HF AddedVocabulary::add_tokens: a token already added with the same flags is ignored, one with
// other flags takes the new flags; a new token takes the id of an existing token with its text,
// else the next free id.
void TokenizerImpl::add_token(AddedToken token, bool assign_id) {
  if (token.content.empty()) return;
  if (token.special && std::find(special_contents_.begin(), special_contents_.end(),
                                 token.content) == special_contents_.end()) {
    special_contents_.push_back(token.content);
  }
  for (AddedToken& existing : added_order_) {
    if (existing.content != token.content) continue;
    existing.single_word = token.single_word;
    existing.lstrip = token.lstrip;
    existing.rstrip = token.rstrip;
    existing.normalized = token.normalized;
    existing.special = existing.special || token.special;
    return;
  }
  if (assign_id) {
    if (auto id = token_to_id(token.content)) {
      token.id = *id;
    } else {
      TokenId max_added = -1;
      for (const AddedToken& added : added_order_) max_added = std::max(max_added, added.id);
      const auto model_size = static_cast<TokenId>(model_vocab_size_);
      token.id = (max_added >= model_size || model_size == 0) ? max_added + 1 : model_size;
    }
  }
  if (static_cast<std::size_t>(token.id) >= id_to_text_.size()) {
    id_to_text_.resize(static_cast<std::size_t>(token.id) + 1);
    id_used_.resize(id_to_text_.size(), false);
  }
  added_ids_.insert_or_assign(token.content, token.id);
  added_order_.push_back(std::move(token));
}

// transformers (TokenizersBackend.__init__): tokens of added_tokens_decoder that the backend does
// not have with the same flags are added, then named special tokens that are not added tokens.
void TokenizerImpl::apply_config_tokens(const tok::TokenizerConfigSpec& config) {
  for (const AddedToken& token : config.added_tokens_decoder) {
    const bool same =
        std::any_of(added_order_.begin(), added_order_.end(), [&](const AddedToken& a) {
          return a.content == token.content && a.special == token.special &&
                 a.single_word == token.single_word && a.lstrip == token.lstrip &&
                 a.rstrip == token.rstrip && a.normalized == token.normalized;
        });
    if (!same) add_token(token, /*assign_id=*/true);
  }
  for (const auto* named :
       {&config.bos_token, &config.eos_token, &config.unk_token, &config.pad_token}) {
    if (!*named) continue;
    if (added_ids_.contains((*named)->content)) continue;
    AddedToken token = **named;
    token.special = true;
    token.normalized = false;
    add_token(std::move(token), /*assign_id=*/true);
  }
  if (config.bos_token) bos_token_ = config.bos_token->content;
  if (config.eos_token) eos_token_ = config.eos_token->content;
  if (config.pad_token) pad_token_ = config.pad_token->content;
  if (config.unk_token) unk_token_ = config.unk_token->content;
  if (!bos_token_.empty()) bos_id_ = token_to_id(bos_token_);
  if (!eos_token_.empty()) eos_id_ = token_to_id(eos_token_);
}

void TokenizerImpl::finish_added_tokens() {
  // HF (0.23) keeps a normalized token's text in its normalized form: decode and id_to_token
  // show it that way, while token_to_id still takes the content as written.
  for (const AddedToken& token : added_order_) {
    id_to_text_[token.id] =
        token.normalized && normalizer_ ? normalizer_->normalize(token.content) : token.content;
    id_used_[token.id] = true;
  }
  special_.assign(id_to_text_.size(), false);
  skip_special_.assign(id_to_text_.size(), false);
  for (const AddedToken& token : added_order_) special_[token.id] = token.special;
  // HF skips, when asked, every id whose token text is in the special set (by text, so a model
  // token spelled like a special token is skipped too).
  const std::unordered_set<std::string> special_set(special_contents_.begin(),
                                                    special_contents_.end());
  for (const AddedToken& token : added_order_) {
    if (special_set.contains(id_to_text_[token.id])) skip_special_[token.id] = true;
  }
  for (const std::string& content : special_contents_) {
    if (auto it = model_vocab_.find(content); it != model_vocab_.end()) {
      if (id_to_text_[it->second] == content) skip_special_[it->second] = true;
    }
  }
  added_tokens_ = added_order_;
  std::sort(added_tokens_.begin(), added_tokens_.end(),
            [](const AddedToken& a, const AddedToken& b) { return a.id < b.id; });
  // Matching order: special tokens first, then the others (HF special_tokens ++ added_tokens).
  std::vector<AddedToken> matching;
  for (const AddedToken& token : added_order_) {
    if (token.special) matching.push_back(token);
  }
  for (const AddedToken& token : added_order_) {
    if (!token.special) matching.push_back(token);
  }
  added_vocabulary_ = tok::AddedVocabulary(matching, normalizer_.get());
}

// transformers rewrites the post-processor from bos/eos when tokenizer_config.json sets
// add_bos_token or add_eos_token (or when tokenizer.json has none).
void TokenizerImpl::apply_config_post_processor(const tok::TokenizerConfigSpec& config) {
  const bool explicit_flags = config.add_bos_token.has_value() || config.add_eos_token.has_value();
  if (!explicit_flags) return;  // a null post-processor and the rebuilt "$A" template agree
  std::vector<TokenId> before;
  std::vector<TokenId> after;
  if (config.add_bos_token.value_or(false) && !bos_token_.empty()) {
    if (!bos_id_) fail("tokenizer_config.json bos_token", "\"" + bos_token_ + "\" is not a token");
    before.push_back(*bos_id_);
  }
  if (config.add_eos_token.value_or(false) && !eos_token_.empty()) {
    if (!eos_id_) fail("tokenizer_config.json eos_token", "\"" + eos_token_ + "\" is not a token");
    after.push_back(*eos_id_);
  }
  post_processor_ = tok::make_surrounding_processor(std::move(before), std::move(after));
}

void TokenizerImpl::check_id(TokenId id) const {
  if (id < 0 || id >= vocab_size()) {
    throw Error(ErrorCode::invalid_argument, "token id " + std::to_string(id) +
                                                 " is out of range: valid ids are 0 to " +
                                                 std::to_string(vocab_size() - 1));
  }
}

std::vector<TokenId> TokenizerImpl::encode(std::string_view text,
                                           const EncodeOptions& options) const {
  utf8::require_valid(text, "text to encode");
  std::vector<TokenId> ids;
  ids.reserve(text.size() / 3 + 4);
  const bool match_added = options.added_token_text != AddedTokenText::split_all;
  const bool skip_special = options.added_token_text == AddedTokenText::split_special;
  if (match_added && added_vocabulary_.has_tokens(tok::AddedVocabulary::Stage::raw)) {
    std::vector<tok::TextSegment> segments;
    added_vocabulary_.split(text, tok::AddedVocabulary::Stage::raw, skip_special, segments);
    for (const tok::TextSegment& segment : segments) {
      if (segment.token) {
        ids.push_back(*segment.token);
      } else {
        encode_segment(text.substr(segment.begin, segment.end - segment.begin), segment.begin == 0,
                       match_added, skip_special, ids);
      }
    }
  } else {
    encode_segment(text, /*at_text_start=*/true, match_added, skip_special, ids);
  }
  if (options.special_tokens == SpecialTokens::add && post_processor_) {
    post_processor_->process_single(ids);
  }
  return ids;
}

// One stretch of raw text between non-normalized added tokens: normalize, split at normalized
// added tokens, then pre-tokenize and run the model.
void TokenizerImpl::encode_segment(std::string_view text, bool at_text_start, bool match_added,
                                   bool skip_special, std::vector<TokenId>& ids) const {
  std::string normalized_storage;
  std::string_view normalized = text;
  if (normalizer_) {
    normalized_storage = normalizer_->normalize(text);
    normalized = normalized_storage;
  }
  if (match_added && added_vocabulary_.has_tokens(tok::AddedVocabulary::Stage::normalized)) {
    std::vector<tok::TextSegment> segments;
    added_vocabulary_.split(normalized, tok::AddedVocabulary::Stage::normalized, skip_special,
                            segments);
    for (const tok::TextSegment& segment : segments) {
      if (segment.token) {
        ids.push_back(*segment.token);
      } else {
        encode_normalized(normalized.substr(segment.begin, segment.end - segment.begin),
                          at_text_start && segment.begin == 0, ids);
      }
    }
    return;
  }
  encode_normalized(normalized, at_text_start, ids);
}

// `at_text_start`: the stretch begins at offset 0 of the input (HF's offsets_original().0 == 0),
// which Metaspace's prepend_scheme "first" depends on.
void TokenizerImpl::encode_normalized(std::string_view text, bool at_text_start,
                                      std::vector<TokenId>& ids) const {
  if (text.empty()) return;
  if (!pre_tokenizer_) {
    model_->encode_piece(text, ids);
    return;
  }
  std::vector<std::string> pieces;
  pieces.emplace_back(text);
  if (at_text_start) {
    pre_tokenizer_->split(pieces);
  } else {
    pre_tokenizer_->split_after_added_token(pieces);
  }
  for (const std::string& piece : pieces) model_->encode_piece(piece, ids);
}

std::string TokenizerImpl::decode(std::span<const TokenId> ids,
                                  const DecodeOptions& options) const {
  for (TokenId id : ids) check_id(id);
  const bool skip = options.skip_special == SkipSpecial::yes;
  if (decodes_by_bytes_) {
    std::string bytes;
    for (TokenId id : ids) {
      if (skip && skip_special_[id]) continue;
      bytes += id_to_bytes_[id];
    }
    return utf8::to_valid_lossy(bytes);
  }
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (TokenId id : ids) {
    if (!id_used_[id] || (skip && skip_special_[id])) continue;
    tokens.push_back(id_to_text_[id]);
  }
  std::string text;
  if (decoder_) {
    decoder_->decode_chain(tokens);
    for (const std::string& token : tokens) text += token;
  } else {
    text = tok::join_with_spaces(tokens);
  }
  if (utf8::find_invalid(text)) text = utf8::to_valid_lossy(text);
  if (clean_up_) text = tok::clean_up_tokenization(std::move(text));
  return text;
}

std::string TokenizerImpl::token_bytes(TokenId id) const {
  check_id(id);
  if (decodes_by_bytes_) return id_to_bytes_[id];
  const std::string& text = id_to_text_[id];
  if (byte_level_) return tok::byte_level_token_bytes(text);
  if (model_->options().byte_fallback && text.size() == 6 && text.starts_with("<0x") &&
      text[5] == '>') {
    const std::string hex = text.substr(3, 2);
    if (hex.find_first_not_of("0123456789ABCDEFabcdef") == std::string::npos) {
      return std::string(1, static_cast<char>(std::stoi(hex, nullptr, 16)));
    }
  }
  if (!decoder_) return text;
  // Decoded behind another token, so that first-token rules (Metaspace's prefix, Strip after
  // Fuse, WordPiece's word start) do not apply: the bytes the token adds mid-stream.
  auto run_chain = [&](std::vector<std::string> tokens) {
    decoder_->decode_chain(tokens);
    std::string joined;
    for (const std::string& token : tokens) joined += token;
    return joined;
  };
  const std::string context = run_chain({"x"});
  std::string joined = run_chain({"x", text});
  if (joined.starts_with(context)) return joined.substr(context.size());
  return run_chain({text});
}

const std::string& TokenizerImpl::token_text(TokenId id) const {
  check_id(id);
  return id_to_text_[id];
}

std::optional<TokenId> TokenizerImpl::token_to_id(std::string_view token) const {
  if (auto it = added_ids_.find(token); it != added_ids_.end()) return it->second;
  if (auto it = model_vocab_.find(token); it != model_vocab_.end()) return it->second;
  return std::nullopt;
}

bool TokenizerImpl::is_special(TokenId id) const {
  check_id(id);
  return special_[id];
}

std::string TokenizerImpl::chat_template(std::string_view name) const {
  for (const auto& [template_name, text] : chat_templates_) {
    if (template_name == name) return text;
  }
  return {};
}

std::vector<std::string> TokenizerImpl::chat_template_names() const {
  std::vector<std::string> names;
  for (const auto& entry : chat_templates_) names.push_back(entry.first);
  return names;
}

}  // namespace r1
