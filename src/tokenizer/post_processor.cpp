#include "tokenizer/post_processor.h"

#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "r1/error.h"
#include "tokenizer/spec_fields.h"

namespace r1::tok {
namespace {

// Template: a list of pieces, each a run of fixed ids or the sequence itself.
class TemplateProcessor final : public PostProcessor {
 public:
  struct Piece {
    bool is_sequence = false;
    std::vector<TokenId> ids;  // the special token's ids when !is_sequence
  };
  explicit TemplateProcessor(std::vector<Piece> pieces) : pieces_(std::move(pieces)) {}

  void process_single(std::vector<TokenId>& ids) const override {
    std::vector<TokenId> out;
    out.reserve(ids.size() + 4);
    for (const Piece& piece : pieces_) {
      if (piece.is_sequence) {
        out.insert(out.end(), ids.begin(), ids.end());
      } else {
        out.insert(out.end(), piece.ids.begin(), piece.ids.end());
      }
    }
    ids = std::move(out);
  }

 private:
  std::vector<Piece> pieces_;
};

class NoOpProcessor final : public PostProcessor {
 public:
  void process_single(std::vector<TokenId>&) const override {}
};

class SequenceProcessor final : public PostProcessor {
 public:
  explicit SequenceProcessor(std::vector<std::unique_ptr<PostProcessor>> processors)
      : processors_(std::move(processors)) {}
  void process_single(std::vector<TokenId>& ids) const override {
    for (const auto& processor : processors_) processor->process_single(ids);
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> processors_;
};

const char* kSupportedProcessors =
    "TemplateProcessing, RobertaProcessing, BertProcessing, ByteLevel, Sequence";

using SpecialTokenIds = std::map<std::string, std::vector<TokenId>>;

SpecialTokenIds read_special_tokens(const nlohmann::json& spec, const std::string& path) {
  SpecialTokenIds result;
  auto it = spec.find("special_tokens");
  if (it == spec.end() || it->is_null()) return result;
  const std::string map_path = fields::member_path(path, "special_tokens");
  if (!it->is_object()) fields::fail(map_path, "expected an object");
  for (const auto& [name, token] : it->items()) {
    const std::string token_path = fields::member_path(map_path, "\"" + name + "\"");
    const nlohmann::json& ids = fields::require(token, "ids", token_path);
    if (!ids.is_array()) fields::fail(fields::member_path(token_path, "ids"), "expected an array");
    std::vector<TokenId> values;
    for (const nlohmann::json& id : ids) {
      if (!id.is_number_integer() || id.get<std::int64_t>() < 0 ||
          id.get<std::int64_t>() > std::numeric_limits<TokenId>::max()) {
        fields::fail(fields::member_path(token_path, "ids"), "expected non-negative integer ids");
      }
      values.push_back(static_cast<TokenId>(id.get<std::int64_t>()));
    }
    result.emplace(name, std::move(values));
  }
  return result;
}

TemplateProcessor::Piece special_piece(const std::string& name, const SpecialTokenIds& specials,
                                       const std::string& path) {
  auto it = specials.find(name);
  if (it == specials.end()) {
    fields::fail(path, "special token \"" + name + "\" is not listed in special_tokens");
  }
  return {false, it->second};
}

// The string form of a template: "[CLS]:0 $A:0 [SEP]:0".
std::vector<TemplateProcessor::Piece> parse_template_string(const std::string& text,
                                                            const SpecialTokenIds& specials,
                                                            const std::string& path) {
  std::vector<TemplateProcessor::Piece> pieces;
  std::istringstream words(text);
  std::string word;
  while (words >> word) {
    std::string name = word;
    const std::size_t colon = word.rfind(':');
    if (colon != std::string::npos && colon + 1 < word.size() &&
        word.find_first_not_of("0123456789", colon + 1) == std::string::npos) {
      name = word.substr(0, colon);
    }
    if (!name.empty() && name[0] == '$') {
      const std::string sequence = name.substr(1);
      if (sequence == "B" || sequence == "1") continue;  // pairs are not encoded here
      if (!sequence.empty() && sequence != "A" && sequence != "0") {
        fields::fail(path, "unknown sequence \"" + name + "\" in template");
      }
      pieces.push_back({true, {}});
    } else {
      pieces.push_back(special_piece(name, specials, path));
    }
  }
  return pieces;
}

std::unique_ptr<PostProcessor> make_template(const nlohmann::json& spec, const std::string& path) {
  const SpecialTokenIds specials = read_special_tokens(spec, path);
  const nlohmann::json& single = fields::require(spec, "single", path);
  const std::string single_path = fields::member_path(path, "single");
  if (single.is_string()) {
    return std::make_unique<TemplateProcessor>(
        parse_template_string(single.get<std::string>(), specials, single_path));
  }
  if (!single.is_array()) fields::fail(single_path, "expected an array or a string");
  std::vector<TemplateProcessor::Piece> pieces;
  for (std::size_t i = 0; i < single.size(); ++i) {
    const std::string piece_path = fields::index_path(single_path, i);
    const nlohmann::json& piece = single[i];
    if (piece.is_object() && piece.contains("SpecialToken")) {
      const std::string token_path = fields::member_path(piece_path, "SpecialToken");
      pieces.push_back(special_piece(
          fields::require_string(piece["SpecialToken"], "id", token_path), specials, token_path));
    } else if (piece.is_object() && piece.contains("Sequence")) {
      const std::string id = fields::require_string(piece["Sequence"], "id",
                                                    fields::member_path(piece_path, "Sequence"));
      if (id == "B") continue;
      pieces.push_back({true, {}});
    } else {
      fields::fail(piece_path, "expected {\"SpecialToken\": ...} or {\"Sequence\": ...}");
    }
  }
  return std::make_unique<TemplateProcessor>(std::move(pieces));
}

// ["<s>", 0]: a token and its id, as RobertaProcessing and BertProcessing store them.
TokenId token_id_pair(const nlohmann::json& spec, const char* key, const std::string& path) {
  const nlohmann::json& pair = fields::require(spec, key, path);
  if (!pair.is_array() || pair.size() != 2 || !pair[1].is_number_integer() ||
      pair[1].get<std::int64_t>() < 0) {
    fields::fail(fields::member_path(path, key), "expected [\"token\", id]");
  }
  return static_cast<TokenId>(pair[1].get<std::int64_t>());
}

}  // namespace

std::unique_ptr<PostProcessor> make_surrounding_processor(std::vector<TokenId> before,
                                                          std::vector<TokenId> after) {
  std::vector<TemplateProcessor::Piece> pieces;
  if (!before.empty()) pieces.push_back({false, std::move(before)});
  pieces.push_back({true, {}});
  if (!after.empty()) pieces.push_back({false, std::move(after)});
  return std::make_unique<TemplateProcessor>(std::move(pieces));
}

std::unique_ptr<PostProcessor> make_post_processor(const nlohmann::json& spec,
                                                   const std::string& json_path) {
  if (spec.is_null()) return nullptr;
  const std::string type = fields::type_of(spec, json_path);
  if (type == "TemplateProcessing") return make_template(spec, json_path);
  if (type == "ByteLevel") return std::make_unique<NoOpProcessor>();
  if (type == "RobertaProcessing" || type == "BertProcessing") {
    return make_surrounding_processor({token_id_pair(spec, "cls", json_path)},
                                      {token_id_pair(spec, "sep", json_path)});
  }
  if (type == "Sequence") {
    const nlohmann::json& list = fields::require(spec, "processors", json_path);
    const std::string list_path = fields::member_path(json_path, "processors");
    if (!list.is_array()) fields::fail(list_path, "expected an array");
    std::vector<std::unique_ptr<PostProcessor>> processors;
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (auto processor = make_post_processor(list[i], fields::index_path(list_path, i))) {
        processors.push_back(std::move(processor));
      }
    }
    return std::make_unique<SequenceProcessor>(std::move(processors));
  }
  fields::unsupported_type(json_path, type, kSupportedProcessors);
}

}  // namespace r1::tok
