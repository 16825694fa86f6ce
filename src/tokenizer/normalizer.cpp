// make_normalizer and the normalizers of tokenizer.json, each matching Hugging Face `tokenizers`.
#include "tokenizer/normalizer.h"

#include <nlohmann/json.hpp>

#include "core/utf8.h"
#include "r1/error.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/regex_splitter.h"
#include "tokenizer/spec_fields.h"
#include "tokenizer/unicode.h"

namespace r1::tok {
namespace {

class UnicodeFormNormalizer final : public Normalizer {
 public:
  explicit UnicodeFormNormalizer(unicode::NormalForm form) : form_(form) {}
  std::string normalize(std::string_view text) const override {
    return unicode::normalize(text, form_);
  }

 private:
  unicode::NormalForm form_;
};

class LowercaseNormalizer final : public Normalizer {
 public:
  std::string normalize(std::string_view text) const override { return unicode::to_lower(text); }
};

// Keeps the code points `keep` accepts, mapping each through `map`.
template <typename Keep, typename Map>
std::string filter_map(std::string_view text, Keep keep, Map map) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    const char32_t cp = unicode::decode_valid(text, pos);
    if (keep(cp)) utf8::append(out, map(cp));
  }
  return out;
}

class StripNormalizer final : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  std::string normalize(std::string_view text) const override {
    std::size_t begin = 0;
    std::size_t end = text.size();
    if (left_) {
      while (begin < end) {
        std::size_t next = begin;
        if (!unicode::is_white_space(unicode::decode_valid(text, next))) break;
        begin = next;
      }
    }
    if (right_) {
      while (end > begin) {
        std::size_t start = end - 1;
        while (start > begin && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
        std::size_t next = start;
        if (!unicode::is_white_space(unicode::decode_valid(text, next))) break;
        end = start;
      }
    }
    return std::string(text.substr(begin, end - begin));
  }

 private:
  bool left_;
  bool right_;
};

// StripAccents removes every combining mark (General_Category M), without decomposing first.
class StripAccentsNormalizer final : public Normalizer {
 public:
  std::string normalize(std::string_view text) const override {
    return filter_map(
        text, [](char32_t cp) { return !unicode::is_combining_mark(cp); },
        [](char32_t cp) { return cp; });
  }
};

class ReplaceNormalizer final : public Normalizer {
 public:
  ReplaceNormalizer(std::unique_ptr<TextPattern> pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  std::string normalize(std::string_view text) const override {
    if (text.empty()) return {};  // Hugging Face finds no match, not even an empty one, in ""
    std::vector<MatchSpan> matches;
    pattern_->find_all(text, matches);
    if (matches.empty()) return std::string(text);
    std::string out;
    out.reserve(text.size());
    std::size_t previous = 0;
    for (const MatchSpan& m : matches) {
      out.append(text.substr(previous, m.start - previous));
      out += content_;
      previous = m.end;
    }
    out.append(text.substr(previous));
    return out;
  }

 private:
  std::unique_ptr<TextPattern> pattern_;
  std::string content_;
};

class PrependNormalizer final : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
  std::string normalize(std::string_view text) const override {
    if (text.empty()) return {};
    std::string out = prefix_;
    out.append(text);
    return out;
  }

 private:
  std::string prefix_;
};

class SequenceNormalizer final : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> parts)
      : parts_(std::move(parts)) {}
  std::string normalize(std::string_view text) const override {
    std::string current(text);
    for (const auto& p : parts_) current = p->normalize(current);
    return current;
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> parts_;
};

bool is_bert_chinese_char(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

class BertNormalizer final : public Normalizer {
 public:
  BertNormalizer(bool clean_text, bool handle_chinese_chars, bool strip_accents, bool lowercase)
      : clean_text_(clean_text),
        handle_chinese_chars_(handle_chinese_chars),
        strip_accents_(strip_accents),
        lowercase_(lowercase) {}

  std::string normalize(std::string_view input) const override {
    std::string text(input);
    if (clean_text_) {
      text = filter_map(
          text,
          [](char32_t cp) {
            const bool control = cp != '\t' && cp != '\n' && cp != '\r' && unicode::is_other(cp);
            return !(cp == 0 || cp == 0xFFFD || control);
          },
          [](char32_t cp) {
            const bool space =
                cp == '\t' || cp == '\n' || cp == '\r' || unicode::is_white_space(cp);
            return space ? U' ' : cp;
          });
    }
    if (handle_chinese_chars_) {
      std::string spaced;
      spaced.reserve(text.size());
      std::size_t pos = 0;
      while (pos < text.size()) {
        const char32_t cp = unicode::decode_valid(text, pos);
        if (is_bert_chinese_char(cp)) {
          spaced += ' ';
          utf8::append(spaced, cp);
          spaced += ' ';
        } else {
          utf8::append(spaced, cp);
        }
      }
      text = std::move(spaced);
    }
    if (strip_accents_) {
      text = filter_map(
          unicode::normalize(text, unicode::NormalForm::nfd),
          [](char32_t cp) { return !unicode::is_mark_nonspacing(cp); },
          [](char32_t cp) { return cp; });
    }
    if (lowercase_) text = unicode::to_lower(text);
    return text;
  }

 private:
  bool clean_text_;
  bool handle_chinese_chars_;
  bool strip_accents_;
  bool lowercase_;
};

// Nmt: drops ASCII control characters and maps some separators to a space (SentencePiece's
// nmt_nfkc rules without the NFKC).
class NmtNormalizer final : public Normalizer {
 public:
  std::string normalize(std::string_view text) const override {
    return filter_map(
        text,
        [](char32_t cp) {
          return !((cp >= 0x01 && cp <= 0x08) || cp == 0x0B || (cp >= 0x0E && cp <= 0x1F) ||
                   cp == 0x7F || cp == 0x8F || cp == 0x9F);
        },
        [](char32_t cp) {
          const bool space = cp == 0x09 || cp == 0x0A || cp == 0x0C || cp == 0x0D || cp == 0x1680 ||
                             (cp >= 0x200B && cp <= 0x200F) || cp == 0x2028 || cp == 0x2029 ||
                             cp == 0x2581 || cp == 0xFEFF || cp == 0xFFFD;
          return space ? U' ' : cp;
        });
  }
};

// The ByteLevel normalizer maps every byte to the GPT-2 alphabet (unlike the ByteLevel
// pre-tokenizer here, which leaves the mapping to the vocabulary).
class ByteLevelNormalizer final : public Normalizer {
 public:
  std::string normalize(std::string_view text) const override { return byte_level_encode(text); }
};

class IdentityNormalizer final : public Normalizer {
 public:
  std::string normalize(std::string_view text) const override { return std::string(text); }
};

}  // namespace

std::unique_ptr<Normalizer> make_normalizer(const nlohmann::json& spec,
                                            const std::string& json_path) {
  if (spec.is_null()) return nullptr;
  const std::string type = fields::type_of(spec, json_path);
  using unicode::NormalForm;
  if (type == "NFC") return std::make_unique<UnicodeFormNormalizer>(NormalForm::nfc);
  if (type == "NFD") return std::make_unique<UnicodeFormNormalizer>(NormalForm::nfd);
  if (type == "NFKC") return std::make_unique<UnicodeFormNormalizer>(NormalForm::nfkc);
  if (type == "NFKD") return std::make_unique<UnicodeFormNormalizer>(NormalForm::nfkd);
  if (type == "Lowercase") return std::make_unique<LowercaseNormalizer>();
  if (type == "StripAccents") return std::make_unique<StripAccentsNormalizer>();
  if (type == "Nmt") return std::make_unique<NmtNormalizer>();
  if (type == "ByteLevel") return std::make_unique<ByteLevelNormalizer>();
  if (type == "Strip") {
    return std::make_unique<StripNormalizer>(fields::bool_or(spec, "strip_left", json_path, true),
                                             fields::bool_or(spec, "strip_right", json_path, true));
  }
  if (type == "Replace") {
    auto pattern =
        make_text_pattern(fields::require(spec, "pattern", json_path), json_path + ".pattern");
    return std::make_unique<ReplaceNormalizer>(std::move(pattern),
                                               fields::require_string(spec, "content", json_path));
  }
  if (type == "Prepend") {
    return std::make_unique<PrependNormalizer>(fields::require_string(spec, "prepend", json_path));
  }
  if (type == "BertNormalizer") {
    const bool lowercase = fields::bool_or(spec, "lowercase", json_path, true);
    return std::make_unique<BertNormalizer>(
        fields::bool_or(spec, "clean_text", json_path, true),
        fields::bool_or(spec, "handle_chinese_chars", json_path, true),
        fields::bool_or(spec, "strip_accents", json_path, lowercase), lowercase);
  }
  if (type == "Sequence") {
    const auto& list = fields::require(spec, "normalizers", json_path);
    if (!list.is_array()) fields::fail(json_path + ".normalizers", "expected an array");
    std::vector<std::unique_ptr<Normalizer>> parts;
    for (std::size_t i = 0; i < list.size(); ++i) {
      auto part = make_normalizer(list[i], json_path + ".normalizers[" + std::to_string(i) + "]");
      if (part) parts.push_back(std::move(part));
    }
    return std::make_unique<SequenceNormalizer>(std::move(parts));
  }
  if (type == "Precompiled") {
    // An empty character map (some converted SentencePiece models) changes nothing.
    const auto it = spec.find("precompiled_charsmap");
    if (it == spec.end() || it->is_null() || (it->is_string() && it->get<std::string>().empty())) {
      return std::make_unique<IdentityNormalizer>();
    }
    throw Error(ErrorCode::unsupported,
                json_path +
                    ": normalizer type \"Precompiled\" (a SentencePiece character map) is "
                    "not supported by this build");
  }
  fields::unsupported_type(
      json_path, type,
      "NFC, NFD, NFKC, NFKD, Lowercase, Strip, StripAccents, Replace, Prepend, "
      "Sequence, BertNormalizer, Nmt, ByteLevel");
}

}  // namespace r1::tok
