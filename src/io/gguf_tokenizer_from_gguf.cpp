// GGUF tokenizer keys -> tokenizer.json + tokenizer_config.json (see gguf_tokenizer.h).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/utf8.h"
#include "io/gguf_tokenizer.h"
#include "io/gguf_tokenizer_json.h"
#include "io/gguf_tokenizer_pre.h"
#include "r1/error.h"

namespace r1::io {
namespace {

using gguf_tok::append_json_string;
using nlohmann::json;

constexpr std::int64_t kTypeControl = 3;
constexpr std::int64_t kTypeUserDefined = 4;

[[noreturn]] void invalid(const std::string& origin, const std::string& what) {
  throw Error(ErrorCode::invalid_file,
              origin + ": " + what + "; the file's tokenizer is inconsistent, re-convert it");
}

// A special token id key, checked against the vocabulary.
std::optional<std::int64_t> special_id(const GgufMetadata& metadata, std::string_view key,
                                       std::size_t n_tokens, const std::string& origin) {
  if (!metadata.contains(key)) return std::nullopt;
  const std::int64_t id = metadata.get_int(key);
  if (id < 0 || static_cast<std::uint64_t>(id) >= n_tokens) {
    invalid(origin, std::string(key) + " is " + std::to_string(id) +
                        ", outside the vocabulary of " + std::to_string(n_tokens) + " tokens");
  }
  return id;
}

std::optional<bool> optional_bool(const GgufMetadata& metadata, std::string_view key) {
  if (!metadata.contains(key)) return std::nullopt;
  return metadata.get_bool(key);
}

json template_processing(const std::vector<std::string_view>& tokens,
                         std::optional<std::int64_t> bos, std::optional<std::int64_t> eos) {
  auto special = [&](std::int64_t id, int type_id) {
    return json{{"SpecialToken", {{"id", std::string(tokens[id])}, {"type_id", type_id}}}};
  };
  auto sequence = [](const char* id, int type_id) {
    return json{{"Sequence", {{"id", id}, {"type_id", type_id}}}};
  };
  json single = json::array();
  json pair = json::array();
  json special_tokens = json::object();
  for (int part = 0; part < 2; ++part) {
    json& out = part == 0 ? single : pair;
    for (int seq = 0; seq <= part; ++seq) {
      if (bos) out.push_back(special(*bos, seq));
      out.push_back(sequence(seq == 0 ? "A" : "B", seq));
      if (eos) out.push_back(special(*eos, seq));
    }
  }
  for (std::optional<std::int64_t> id : {bos, eos}) {
    if (!id) continue;
    const std::string text(tokens[*id]);
    special_tokens[text] = {{"id", text}, {"ids", {*id}}, {"tokens", {text}}};
  }
  return {{"type", "TemplateProcessing"},
          {"single", single},
          {"pair", pair},
          {"special_tokens", special_tokens}};
}

json chat_templates(const GgufMetadata& metadata) {
  const bool has_default = metadata.contains("tokenizer.chat_template");
  if (!metadata.contains("tokenizer.chat_templates")) {
    if (!has_default) return nullptr;
    return std::string(metadata.get_string("tokenizer.chat_template"));
  }
  json list = json::array();
  if (has_default) {
    list.push_back({{"name", "default"},
                    {"template", std::string(metadata.get_string("tokenizer.chat_template"))}});
  }
  for (std::string_view name : metadata.get_string_array("tokenizer.chat_templates")) {
    const std::string key = "tokenizer.chat_template." + std::string(name);
    list.push_back(
        {{"name", std::string(name)}, {"template", std::string(metadata.get_string(key))}});
  }
  return list;
}

}  // namespace

HfTokenizerFiles tokenizer_files_from_gguf(const GgufMetadata& metadata,
                                           const std::string& origin) {
  if (!metadata.contains("tokenizer.ggml.model")) {
    throw Error(ErrorCode::not_found,
                origin +
                    ": no tokenizer.ggml.model key, so the file carries no tokenizer; put the "
                    "model's tokenizer.json and tokenizer_config.json beside it");
  }
  const std::string_view model = metadata.get_string("tokenizer.ggml.model");
  if (model != "gpt2") {
    throw Error(ErrorCode::unsupported,
                origin + ": tokenizer.ggml.model \"" + std::string(model) +
                    "\" is not supported (r1 reads \"gpt2\", byte-level BPE, only); put the "
                    "model's tokenizer.json beside the file instead");
  }
  const std::string pre_name = metadata.contains("tokenizer.ggml.pre")
                                   ? std::string(metadata.get_string("tokenizer.ggml.pre"))
                                   : std::string("default");
  const gguf_pre::PreKind* kind = gguf_pre::find_pre_kind(pre_name);
  if (kind == nullptr) {
    throw Error(ErrorCode::unsupported,
                origin + ": tokenizer.ggml.pre \"" + pre_name +
                    "\" is not supported; r1 converts " + gguf_pre::supported_pre_list() +
                    "; put the model's tokenizer.json beside the file instead");
  }
  if (!metadata.contains("tokenizer.ggml.tokens")) {
    throw Error(ErrorCode::not_found, origin +
                                          ": tokenizer.ggml.model is \"gpt2\" but there is "
                                          "no tokenizer.ggml.tokens array; re-convert the "
                                          "file or put tokenizer.json beside it");
  }
  const std::span<const std::string_view> tokens_span =
      metadata.get_string_array("tokenizer.ggml.tokens");
  const std::vector<std::string_view> tokens(tokens_span.begin(), tokens_span.end());
  if (tokens.empty()) invalid(origin, "tokenizer.ggml.tokens is empty");
  if (tokens.size() > static_cast<std::size_t>(INT32_MAX)) {
    invalid(origin, "tokenizer.ggml.tokens has more than 2^31 - 1 tokens");
  }
  std::vector<std::int64_t> types(tokens.size(), 1);
  if (metadata.contains("tokenizer.ggml.token_type")) {
    types = metadata.get_int_array("tokenizer.ggml.token_type");
    if (types.size() != tokens.size()) {
      invalid(origin, "tokenizer.ggml.token_type has " + std::to_string(types.size()) +
                          " entries for " + std::to_string(tokens.size()) + " tokens");
    }
  }

  std::unordered_map<std::string_view, std::int64_t> ids;
  ids.reserve(tokens.size());
  for (std::size_t id = 0; id < tokens.size(); ++id) {
    if (auto bad = utf8::find_invalid(tokens[id])) {
      invalid(origin, "token " + std::to_string(id) + " is not valid UTF-8 (byte " +
                          std::to_string(*bad) + ")");
    }
    auto [it, inserted] = ids.emplace(tokens[id], static_cast<std::int64_t>(id));
    if (!inserted) {
      invalid(origin, "tokens " + std::to_string(it->second) + " and " + std::to_string(id) +
                          " are both \"" + std::string(tokens[id]) + "\"");
    }
  }

  if (!metadata.contains("tokenizer.ggml.merges")) {
    invalid(origin, "a \"gpt2\" tokenizer needs tokenizer.ggml.merges, which is missing");
  }
  const std::span<const std::string_view> merges =
      metadata.get_string_array("tokenizer.ggml.merges");

  const std::size_t n = tokens.size();
  const auto bos = special_id(metadata, "tokenizer.ggml.bos_token_id", n, origin);
  const auto eos = special_id(metadata, "tokenizer.ggml.eos_token_id", n, origin);
  const auto unk = special_id(metadata, "tokenizer.ggml.unknown_token_id", n, origin);
  const auto pad = special_id(metadata, "tokenizer.ggml.padding_token_id", n, origin);
  const auto sep = special_id(metadata, "tokenizer.ggml.seperator_token_id", n, origin);
  const auto cls = special_id(metadata, "tokenizer.ggml.cls_token_id", n, origin);
  const auto mask = special_id(metadata, "tokenizer.ggml.mask_token_id", n, origin);
  const bool add_bos =
      optional_bool(metadata, "tokenizer.ggml.add_bos_token").value_or(kind->default_add_bos);
  const bool add_eos = optional_bool(metadata, "tokenizer.ggml.add_eos_token").value_or(false);
  if (add_bos && !bos) invalid(origin, "add_bos_token is true but there is no bos_token_id");
  if (add_eos && !eos) invalid(origin, "add_eos_token is true but there is no eos_token_id");

  // tokenizer.json, written by hand: nlohmann's object would sort and re-allocate ~300k entries.
  std::string out;
  out.reserve(64 * n + 1024);
  out += "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[";
  bool first = true;
  for (std::size_t id = 0; id < n; ++id) {
    if (types[id] != kTypeControl && types[id] != kTypeUserDefined) continue;
    out += first ? "{\"id\":" : ",{\"id\":";
    first = false;
    out += std::to_string(id);
    out += ",\"content\":";
    append_json_string(out, tokens[id]);
    out +=
        ",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,"
        "\"special\":";
    out += types[id] == kTypeControl ? "true}" : "false}";
  }
  out += "],\"normalizer\":";
  out += kind->normalizer.dump();
  out += ",\"pre_tokenizer\":";
  out += kind->pre_tokenizer.dump();
  out += ",\"post_processor\":";
  if (add_bos || add_eos) {
    out += template_processing(tokens, add_bos ? bos : std::nullopt, add_eos ? eos : std::nullopt)
               .dump();
  } else {
    out +=
        R"({"type":"ByteLevel","add_prefix_space":false,"trim_offsets":false,"use_regex":false})";
  }
  out +=
      R"(,"decoder":{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true})";
  out +=
      R"(,"model":{"type":"BPE","dropout":null,"unk_token":null,"continuing_subword_prefix":null,)"
      R"("end_of_word_suffix":null,"fuse_unk":false,"byte_fallback":false,"ignore_merges":)";
  out += kind->ignore_merges ? "true" : "false";
  out += ",\"vocab\":{";
  for (std::size_t id = 0; id < n; ++id) {
    if (id != 0) out += ',';
    append_json_string(out, tokens[id]);
    out += ':';
    out += std::to_string(id);
  }
  out += "},\"merges\":[";
  for (std::size_t i = 0; i < merges.size(); ++i) {
    // Split as llama.cpp does: at the first space after the first byte.
    const std::string_view merge = merges[i];
    const std::size_t space = merge.find(' ', 1);
    const std::string_view left = merge.substr(0, space);
    const std::string_view right =
        space == std::string_view::npos ? std::string_view() : merge.substr(space + 1);
    auto require = [&](std::string_view token, const std::string& what) {
      if (!ids.contains(token)) {
        invalid(origin, "tokenizer.ggml.merges[" + std::to_string(i) + "] \"" + std::string(merge) +
                            "\": " + what + " \"" + std::string(token) +
                            "\" is not in tokenizer.ggml.tokens");
      }
    };
    if (space == std::string_view::npos || right.empty()) {
      invalid(origin, "tokenizer.ggml.merges[" + std::to_string(i) + "] \"" + std::string(merge) +
                          "\" is not two tokens separated by a space");
    }
    require(left, "its left token");
    require(right, "its right token");
    const std::string merged = std::string(left) + std::string(right);
    require(merged, "the merged token");
    out += i == 0 ? "[" : ",[";
    append_json_string(out, left);
    out += ',';
    append_json_string(out, right);
    out += ']';
  }
  out += "]}}";

  json config = json::object();
  config["add_bos_token"] = add_bos;
  config["add_eos_token"] = add_eos;
  auto name = [&](const char* key, std::optional<std::int64_t> id) {
    config[key] = id ? json(std::string(tokens[*id])) : json(nullptr);
  };
  name("bos_token", bos);
  name("eos_token", eos);
  name("unk_token", unk);
  name("pad_token", pad);
  if (sep) name("sep_token", sep);
  if (cls) name("cls_token", cls);
  if (mask) name("mask_token", mask);
  if (json templates = chat_templates(metadata); !templates.is_null()) {
    config["chat_template"] = std::move(templates);
  }
  config["clean_up_tokenization_spaces"] = kind->clean_spaces;
  config["tokenizer_class"] = "PreTrainedTokenizerFast";
  config["gguf_tokenizer_pre"] = pre_name;
  return {std::move(out), config.dump(2)};
}

}  // namespace r1::io
