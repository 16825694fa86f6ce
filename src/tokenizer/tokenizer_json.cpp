#include "tokenizer/tokenizer_json.h"

#include <algorithm>
#include <limits>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "core/tokenizer_json_stream.h"
#include "r1/error.h"
#include "tokenizer/spec_fields.h"

namespace r1::tok {
namespace {

using nlohmann::json;

json parse_json(std::string_view text, std::string_view origin) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    throw Error(ErrorCode::invalid_file, std::string(origin) + ": not valid JSON (error at byte " +
                                             std::to_string(e.byte) + "): " + e.what() +
                                             "; re-download the file");
  }
}

// model.vocab and model.merges of tokenizer.json, read while parsing so that the document tree
// never holds their ~150k entries each (that tree costs more time than everything else).
struct ModelCapture {
  std::vector<std::pair<std::string, TokenId>> vocab;
  std::vector<std::pair<std::string, std::string>> merges;
  std::string error_path;  // first malformed entry, reported after parsing
  std::string error;
};

void capture_error(ModelCapture& capture, std::string path, std::string what) {
  if (capture.error_path.empty()) {
    capture.error_path = std::move(path);
    capture.error = std::move(what);
  }
}

json parse_tokenizer_document(std::string_view text, std::string_view origin,
                              ModelCapture& capture) {
  TokenizerJsonEntries entries;
  entries.vocab = [&](const std::string& token, const json& value) {
    const std::string path = "model.vocab[\"" + token + "\"]";
    if (!value.is_number_integer()) {
      capture_error(capture, path, "expected an integer id, found " + std::string(value.type_name()));
    } else if (value.get<std::int64_t>() < 0 ||
               value.get<std::int64_t>() > std::numeric_limits<TokenId>::max()) {
      capture_error(capture, path,
                    "id " + std::to_string(value.get<std::int64_t>()) + " is out of range [0, 2^31)");
    } else {
      capture.vocab.emplace_back(token, static_cast<TokenId>(value.get<std::int64_t>()));
    }
  };
  // "left right" strings or ["left", "right"] pairs.
  entries.merge = [&](const json& entry) {
    const std::string path = "model.merges[" + std::to_string(capture.merges.size()) + "]";
    if (entry.is_string()) {
      const std::string& merge = entry.get_ref<const std::string&>();
      const std::size_t space = merge.find(' ');
      if (space == std::string::npos || merge.find(' ', space + 1) != std::string::npos) {
        capture_error(capture, path, "expected \"left right\" with one space, found \"" + merge + "\"");
      }
      capture.merges.emplace_back(merge.substr(0, space), space == std::string::npos
                                                              ? std::string()
                                                              : merge.substr(space + 1));
    } else if (entry.is_array() && entry.size() == 2 && entry[0].is_string() &&
               entry[1].is_string()) {
      capture.merges.emplace_back(entry[0].get<std::string>(), entry[1].get<std::string>());
    } else {
      capture_error(capture, path, "expected \"left right\" or [\"left\", \"right\"]");
      capture.merges.emplace_back();
    }
  };
  try {
    return parse_tokenizer_json(text, entries);
  } catch (const json::parse_error& e) {
    throw Error(ErrorCode::invalid_file, std::string(origin) + ": not valid JSON (error at byte " +
                                             std::to_string(e.byte) + "): " + e.what() +
                                             "; re-download the file");
  }
}

// Prefixes errors raised while reading a file's content with the file name.
template <typename Function>
auto with_origin(std::string_view origin, Function&& function) {
  try {
    return function();
  } catch (const Error& e) {
    throw Error(e.code(), std::string(origin) + ": " + e.what());
  } catch (const json::exception& e) {
    throw Error(ErrorCode::invalid_file, std::string(origin) + ": " + e.what());
  }
}

TokenId to_token_id(const json& value, const std::string& path) {
  if (!value.is_number_integer()) {
    fields::fail(path, "expected an integer id, found " + std::string(value.type_name()));
  }
  const std::int64_t id = value.get<std::int64_t>();
  if (id < 0 || id > std::numeric_limits<TokenId>::max()) {
    fields::fail(path, "id " + std::to_string(id) + " is out of range [0, 2^31)");
  }
  return static_cast<TokenId>(id);
}

BpeSpec parse_model(const json& model, ModelCapture& capture) {
  const std::string path = "model";
  if (!model.is_object()) fields::fail(path, "expected an object");
  std::string type = fields::string_or(model, "type", path, "");
  if (type.empty()) {
    // Files written by old versions of tokenizers have no "type"; HF then tries the models in
    // turn, and a "merges" list means BPE.
    if (!model.contains("merges"))
      fields::fail(fields::member_path(path, "type"), "missing model type");
    type = "BPE";
  }
  if (type != "BPE") fields::unsupported_type(path, type, "BPE");

  if (auto it = model.find("dropout"); it != model.end() && !it->is_null()) {
    if (!it->is_number() || it->get<double>() != 0.0) {
      throw Error(ErrorCode::unsupported,
                  "model.dropout " + it->dump() + " is not supported (only null or 0)");
    }
  }

  BpeSpec spec;
  if (!capture.error_path.empty()) fields::fail(capture.error_path, capture.error);
  if (!fields::require(model, "vocab", path).is_object()) {
    fields::fail("model.vocab", "expected an object of token -> id");
  }
  if (!fields::require(model, "merges", path).is_array())
    fields::fail("model.merges", "expected an array");
  spec.vocab = std::move(capture.vocab);
  spec.merges = std::move(capture.merges);

  if (auto it = model.find("unk_token"); it != model.end() && !it->is_null()) {
    spec.unk_token = fields::require_string(model, "unk_token", path);
  }
  spec.continuing_subword_prefix = fields::string_or(model, "continuing_subword_prefix", path, "");
  spec.end_of_word_suffix = fields::string_or(model, "end_of_word_suffix", path, "");
  spec.fuse_unk = fields::bool_or(model, "fuse_unk", path, false);
  spec.byte_fallback = fields::bool_or(model, "byte_fallback", path, false);
  spec.ignore_merges = fields::bool_or(model, "ignore_merges", path, false);
  return spec;
}

// Flags of an AddedToken object; `defaults` gives the values of missing fields.
AddedToken parse_added_token(const json& object, const std::string& path,
                             const AddedToken& defaults) {
  AddedToken token = defaults;
  token.content = fields::require_string(object, "content", path);
  token.single_word = fields::bool_or(object, "single_word", path, defaults.single_word);
  token.lstrip = fields::bool_or(object, "lstrip", path, defaults.lstrip);
  token.rstrip = fields::bool_or(object, "rstrip", path, defaults.rstrip);
  token.special = fields::bool_or(object, "special", path, defaults.special);
  token.normalized = fields::bool_or(object, "normalized", path, defaults.normalized);
  return token;
}

std::vector<AddedToken> parse_added_tokens(const json& root) {
  std::vector<AddedToken> tokens;
  auto it = root.find("added_tokens");
  if (it == root.end() || it->is_null()) return tokens;
  if (!it->is_array()) fields::fail("added_tokens", "expected an array");
  AddedToken defaults;
  defaults.normalized = true;  // HF AddedToken::default()
  for (std::size_t i = 0; i < it->size(); ++i) {
    const std::string path = fields::index_path("added_tokens", i);
    AddedToken token = parse_added_token((*it)[i], path, defaults);
    token.id = to_token_id(fields::require((*it)[i], "id", path), fields::member_path(path, "id"));
    tokens.push_back(std::move(token));
  }
  return tokens;
}

const json& member_or_null(const json& root, const char* key) {
  static const json kNull;
  auto it = root.find(key);
  return it == root.end() ? kNull : *it;
}

// A special token of tokenizer_config.json: a string or an AddedToken dict.
std::optional<AddedToken> parse_named_token(const json& root, const char* key) {
  const json& value = member_or_null(root, key);
  if (value.is_null()) return std::nullopt;
  AddedToken defaults;
  defaults.special = true;
  if (value.is_string()) {
    defaults.content = value.get<std::string>();
    return defaults;
  }
  if (value.is_object()) return parse_added_token(value, key, defaults);
  fields::fail(key, "expected a string or an AddedToken object");
}

std::optional<bool> parse_optional_flag(const json& root, const char* key) {
  auto it = root.find(key);
  if (it == root.end()) return std::nullopt;
  if (it->is_null()) return false;  // present but null: transformers treats it as false
  if (!it->is_boolean()) fields::fail(key, "expected true or false");
  return it->get<bool>();
}

std::vector<std::pair<std::string, std::string>> parse_chat_templates(const json& root) {
  std::vector<std::pair<std::string, std::string>> templates;
  const json& value = member_or_null(root, "chat_template");
  if (value.is_null()) return templates;
  if (value.is_string()) {
    templates.emplace_back("default", value.get<std::string>());
    return templates;
  }
  if (!value.is_array())
    fields::fail("chat_template", "expected a string or a list of {name, template}");
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string path = fields::index_path("chat_template", i);
    templates.emplace_back(fields::require_string(value[i], "name", path),
                           fields::require_string(value[i], "template", path));
  }
  return templates;
}

std::vector<AddedToken> parse_added_tokens_decoder(const json& root) {
  std::vector<AddedToken> tokens;
  const json& value = member_or_null(root, "added_tokens_decoder");
  if (value.is_null()) return tokens;
  if (!value.is_object()) fields::fail("added_tokens_decoder", "expected an object of id -> token");
  AddedToken defaults;  // transformers' AddedToken: normalized defaults to !special
  for (const auto& [key, entry] : value.items()) {
    const std::string path = "added_tokens_decoder[\"" + key + "\"]";
    AddedToken token = parse_added_token(entry, path, defaults);
    if (!entry.contains("normalized") || entry["normalized"].is_null())
      token.normalized = !token.special;
    std::size_t used = 0;
    long long id = -1;
    try {
      id = std::stoll(key, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != key.size() || id < 0 || id > std::numeric_limits<TokenId>::max()) {
      fields::fail(path, "the key must be a token id");
    }
    token.id = static_cast<TokenId>(id);
    tokens.push_back(std::move(token));
  }
  std::sort(tokens.begin(), tokens.end(),
            [](const AddedToken& a, const AddedToken& b) { return a.id < b.id; });
  return tokens;
}

}  // namespace

TokenizerFileSpec parse_tokenizer_json(std::string_view text, std::string_view origin) {
  ModelCapture capture;
  const json root = parse_tokenizer_document(text, origin, capture);
  return with_origin(origin, [&] {
    if (!root.is_object()) fields::fail("(root)", "expected a JSON object");
    TokenizerFileSpec spec;
    auto model = root.find("model");
    if (model == root.end() || model->is_null()) fields::fail("model", "missing required field");
    spec.model = parse_model(*model, capture);
    spec.added_tokens = parse_added_tokens(root);
    spec.normalizer = make_normalizer(member_or_null(root, "normalizer"), "normalizer");
    spec.pre_tokenizer = make_pre_tokenizer(member_or_null(root, "pre_tokenizer"), "pre_tokenizer");
    spec.post_processor =
        make_post_processor(member_or_null(root, "post_processor"), "post_processor");
    spec.decoder = make_decoder(member_or_null(root, "decoder"), "decoder");
    return spec;
  });
}

TokenizerConfigSpec parse_tokenizer_config(std::string_view text, std::string_view origin) {
  TokenizerConfigSpec config;
  if (text.empty()) return config;
  const json root = parse_json(text, origin);
  return with_origin(origin, [&] {
    if (!root.is_object()) fields::fail("(root)", "expected a JSON object");
    config.bos_token = parse_named_token(root, "bos_token");
    config.eos_token = parse_named_token(root, "eos_token");
    config.pad_token = parse_named_token(root, "pad_token");
    config.unk_token = parse_named_token(root, "unk_token");
    config.add_bos_token = parse_optional_flag(root, "add_bos_token");
    config.add_eos_token = parse_optional_flag(root, "add_eos_token");
    config.chat_templates = parse_chat_templates(root);
    config.added_tokens_decoder = parse_added_tokens_decoder(root);
    config.clean_up_tokenization_spaces =
        fields::bool_or(root, "clean_up_tokenization_spaces", "", false);
    config.clean_up_even_for_bpe = fields::bool_or(
        root, "clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output", "", false);
    const json& max_length = member_or_null(root, "model_max_length");
    if (max_length.is_number_integer()) config.model_max_length = max_length.get<std::int64_t>();
    return config;
  });
}

}  // namespace r1::tok
