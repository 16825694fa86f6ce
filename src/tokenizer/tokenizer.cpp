#include "r1/tokenizer.h"

#include "core/file.h"
#include "r1/error.h"
#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/tokenizer_json.h"

namespace r1 {

Tokenizer::Tokenizer(std::unique_ptr<TokenizerImpl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::load(const std::filesystem::path& model_dir) {
  const std::filesystem::path json_path = model_dir / "tokenizer.json";
  std::error_code error;
  if (!std::filesystem::is_regular_file(json_path, error)) {
    throw Error(ErrorCode::not_found,
                "no tokenizer.json in " + model_dir.string() +
                    ": point to a Hugging Face model folder that contains tokenizer.json");
  }
  const std::string json_text = read_text_file(json_path);
  const std::filesystem::path config_path = model_dir / "tokenizer_config.json";
  std::string config_text;
  if (std::filesystem::is_regular_file(config_path, error))
    config_text = read_text_file(config_path);

  tok::TokenizerFileSpec file = tok::parse_tokenizer_json(json_text, json_path.string());
  tok::TokenizerConfigSpec config = tok::parse_tokenizer_config(config_text, config_path.string());
  return Tokenizer(
      std::make_unique<TokenizerImpl>(std::move(file), std::move(config), json_path.string()));
}

Tokenizer Tokenizer::from_json(std::string_view tokenizer_json,
                               std::string_view tokenizer_config_json, std::string_view origin) {
  tok::TokenizerFileSpec file = tok::parse_tokenizer_json(tokenizer_json, origin);
  tok::TokenizerConfigSpec config = tok::parse_tokenizer_config(
      tokenizer_config_json, std::string(origin) + " (tokenizer_config)");
  return Tokenizer(
      std::make_unique<TokenizerImpl>(std::move(file), std::move(config), std::string(origin)));
}

std::vector<TokenId> Tokenizer::encode(std::string_view text, const EncodeOptions& options) const {
  return impl_->encode(text, options);
}

std::string Tokenizer::decode(std::span<const TokenId> ids, const DecodeOptions& options) const {
  return impl_->decode(ids, options);
}

std::string Tokenizer::token_bytes(TokenId id) const {
  return impl_->token_bytes(id);
}
const std::string& Tokenizer::token_text(TokenId id) const {
  return impl_->token_text(id);
}
std::optional<TokenId> Tokenizer::token_to_id(std::string_view token) const {
  return impl_->token_to_id(token);
}
std::int32_t Tokenizer::vocab_size() const {
  return impl_->vocab_size();
}
bool Tokenizer::is_special(TokenId id) const {
  return impl_->is_special(id);
}
const std::vector<AddedToken>& Tokenizer::added_tokens() const {
  return impl_->added_tokens();
}
std::optional<TokenId> Tokenizer::bos_id() const {
  return impl_->bos_id();
}
std::optional<TokenId> Tokenizer::eos_id() const {
  return impl_->eos_id();
}
const std::string& Tokenizer::bos_token() const {
  return impl_->bos_token();
}
const std::string& Tokenizer::eos_token() const {
  return impl_->eos_token();
}
const std::string& Tokenizer::pad_token() const {
  return impl_->pad_token();
}
const std::string& Tokenizer::unk_token() const {
  return impl_->unk_token();
}
std::string Tokenizer::chat_template(std::string_view name) const {
  return impl_->chat_template(name);
}
std::vector<std::string> Tokenizer::chat_template_names() const {
  return impl_->chat_template_names();
}

}  // namespace r1
