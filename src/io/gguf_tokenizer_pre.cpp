#include "io/gguf_tokenizer_pre.h"

#include <array>
#include <optional>
#include <vector>

#include "io/gguf_tokenizer.h"
#include "r1/error.h"

namespace r1::io::gguf_pre {
namespace {

using nlohmann::json;

// Split regexes exactly as the published tokenizer.json files write them.
constexpr std::string_view kQwen2Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kLlama3Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// The ByteLevel pre-tokenizer's own regex (use_regex true), GPT-2's.
constexpr std::string_view kGpt2Regex =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
// llama.cpp's regexes for pre type "default" (applied in turn, each isolating its matches).
constexpr std::array<std::string_view, 4> kDefaultRegexes = {
    R"([\p{P}\$\+<=>\^~\|]+)",
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))",
    R"(\p{N}+)",
    R"([0-9][0-9][0-9])",
};

// One step of a pre-tokenizer, in the form both directions compare.
struct Step {
  enum class Type { split, byte_level, digits } type;
  std::string regex;       // split
  bool use_regex = false;  // byte_level
  bool operator==(const Step&) const = default;
};
using Steps = std::vector<Step>;

Step split(std::string_view regex) {
  return {Step::Type::split, std::string(regex), false};
}
Step byte_level(bool use_regex) {
  return {Step::Type::byte_level, "", use_regex};
}
Step digits() {
  return {Step::Type::digits, "", false};
}

json to_json(const Step& step) {
  switch (step.type) {
    case Step::Type::split:
      return {{"type", "Split"},
              {"pattern", {{"Regex", step.regex}}},
              {"behavior", "Isolated"},
              {"invert", false}};
    case Step::Type::byte_level:
      return {{"type", "ByteLevel"},
              {"add_prefix_space", false},
              {"trim_offsets", true},
              {"use_regex", step.use_regex}};
    case Step::Type::digits:
      return {{"type", "Digits"}, {"individual_digits", true}};
  }
  return nullptr;
}

json to_json(const Steps& steps) {
  if (steps.size() == 1) return to_json(steps[0]);
  json list = json::array();
  for (const Step& step : steps) list.push_back(to_json(step));
  return {{"type", "Sequence"}, {"pretokenizers", list}};
}

struct KindSpec {
  std::string_view name;
  std::vector<std::string_view> aliases;
  Steps steps;               // what tokenizer_files_from_gguf writes
  std::vector<Steps> other;  // further tokenizer.json shapes that split identically
  bool nfc = false;
  bool ignore_merges = false;
  bool default_add_bos = false;
  bool clean_spaces = false;
};

const std::vector<KindSpec>& kind_specs() {
  static const std::vector<KindSpec> specs = [] {
    Steps defaults;
    for (std::string_view regex : kDefaultRegexes) defaults.push_back(split(regex));
    defaults.push_back(byte_level(false));
    return std::vector<KindSpec>{
        {"qwen2", {}, {split(kQwen2Regex), byte_level(false)}, {}, true, false, false, false},
        {"deepseek-r1-qwen",
         {},
         {split(kQwen2Regex), byte_level(false)},
         {},
         true,
         false,
         false,
         false},
        {"llama-bpe",
         {"llama3", "llama-v3"},
         {split(kLlama3Regex), byte_level(false)},
         {},
         false,
         true,
         true,
         true},
        {"smollm",
         {},
         {digits(), byte_level(true)},
         {{digits(), split(kGpt2Regex), byte_level(false)}},
         false,
         false,
         false,
         false},
        {"gpt-2",
         {},
         {byte_level(true)},
         {{split(kGpt2Regex), byte_level(false)}},
         false,
         false,
         false,
         true},
        {"default", {}, defaults, {}, false, false, false, true},
    };
  }();
  return specs;
}

const std::vector<PreKind>& kinds() {
  static const std::vector<PreKind> table = [] {
    std::vector<PreKind> out;
    for (const KindSpec& spec : kind_specs()) {
      out.push_back({spec.name, spec.nfc ? json{{"type", "NFC"}} : json(nullptr),
                     to_json(spec.steps), spec.ignore_merges, spec.default_add_bos,
                     spec.clean_spaces});
    }
    return out;
  }();
  return table;
}

[[noreturn]] void unsupported(const std::string& origin, const std::string& what) {
  throw Error(ErrorCode::unsupported,
              origin + ": " + what +
                  "; GGUF can only name the pre-tokenizers llama.cpp implements, and r1 converts " +
                  supported_pre_list() +
                  " (each a byte-level BPE with its published split regex); convert this model "
                  "with llama.cpp's convert_hf_to_gguf.py instead");
}

bool bool_field(const json& object, const char* key, bool fallback) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  return it->is_boolean() ? it->get<bool>() : !fallback;  // a non-bool never matches a shape
}

void collect_steps(const json& node, const std::string& path, const std::string& origin,
                   Steps& steps) {
  if (!node.is_object() || !node.contains("type") || !node["type"].is_string()) {
    unsupported(origin, path + " is not a pre-tokenizer object with a \"type\"");
  }
  const std::string type = node["type"].get<std::string>();
  if (type == "Sequence") {
    const json& list = node.value("pretokenizers", json());
    if (!list.is_array()) unsupported(origin, path + ".pretokenizers is not an array");
    for (std::size_t i = 0; i < list.size(); ++i) {
      collect_steps(list[i], path + ".pretokenizers[" + std::to_string(i) + "]", origin, steps);
    }
  } else if (type == "Split") {
    const json& pattern = node.value("pattern", json());
    if (!pattern.is_object() || !pattern.contains("Regex") || !pattern["Regex"].is_string()) {
      unsupported(origin, path + " splits on " + pattern.dump() + ", not on a regex");
    }
    if (node.value("behavior", std::string()) != "Isolated" || bool_field(node, "invert", false)) {
      unsupported(origin, path + " has behavior " + node.value("behavior", json()).dump() +
                              " invert " + node.value("invert", json()).dump() +
                              " (only Isolated, not inverted)");
    }
    steps.push_back(split(pattern["Regex"].get<std::string>()));
  } else if (type == "ByteLevel") {
    if (bool_field(node, "add_prefix_space", true)) {
      unsupported(origin, path +
                              " is ByteLevel with add_prefix_space (llama.cpp has no prefix "
                              "space for BPE)");
    }
    steps.push_back(byte_level(bool_field(node, "use_regex", true)));
  } else if (type == "Digits") {
    if (!bool_field(node, "individual_digits", false)) {
      unsupported(origin, path + " is Digits without individual_digits");
    }
    steps.push_back(digits());
  } else {
    unsupported(origin, path + " has type \"" + type + "\"");
  }
}

bool normalizer_is_nfc_or_none(const json& normalizer) {
  if (normalizer.is_null()) return true;
  if (!normalizer.is_object()) return false;
  const std::string type = normalizer.value("type", std::string());
  if (type == "NFC") return true;
  if (type == "Sequence") {
    const json& list = normalizer.value("normalizers", json());
    if (!list.is_array()) return false;
    for (const json& item : list) {
      if (!normalizer_is_nfc_or_none(item)) return false;
    }
    return true;
  }
  return false;
}

}  // namespace

}  // namespace r1::io::gguf_pre

namespace r1::io {

std::span<const std::string_view> supported_gguf_tokenizer_pre_names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> out;
    for (const gguf_pre::KindSpec& spec : gguf_pre::kind_specs()) out.push_back(spec.name);
    return out;
  }();
  return names;
}

}  // namespace r1::io

namespace r1::io::gguf_pre {

const PreKind* find_pre_kind(std::string_view name) {
  const std::vector<KindSpec>& specs = kind_specs();
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].name == name) return &kinds()[i];
    for (std::string_view alias : specs[i].aliases) {
      if (alias == name) return &kinds()[i];
    }
  }
  return nullptr;
}

std::string supported_pre_list() {
  std::string out;
  for (const KindSpec& spec : kind_specs()) {
    if (!out.empty()) out += ", ";
    out += "\"" + std::string(spec.name) + "\"";
    for (std::string_view alias : spec.aliases) out += " (or \"" + std::string(alias) + "\")";
  }
  return out;
}

std::string_view detect_pre_name(const json& normalizer, const json& pre_tokenizer, bool adds_bos,
                                 const std::string& origin) {
  if (!normalizer_is_nfc_or_none(normalizer)) {
    unsupported(origin, "tokenizer.json normalizer " + normalizer.dump() +
                            " cannot be written to GGUF (llama.cpp applies no normalizer to "
                            "byte-level BPE; only none or NFC is accepted)");
  }
  if (pre_tokenizer.is_null()) unsupported(origin, "tokenizer.json has no pre_tokenizer");
  Steps steps;
  collect_steps(pre_tokenizer, "pre_tokenizer", origin, steps);
  for (const KindSpec& spec : kind_specs()) {
    bool match = steps == spec.steps;
    for (const Steps& other : spec.other) match = match || steps == other;
    if (!match) continue;
    if (spec.name == "qwen2" && adds_bos) return "deepseek-r1-qwen";
    return spec.name;
  }
  std::string regexes;
  for (const Step& step : steps) {
    if (step.type == Step::Type::split) regexes += (regexes.empty() ? "" : ", ") + step.regex;
  }
  unsupported(origin, "the pre_tokenizer " + pre_tokenizer.dump().substr(0, 400) +
                          " is none of the supported shapes" +
                          (regexes.empty() ? "" : " (split regexes: " + regexes + ")"));
}

}  // namespace r1::io::gguf_pre
