// make_pre_tokenizer: the factory, ByteLevel and Sequence.
#include "tokenizer/pre_tokenizer.h"

#include <nlohmann/json.hpp>

#include "r1/error.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/pre_tokenizer_parts.h"
#include "tokenizer/spec_fields.h"
#include "tokenizer/split_known_patterns.h"

namespace r1::tok {
namespace {

// ByteLevel: optional prefix space and the GPT-2 split; no byte mapping (see the header).
class ByteLevelPreTokenizer final : public PiecewisePreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex)
      : add_prefix_space_(add_prefix_space), use_regex_(use_regex) {}

  void split_piece(std::string& piece, bool, std::vector<std::string>& out) const override {
    if (add_prefix_space_ && piece[0] != ' ') piece.insert(piece.begin(), ' ');
    if (!use_regex_) {
      out.push_back(std::move(piece));
      return;
    }
    std::size_t pos = 0;
    while (pos < piece.size()) {
      const std::size_t end = known_pattern_match_end(KnownPattern::gpt2, piece, pos);
      out.emplace_back(piece, pos, end - pos);
      pos = end;
    }
  }
  bool is_byte_level() const override { return true; }

 private:
  bool add_prefix_space_;
  bool use_regex_;
};

// Runs the pre-tokenizers that follow a ByteLevel in a Sequence on the byte-level alphabet, as
// Hugging Face does (its ByteLevel maps the pieces), then maps the pieces back to raw bytes.
class ByteMappedPreTokenizer final : public PreTokenizerBase {
 public:
  explicit ByteMappedPreTokenizer(std::vector<std::unique_ptr<PreTokenizerBase>> inner)
      : inner_(std::move(inner)) {}

  void apply(std::vector<std::string>& pieces, bool first_starts_text) const override {
    for (std::string& piece : pieces) piece = byte_level_encode(piece);
    for (const auto& p : inner_) p->apply(pieces, first_starts_text);
    for (std::string& piece : pieces) {
      auto bytes = byte_level_decode(piece);
      // Unreachable: the pre-tokenizers allowed here only cut pieces at character boundaries.
      if (!bytes)
        throw Error(ErrorCode::unsupported, "a pre-tokenizer after ByteLevel changed the text");
      piece = std::move(*bytes);
    }
  }

 private:
  std::vector<std::unique_ptr<PreTokenizerBase>> inner_;
};

class SequencePreTokenizer final : public PreTokenizerBase {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizerBase>> parts)
      : parts_(std::move(parts)) {}

  void apply(std::vector<std::string>& pieces, bool first_starts_text) const override {
    for (const auto& p : parts_) p->apply(pieces, first_starts_text);
  }
  bool is_byte_level() const override {
    for (const auto& p : parts_) {
      if (p->is_byte_level()) return true;
    }
    return false;
  }

 private:
  std::vector<std::unique_ptr<PreTokenizerBase>> parts_;
};

// True when `spec` only cuts pieces without changing their text, so it can run on byte-level
// mapped pieces after a ByteLevel.
bool only_cuts_pieces(const nlohmann::json& spec, const std::string& json_path) {
  const std::string type = fields::type_of(spec, json_path);
  if (type == "Sequence") {
    const auto& list = fields::require(spec, "pretokenizers", json_path);
    if (!list.is_array()) return false;
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (!only_cuts_pieces(list[i], json_path + ".pretokenizers[" + std::to_string(i) + "]")) {
        return false;
      }
    }
    return true;
  }
  return type == "Split" || type == "Digits" || type == "Whitespace" || type == "WhitespaceSplit" ||
         type == "Punctuation" || type == "BertPreTokenizer" || type == "CharDelimiterSplit" ||
         type == "FixedLength";
}

}  // namespace

std::unique_ptr<PreTokenizerBase> make_byte_level(const nlohmann::json& spec,
                                                  const std::string& json_path) {
  return std::make_unique<ByteLevelPreTokenizer>(
      fields::bool_or(spec, "add_prefix_space", json_path, true),
      fields::bool_or(spec, "use_regex", json_path, true));
}

std::unique_ptr<PreTokenizerBase> make_sequence(const nlohmann::json& spec,
                                                const std::string& json_path) {
  const auto& list = fields::require(spec, "pretokenizers", json_path);
  if (!list.is_array()) fields::fail(json_path + ".pretokenizers", "expected an array");
  std::vector<std::unique_ptr<PreTokenizerBase>> parts;
  std::vector<std::unique_ptr<PreTokenizerBase>> after_byte_level;
  bool seen_byte_level = false;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string path = json_path + ".pretokenizers[" + std::to_string(i) + "]";
    auto part = make_pre_tokenizer_part(list[i], path);
    if (!seen_byte_level) {
      seen_byte_level = part->is_byte_level();
      parts.push_back(std::move(part));
      continue;
    }
    if (!only_cuts_pieces(list[i], path)) {
      throw Error(ErrorCode::unsupported,
                  path + ": a \"" + fields::type_of(list[i], path) +
                      "\" pre-tokenizer after a ByteLevel one is not supported: it would see and "
                      "change byte-level mapped text, which this build keeps as raw bytes");
    }
    after_byte_level.push_back(std::move(part));
  }
  if (!after_byte_level.empty()) {
    parts.push_back(std::make_unique<ByteMappedPreTokenizer>(std::move(after_byte_level)));
  }
  return std::make_unique<SequencePreTokenizer>(std::move(parts));
}

std::unique_ptr<PreTokenizerBase> make_pre_tokenizer_part(const nlohmann::json& spec,
                                                          const std::string& json_path) {
  const std::string type = fields::type_of(spec, json_path);
  if (type == "Split") return make_split(spec, json_path);
  if (type == "ByteLevel") return make_byte_level(spec, json_path);
  if (type == "Sequence") return make_sequence(spec, json_path);
  if (type == "Digits") return make_digits(spec, json_path);
  if (type == "Whitespace") return make_whitespace();
  if (type == "WhitespaceSplit") return make_whitespace_split();
  if (type == "Punctuation") return make_punctuation(spec, json_path);
  if (type == "Metaspace") return make_metaspace(spec, json_path);
  if (type == "BertPreTokenizer") return make_bert_pre_tokenizer();
  if (type == "CharDelimiterSplit") return make_char_delimiter_split(spec, json_path);
  if (type == "FixedLength") return make_fixed_length(spec, json_path);
  fields::unsupported_type(
      json_path, type,
      "Split, ByteLevel, Sequence, Digits, Whitespace, WhitespaceSplit, "
      "Punctuation, Metaspace, BertPreTokenizer, CharDelimiterSplit, FixedLength");
}

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const nlohmann::json& spec,
                                                 const std::string& json_path) {
  if (spec.is_null()) return nullptr;
  return make_pre_tokenizer_part(spec, json_path);
}

}  // namespace r1::tok
