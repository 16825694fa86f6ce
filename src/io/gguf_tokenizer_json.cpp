#include "io/gguf_tokenizer_json.h"

#include "core/tokenizer_json_stream.h"
#include "r1/error.h"

namespace r1::io::gguf_tok {
namespace {

using nlohmann::json;

[[noreturn]] void invalid(const std::string& origin, const std::string& what) {
  throw Error(ErrorCode::invalid_file, origin + ": " + what + "; re-download the file");
}

// Pair-form merges may hold spaces inside a part; gguf-py's SpecialVocab writes those as U+0120
// ("Ġ", the byte-level form of a space) so that "left right" stays splittable.
std::string encode_spaces(const std::string& part) {
  std::string out;
  for (char c : part) {
    if (c == ' ') {
      out += "\xC4\xA0";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20) {
      out += "\\u00";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    } else {
      out += c;
    }
  }
  out += '"';
}

TokenizerDocument parse_tokenizer_document(std::string_view text, const std::string& origin) {
  TokenizerDocument document;
  std::string error;
  TokenizerJsonEntries entries;
  entries.vocab = [&](const std::string& token, const json& value) {
    if (value.is_number_integer() && value.get<std::int64_t>() >= 0) {
      document.vocab.emplace_back(token, value.get<std::int64_t>());
    } else if (error.empty()) {
      error = "model.vocab[\"" + token + "\"] is " + value.dump() + ", not a token id";
    }
  };
  entries.merge = [&](const json& entry) {
    if (entry.is_string()) {
      document.merges.push_back(entry.get<std::string>());
    } else if (entry.is_array() && entry.size() == 2 && entry[0].is_string() &&
               entry[1].is_string()) {
      document.merges.push_back(encode_spaces(entry[0].get<std::string>()) + " " +
                                encode_spaces(entry[1].get<std::string>()));
    } else if (error.empty()) {
      error = "model.merges[" + std::to_string(document.merges.size()) + "] is " + entry.dump() +
              ", not \"left right\" or [\"left\", \"right\"]";
    }
  };
  try {
    document.root = parse_tokenizer_json(text, entries);
  } catch (const json::parse_error& e) {
    invalid(origin, std::string("not valid JSON: ") + e.what());
  }
  if (!error.empty()) invalid(origin, error);
  if (!document.root.is_object()) invalid(origin, "the document is not a JSON object");
  return document;
}

}  // namespace r1::io::gguf_tok
