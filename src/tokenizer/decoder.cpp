#include "tokenizer/decoder.h"

#include <optional>
#include <string_view>

#include "core/utf8.h"
#include "r1/error.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/spec_fields.h"

namespace r1::tok {
namespace {

// Length of the character at text[pos]; 1 for a stray byte so that scanning always advances.
std::size_t char_length(std::string_view text, std::size_t pos) {
  const std::size_t n = utf8::valid_sequence_length(text, pos);
  return n == 0 ? 1 : n;
}

// Rust's str::replace: every non-overlapping occurrence, scanning left to right.
std::string replace_all(std::string_view text, std::string_view pattern, std::string_view with) {
  if (pattern.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (true) {
    const std::size_t hit = text.find(pattern, pos);
    if (hit == std::string_view::npos) break;
    out.append(text.substr(pos, hit - pos));
    out.append(with);
    pos = hit + pattern.size();
  }
  out.append(text.substr(pos));
  return out;
}

// A "char" field of a spec: exactly one Unicode scalar.
std::string require_char(const nlohmann::json& spec, const char* key, const std::string& path) {
  std::string value = fields::require_string(spec, key, path);
  if (value.empty() || utf8::valid_sequence_length(value, 0) != value.size()) {
    fields::fail(fields::member_path(path, key),
                 "expected a single character, found \"" + value + "\"");
  }
  return value;
}

class ByteLevelDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (const std::string& token : tokens) bytes += byte_level_token_bytes(token);
    tokens.assign(1, utf8::to_valid_lossy(bytes));
  }
  bool is_byte_level_only() const override { return true; }
};

// Runs of <0xXX> tokens become their bytes when those form valid UTF-8, else one U+FFFD per byte.
class ByteFallbackDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    out.reserve(tokens.size());
    std::string run;
    std::size_t run_length = 0;
    auto flush = [&] {
      if (run_length == 0) return;
      if (!utf8::find_invalid(run)) {
        out.push_back(run);
      } else {
        for (std::size_t i = 0; i < run_length; ++i) out.emplace_back("\xEF\xBF\xBD");
      }
      run.clear();
      run_length = 0;
    };
    for (std::string& token : tokens) {
      if (std::optional<unsigned char> byte = parse_byte_token(token)) {
        run.push_back(static_cast<char>(*byte));
        ++run_length;
      } else {
        flush();
        out.push_back(std::move(token));
      }
    }
    flush();
    tokens = std::move(out);
  }

 private:
  static std::optional<unsigned char> parse_byte_token(std::string_view token) {
    if (token.size() != 6 || token.substr(0, 3) != "<0x" || token[5] != '>') return std::nullopt;
    int value = 0;
    for (char c : token.substr(3, 2)) {
      int digit = 0;
      if (c >= '0' && c <= '9')
        digit = c - '0';
      else if (c >= 'A' && c <= 'F')
        digit = c - 'A' + 10;
      else if (c >= 'a' && c <= 'f')
        digit = c - 'a' + 10;
      else
        return std::nullopt;
      value = value * 16 + digit;
    }
    return static_cast<unsigned char>(value);
  }
};

// The replacement character becomes a space; in the first token it is dropped entirely unless
// prepend_scheme is "never" (HF behaviour).
class MetaspaceDecoder final : public Decoder {
 public:
  MetaspaceDecoder(std::string replacement, bool strip_first)
      : replacement_(std::move(replacement)), strip_first_(strip_first) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      const bool drop = i == 0 && strip_first_;
      tokens[i] = replace_all(tokens[i], replacement_, drop ? "" : " ");
    }
  }

 private:
  std::string replacement_;
  bool strip_first_;
};

class ReplaceDecoder final : public Decoder {
 public:
  ReplaceDecoder(std::string pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& token : tokens) token = replace_all(token, pattern_, content_);
  }

 private:
  std::string pattern_;
  std::string content_;
};

class FuseDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string joined;
    for (const std::string& token : tokens) joined += token;
    tokens.assign(1, std::move(joined));
  }
};

// Removes up to `start` leading and `stop` trailing occurrences of one character per token.
class StripDecoder final : public Decoder {
 public:
  StripDecoder(std::string content, std::size_t start, std::size_t stop)
      : content_(std::move(content)), start_(start), stop_(stop) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& token : tokens) {
      std::vector<std::size_t> starts;  // byte offset of every character
      for (std::size_t pos = 0; pos < token.size(); pos += char_length(token, pos)) {
        starts.push_back(pos);
      }
      auto char_at = [&](std::size_t index) {
        const std::size_t end = index + 1 < starts.size() ? starts[index + 1] : token.size();
        return std::string_view(token).substr(starts[index], end - starts[index]);
      };
      std::size_t first = 0;
      while (first < start_ && first < starts.size() && char_at(first) == content_) ++first;
      std::size_t last = starts.size();  // one past the last kept character
      std::size_t removed = 0;
      while (removed < stop_ && last > 0 && char_at(last - 1) == content_) {
        --last;
        ++removed;
      }
      // HF panics when both ends overlap (e.g. a token of only stripped characters); the
      // sensible reading is an empty token.
      if (first >= last) {
        token.clear();
        continue;
      }
      const std::size_t begin_byte = starts[first];
      const std::size_t end_byte = last < starts.size() ? starts[last] : token.size();
      token = token.substr(begin_byte, end_byte - begin_byte);
    }
  }

 private:
  std::string content_;
  std::size_t start_;
  std::size_t stop_;
};

// WordPiece: "##" continues the previous word, other tokens start a new word after a space.
class WordPieceDecoder final : public Decoder {
 public:
  WordPieceDecoder(std::string prefix, bool cleanup)
      : prefix_(std::move(prefix)), cleanup_(cleanup) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      std::string& token = tokens[i];
      if (i != 0) {
        if (token.starts_with(prefix_)) {
          token.erase(0, prefix_.size());
        } else {
          token = std::string(" ") + token;
        }
      }
      if (cleanup_) token = cleanup_tokenization(token);
    }
  }

  // HF's `cleanup` of the WordPiece decoder (also used by transformers' clean_up_tokenization).
  static std::string cleanup_tokenization(std::string text) {
    static const std::pair<const char*, const char*> kRules[] = {
        {" .", "."},   {" ?", "?"},     {" !", "!"},    {" ,", ","},
        {" ' ", "'"},  {" n't", "n't"}, {" 'm", "'m"},  {" do not", " don't"},
        {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
    for (const auto& [from, to] : kRules) text = replace_all(text, from, to);
    return text;
  }

 private:
  std::string prefix_;
  bool cleanup_;
};

// BPEDecoder: the end-of-word suffix becomes a space, except in the last token.
class BpeSuffixDecoder final : public Decoder {
 public:
  explicit BpeSuffixDecoder(std::string suffix) : suffix_(std::move(suffix)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      tokens[i] = replace_all(tokens[i], suffix_, i + 1 == tokens.size() ? "" : " ");
    }
  }

 private:
  std::string suffix_;
};

class SequenceDecoder final : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> decoders)
      : decoders_(std::move(decoders)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& decoder : decoders_) decoder->decode_chain(tokens);
  }
  bool is_byte_level_only() const override {
    return decoders_.size() == 1 && decoders_[0]->is_byte_level_only();
  }

 private:
  std::vector<std::unique_ptr<Decoder>> decoders_;
};

const char* kSupportedDecoders =
    "ByteLevel, ByteFallback, Metaspace, Replace, Strip, Fuse, WordPiece, BPEDecoder, Sequence";

std::unique_ptr<Decoder> make_replace(const nlohmann::json& spec, const std::string& path) {
  const nlohmann::json& pattern = fields::require(spec, "pattern", path);
  const std::string pattern_path = fields::member_path(path, "pattern");
  if (!pattern.is_object())
    fields::fail(pattern_path, "expected {\"String\": ...} or {\"Regex\": ...}");
  if (pattern.contains("Regex")) {
    throw Error(ErrorCode::unsupported,
                pattern_path + ": Replace decoder with a Regex pattern is not supported");
  }
  return std::make_unique<ReplaceDecoder>(fields::require_string(pattern, "String", pattern_path),
                                          fields::require_string(spec, "content", path));
}

std::unique_ptr<Decoder> make_metaspace(const nlohmann::json& spec, const std::string& path) {
  std::string replacement = require_char(spec, "replacement", path);
  // Older files only have add_prefix_space (true means "always").
  std::string scheme = fields::string_or(spec, "prepend_scheme", path, "");
  if (scheme.empty())
    scheme = fields::bool_or(spec, "add_prefix_space", path, true) ? "always" : "never";
  if (scheme != "always" && scheme != "first" && scheme != "never") {
    fields::fail(fields::member_path(path, "prepend_scheme"),
                 "expected \"always\", \"first\" or \"never\", found \"" + scheme + "\"");
  }
  return std::make_unique<MetaspaceDecoder>(std::move(replacement), scheme != "never");
}

std::size_t require_count(const nlohmann::json& spec, const char* key, const std::string& path) {
  const std::int64_t value = fields::require_int(spec, key, path);
  if (value < 0) fields::fail(fields::member_path(path, key), "must not be negative");
  return static_cast<std::size_t>(value);
}

}  // namespace

std::string byte_level_token_bytes(const std::string& token) {
  if (std::optional<std::string> bytes = byte_level_decode(token)) return *std::move(bytes);
  return token;
}

std::string join_with_spaces(const std::vector<std::string>& tokens) {
  std::string out;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (i != 0) out.push_back(' ');
    out += tokens[i];
  }
  return out;
}

std::unique_ptr<Decoder> make_decoder(const nlohmann::json& spec, const std::string& json_path) {
  if (spec.is_null()) return nullptr;
  const std::string type = fields::type_of(spec, json_path);
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Metaspace") return make_metaspace(spec, json_path);
  if (type == "Replace") return make_replace(spec, json_path);
  if (type == "Strip") {
    return std::make_unique<StripDecoder>(require_char(spec, "content", json_path),
                                          require_count(spec, "start", json_path),
                                          require_count(spec, "stop", json_path));
  }
  if (type == "WordPiece") {
    return std::make_unique<WordPieceDecoder>(fields::string_or(spec, "prefix", json_path, "##"),
                                              fields::bool_or(spec, "cleanup", json_path, true));
  }
  if (type == "BPEDecoder") {
    return std::make_unique<BpeSuffixDecoder>(fields::string_or(spec, "suffix", json_path, "</w>"));
  }
  if (type == "Sequence") {
    const nlohmann::json& list = fields::require(spec, "decoders", json_path);
    const std::string list_path = fields::member_path(json_path, "decoders");
    if (!list.is_array()) fields::fail(list_path, "expected an array");
    std::vector<std::unique_ptr<Decoder>> decoders;
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (auto decoder = make_decoder(list[i], fields::index_path(list_path, i))) {
        decoders.push_back(std::move(decoder));
      }
    }
    return std::make_unique<SequenceDecoder>(std::move(decoders));
  }
  fields::unsupported_type(json_path, type, kSupportedDecoders);
}

std::string clean_up_tokenization(std::string text) {
  // transformers' list, which unlike the WordPiece decoder's has no " do not" rule.
  static const std::pair<const char*, const char*> kRules[] = {
      {" .", "."},     {" ?", "?"},   {" !", "!"},   {" ,", ","},     {" ' ", "'"},
      {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  for (const auto& [from, to] : kRules) text = replace_all(text, from, to);
  return text;
}

}  // namespace r1::tok
