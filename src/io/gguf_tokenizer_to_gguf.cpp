// tokenizer.json + tokenizer_config.json -> GGUF tokenizer keys, as llama.cpp's converter writes
// them (see gguf_tokenizer.h).
#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "io/gguf_tokenizer.h"
#include "io/gguf_tokenizer_json.h"
#include "io/gguf_tokenizer_pre.h"
#include "r1/error.h"

namespace r1::io {
namespace {

using nlohmann::json;

constexpr std::int32_t kTypeNormal = 1;
constexpr std::int32_t kTypeControl = 3;
constexpr std::int32_t kTypeUserDefined = 4;
constexpr std::int32_t kTypeUnused = 5;

[[noreturn]] void invalid(const std::string& origin, const std::string& what) {
  throw Error(ErrorCode::invalid_file, origin + ": " + what);
}

[[noreturn]] void unsupported(const std::string& origin, const std::string& what) {
  throw Error(ErrorCode::unsupported,
              origin + ": " + what +
                  "; r1 writes GGUF tokenizers for byte-level BPE (llama.cpp's \"gpt2\" model) "
                  "only; convert this model with llama.cpp's convert_hf_to_gguf.py");
}

struct AddedEntry {
  std::int64_t id = 0;
  std::string content;
  bool special = false;
  bool normalized = true;
};

// convert_hf_to_gguf.py's does_token_look_special.
bool looks_special(std::string_view text) {
  auto wrapped = [&](std::string_view open, std::string_view close) {
    return text.size() >= open.size() + close.size() && text.starts_with(open) &&
           text.ends_with(close);
  };
  return text == "<pad>" || text == "<mask>" || text == "<2mass>" || text == "[@BOS@]" ||
         wrapped("<|", "|>") || wrapped("<\xEF\xBD\x9C", "\xEF\xBD\x9C>") ||
         wrapped("<unused", ">");
}

void check_model(const json& root, const std::string& origin) {
  const json& model = root.value("model", json());
  if (!model.is_object()) invalid(origin, "tokenizer.json has no \"model\" object");
  const std::string type = model.value("type", std::string(model.contains("merges") ? "BPE" : ""));
  if (type != "BPE") unsupported(origin, "tokenizer.json model type is \"" + type + "\"");
  if (model.value("byte_fallback", json(false)) == json(true)) {
    unsupported(origin,
                "the BPE model uses byte_fallback (a SentencePiece-style vocabulary, "
                "GGUF model \"llama\")");
  }
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    const json& value = model.value(key, json());
    if (!value.is_null() && value != json("")) {
      unsupported(origin, std::string("the BPE model sets ") + key + " " + value.dump());
    }
  }
  const json& decoder = root.value("decoder", json());
  const bool byte_level =
      decoder.is_object() && decoder.value("type", std::string()) == "ByteLevel";
  if (!byte_level) {
    unsupported(origin, "the decoder is " + decoder.dump().substr(0, 200) + ", not ByteLevel");
  }
}

std::vector<AddedEntry> added_entries(const json& root, const std::string& origin) {
  std::vector<AddedEntry> entries;
  const json& list = root.value("added_tokens", json::array());
  if (!list.is_array()) invalid(origin, "tokenizer.json added_tokens is not an array");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const json& item = list[i];
    const std::string path = "added_tokens[" + std::to_string(i) + "]";
    if (!item.is_object() || !item.contains("id") || !item["id"].is_number_integer() ||
        item["id"].get<std::int64_t>() < 0 || !item.contains("content") ||
        !item["content"].is_string()) {
      invalid(origin, path + " needs a non-negative integer \"id\" and a string \"content\"");
    }
    entries.push_back({item["id"].get<std::int64_t>(), item["content"].get<std::string>(),
                       item.value("special", false), item.value("normalized", true)});
  }
  return entries;
}

// A tokenizer_config.json token entry: a string or an AddedToken object's "content".
std::optional<std::string> config_token(const json& config, const std::string& key) {
  auto it = config.find(key);
  if (it == config.end()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("content") && (*it)["content"].is_string()) {
    return (*it)["content"].get<std::string>();
  }
  return std::nullopt;
}

// gguf-py's SpecialVocab (load_merges aside) on tokenizer.json + tokenizer_config.json: special
// token ids, add_*_token flags (both in the order it records them) and the chat template.
struct SpecialVocab {
  std::vector<std::pair<std::string, std::int64_t>> ids;
  std::vector<std::pair<std::string, bool>> add;
  json chat_template;

  void set_add(const std::string& type, bool value) {
    for (auto& [name, flag] : add) {
      if (name == type) {
        flag = value;
        return;
      }
    }
    add.emplace_back(type, value);
  }
  std::optional<bool> add_flag(const std::string& type) const {
    for (const auto& [name, flag] : add) {
      if (name == type) return flag;
    }
    return std::nullopt;
  }
};

std::string special_token_of(const json& piece) {
  const json& special = piece.value("SpecialToken", json());
  if (!special.is_object()) return "";
  const json& id = special.value("id", json());
  return id.is_string() ? id.get<std::string>() : "";
}

std::string sequence_of(const json& piece) {
  const json& sequence = piece.value("Sequence", json());
  if (!sequence.is_object()) return "";
  const json& id = sequence.value("id", json());
  return id.is_string() ? id.get<std::string>() : "";
}

void read_post_processor(const json& root, bool has_config, std::string& bos, std::string& eos,
                         const std::string& cls, const std::string& sep, SpecialVocab& vocab) {
  const json& post = root.value("post_processor", json());
  if (!post.is_object()) return;
  const json processors = post.contains("processors") && post["processors"].is_array()
                              ? post["processors"]
                              : json::array({post});
  for (const json& processor : processors) {
    if (!processor.is_object()) continue;
    const std::string type = processor.value("type", std::string());
    if (type == "RobertaProcessing") {
      vocab.set_add("bos", true);
      vocab.set_add("eos", true);
      vocab.set_add("sep", true);
      continue;
    }
    if (type != "TemplateProcessing") continue;
    const json single = processor.value("single", json::array());
    json pair = processor.value("pair", json::array());
    std::string first;
    std::string last;
    if (single.is_array() && single.size() > 1) {
      first = special_token_of(single.front());
      if (!first.empty()) {
        if (!has_config) bos = first;
        vocab.set_add("bos", first == bos || first == cls);
      }
      last = special_token_of(single.back());
      if (!last.empty()) {
        if (!has_config) eos = last;
        vocab.set_add("eos", last == eos);
      }
    }
    if (!pair.is_array() || pair.empty()) continue;
    std::size_t begin = !first.empty() && special_token_of(pair.front()) == first ? 1 : 0;
    std::size_t end =
        !last.empty() && special_token_of(pair.back()) == last ? pair.size() - 1 : pair.size();
    if (begin >= end) continue;
    if (sequence_of(pair[begin]) != "A" || sequence_of(pair[end - 1]) != "B") continue;
    if (end - begin < 3) continue;  // nothing between A and B
    bool add_sep = false;
    const std::string middle = special_token_of(pair[begin + 1]);
    if (!middle.empty() && (middle == sep || middle == eos) && last.empty()) add_sep = true;
    if (end - begin == 4) {
      const std::string second = special_token_of(pair[begin + 2]);
      if (!second.empty() && (second == sep || second == eos)) add_sep = true;
    }
    vocab.set_add("sep", add_sep);
  }
}

// SpecialVocab's last source: config.json's <type>_token_id (or text_config's) for the types
// still without an id; only plain integers count.
void add_model_config_ids(const json& model_config, SpecialVocab& vocab) {
  for (const char* type : {"bos", "eos", "unk", "sep", "pad", "cls", "mask"}) {
    const std::string key = std::string(type) + "_token_id";
    json id = model_config.value(key, json());
    if (id.is_null() && model_config.contains("text_config") &&
        model_config["text_config"].is_object()) {
      id = model_config["text_config"].value(key, json());
    }
    if (!id.is_number_integer() || id.get<std::int64_t>() < 0) continue;
    bool known = false;
    for (const auto& entry : vocab.ids) known = known || entry.first == type;
    if (!known) vocab.ids.emplace_back(type, id.get<std::int64_t>());
  }
}

SpecialVocab special_vocab(const json& root, const json& config, bool has_config,
                           const std::vector<AddedEntry>& added) {
  SpecialVocab vocab;
  std::string bos = config_token(config, "bos_token").value_or("");
  std::string eos = config_token(config, "eos_token").value_or("");
  const std::string cls = config_token(config, "cls_token").value_or("");
  const std::string sep = config_token(config, "sep_token").value_or("");
  if (bos.empty() && !cls.empty()) bos = cls;
  if (eos.empty() && !sep.empty()) eos = sep;
  read_post_processor(root, has_config, bos, eos, cls, sep, vocab);
  if (!has_config) return vocab;
  vocab.chat_template = config.value("chat_template", json());
  for (const char* type : {"bos", "eos", "unk", "sep", "pad", "cls", "mask"}) {
    const std::string name(type);
    auto flag = config.find("add_" + name + "_token");
    if (flag != config.end() && flag->is_boolean()) vocab.set_add(name, flag->get<bool>());
    std::optional<std::string> content = config_token(config, name + "_token");
    if (name == "bos" && !bos.empty()) content = bos;
    if (name == "eos" && !eos.empty()) content = eos;
    if (!content) continue;
    for (const AddedEntry& entry : added) {
      if (entry.content == *content) {
        vocab.ids.emplace_back(name, entry.id);
        break;
      }
    }
  }
  return vocab;
}

// Keys of the id and flag handlers gguf-py's GGUFWriter has.
const char* id_key(const std::string& type) {
  if (type == "bos") return "tokenizer.ggml.bos_token_id";
  if (type == "eos") return "tokenizer.ggml.eos_token_id";
  if (type == "unk") return "tokenizer.ggml.unknown_token_id";
  if (type == "sep") return "tokenizer.ggml.seperator_token_id";
  if (type == "pad") return "tokenizer.ggml.padding_token_id";
  if (type == "cls") return "tokenizer.ggml.cls_token_id";
  if (type == "mask") return "tokenizer.ggml.mask_token_id";
  return nullptr;
}

const char* add_key(const std::string& type) {
  if (type == "bos") return "tokenizer.ggml.add_bos_token";
  if (type == "eos") return "tokenizer.ggml.add_eos_token";
  if (type == "sep") return "tokenizer.ggml.add_sep_token";
  return nullptr;
}

// GGUFWriter.add_chat_template: named templates as tokenizer.chat_template.<name> (names reduced
// to [A-Za-z0-9_]) listed in tokenizer.chat_templates, the "default" one as
// tokenizer.chat_template.
void add_chat_template(GgufWriter& writer, const json& value, const std::string& origin) {
  if (value.is_null()) return;
  if (value.is_string()) {
    writer.add_string("tokenizer.chat_template", value.get<std::string>());
    return;
  }
  if (!value.is_array()) {
    invalid(origin, "tokenizer_config.json chat_template is neither a string nor a list");
  }
  std::optional<std::string> fallback;
  std::vector<std::string> names;
  for (const json& choice : value) {
    if (!choice.is_object()) continue;
    std::string name = choice.value("name", std::string());
    for (char& c : name) {
      const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (!alnum) c = '_';
    }
    const json& text = choice.value("template", json());
    if (name.empty() || !text.is_string()) continue;
    if (name == "default") {
      fallback = text.get<std::string>();
    } else {
      writer.add_string("tokenizer.chat_template." + name, text.get<std::string>());
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  if (!names.empty()) writer.add_string_array("tokenizer.chat_templates", names);
  if (fallback) writer.add_string("tokenizer.chat_template", *fallback);
}

bool is_pad_name(std::string_view token, std::size_t id) {
  return token == "[PAD" + std::to_string(id) + "]";
}

}  // namespace

void add_tokenizer_to_gguf(GgufWriter& writer, std::string_view tokenizer_json,
                           std::string_view tokenizer_config_json, std::int64_t n_vocab_rows,
                           const std::string& origin, std::string_view model_config_json) {
  const std::string json_origin = origin + " tokenizer.json";
  const std::string config_origin = origin + " tokenizer_config.json";
  gguf_tok::TokenizerDocument document =
      gguf_tok::parse_tokenizer_document(tokenizer_json, json_origin);
  check_model(document.root, json_origin);
  const bool has_config = !tokenizer_config_json.empty();
  json config = json::object();
  if (has_config) {
    try {
      config = json::parse(tokenizer_config_json.begin(), tokenizer_config_json.end());
    } catch (const json::parse_error& e) {
      invalid(config_origin, std::string("not valid JSON: ") + e.what());
    }
    if (!config.is_object()) invalid(config_origin, "the document is not a JSON object");
  }
  const std::vector<AddedEntry> added = added_entries(document.root, json_origin);

  // Every id's token: the model vocabulary, with added tokens taking their ids.
  std::int64_t size = 0;
  for (const auto& [token, id] : document.vocab) size = std::max(size, id + 1);
  for (const AddedEntry& entry : added) size = std::max(size, entry.id + 1);
  if (size == 0) invalid(json_origin, "the vocabulary is empty");
  if (n_vocab_rows == 0) n_vocab_rows = size;
  if (n_vocab_rows < size) {
    invalid(origin, "the model has " + std::to_string(n_vocab_rows) +
                        " vocabulary rows but the tokenizer has ids up to " +
                        std::to_string(size - 1) + "; pass the model's vocab_size");
  }
  if (n_vocab_rows > INT32_MAX) invalid(origin, "vocabulary of more than 2^31 - 1 rows");
  const auto rows = static_cast<std::size_t>(n_vocab_rows);
  std::vector<std::string> tokens(rows);
  std::vector<std::int32_t> types(rows, kTypeUnused);
  std::vector<bool> present(rows, false);
  for (auto& [token, id] : document.vocab) {
    const auto row = static_cast<std::size_t>(id);
    if (present[row]) {
      invalid(json_origin, "model.vocab gives id " + std::to_string(id) + " to both \"" +
                               tokens[row] + "\" and \"" + token + "\"");
    }
    present[row] = true;
    types[row] = is_pad_name(token, row) ? kTypeUnused : kTypeNormal;
    tokens[row] = std::move(token);
  }
  for (const AddedEntry& entry : added) {
    const auto row = static_cast<std::size_t>(entry.id);
    present[row] = true;
    if (entry.special || looks_special(entry.content)) {
      tokens[row] = entry.content;
      types[row] = kTypeControl;
    } else {
      // The converter writes user-defined tokens with SentencePiece's U+2581 as a plain space.
      std::string text;
      for (std::size_t i = 0; i < entry.content.size(); ++i) {
        if (entry.content.compare(i, 3, "\xE2\x96\x81") == 0) {
          text += ' ';
          i += 2;
        } else {
          text += entry.content[i];
        }
      }
      tokens[row] = std::move(text);
      types[row] = kTypeUserDefined;
    }
  }
  for (std::size_t row = 0; row < rows; ++row) {
    if (!present[row]) tokens[row] = "[PAD" + std::to_string(row) + "]";
  }

  SpecialVocab special = special_vocab(document.root, config, has_config, added);
  if (!model_config_json.empty()) {
    json model_config;
    try {
      model_config = json::parse(model_config_json.begin(), model_config_json.end());
    } catch (const json::parse_error& e) {
      invalid(origin + " config.json", std::string("not valid JSON: ") + e.what());
    }
    if (model_config.is_object()) add_model_config_ids(model_config, special);
  }
  const std::string_view pre = gguf_pre::detect_pre_name(
      document.root.value("normalizer", json()), document.root.value("pre_tokenizer", json()),
      special.add_flag("bos").value_or(false), json_origin);
  const json& model = document.root["model"];
  const gguf_pre::PreKind* kind = gguf_pre::find_pre_kind(pre);
  if (model.value("ignore_merges", json(false)) == json(true) && !kind->ignore_merges) {
    unsupported(json_origin, "the BPE model sets ignore_merges, which llama.cpp's \"" +
                                 std::string(pre) + "\" pre-tokenizer does not do");
  }

  writer.add_string("tokenizer.ggml.model", "gpt2");
  writer.add_string("tokenizer.ggml.pre", pre);
  writer.add_string_array("tokenizer.ggml.tokens", tokens);
  writer.add_array("tokenizer.ggml.token_type", std::span<const std::int32_t>(types));
  if (!document.merges.empty()) writer.add_string_array("tokenizer.ggml.merges", document.merges);
  for (const auto& [type, id] : special.ids) {
    writer.add_uint32(id_key(type), static_cast<std::uint32_t>(id));
  }
  for (const auto& [type, flag] : special.add) {
    if (const char* key = add_key(type)) writer.add_bool(key, flag);
  }
  add_chat_template(writer, special.chat_template, config_origin);
}

}  // namespace r1::io
