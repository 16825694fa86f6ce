#include "io/gguf_tokenizer_json.h"

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
  std::string keys[4];  // the key being read at depth 1..3
  bool in_vocab = false;
  bool in_merges = false;
  std::string error;
  auto callback = [&](int depth, json::parse_event_t event, json& parsed) -> bool {
    using Event = json::parse_event_t;
    if (event == Event::key) {
      if (depth >= 1 && depth <= 3) keys[depth] = parsed.get<std::string>();
      return true;
    }
    if (depth == 2 && keys[1] == "model") {
      if (event == Event::object_start && keys[2] == "vocab") in_vocab = true;
      if (event == Event::object_end) in_vocab = false;
      if (event == Event::array_start && keys[2] == "merges") in_merges = true;
      if (event == Event::array_end) in_merges = false;
      return true;
    }
    if (depth != 3 || (!in_vocab && !in_merges)) return true;
    if (in_vocab) {
      if (event == Event::object_start || event == Event::array_start) return true;
      if (event == Event::value && parsed.is_number_integer() && parsed.get<std::int64_t>() >= 0) {
        document.vocab.emplace_back(keys[3], parsed.get<std::int64_t>());
      } else if (error.empty()) {
        error = "model.vocab[\"" + keys[3] + "\"] is " + parsed.dump() + ", not a token id";
      }
      return false;
    }
    if (event == Event::object_start || event == Event::array_start) return true;
    if (event == Event::value && parsed.is_string()) {
      document.merges.push_back(parsed.get<std::string>());
    } else if (event == Event::array_end && parsed.size() == 2 && parsed[0].is_string() &&
               parsed[1].is_string()) {
      document.merges.push_back(encode_spaces(parsed[0].get<std::string>()) + " " +
                                encode_spaces(parsed[1].get<std::string>()));
    } else if (error.empty()) {
      error = "model.merges[" + std::to_string(document.merges.size()) + "] is " + parsed.dump() +
              ", not \"left right\" or [\"left\", \"right\"]";
    }
    return false;
  };
  try {
    document.root = json::parse(text.begin(), text.end(), callback);
  } catch (const json::parse_error& e) {
    invalid(origin, std::string("not valid JSON: ") + e.what());
  }
  if (!error.empty()) invalid(origin, error);
  if (!document.root.is_object()) invalid(origin, "the document is not a JSON object");
  return document;
}

}  // namespace r1::io::gguf_tok
