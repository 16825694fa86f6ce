#include "core/tokenizer_json_stream.h"

namespace r1 {

nlohmann::json parse_tokenizer_json(std::string_view text, const TokenizerJsonEntries& entries) {
  using nlohmann::json;
  std::string keys[4];  // the key being read at depth 1..3
  bool in_vocab = false;
  bool in_merges = false;
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
    // Containers inside an entry are parsed whole (a pair's array), then handed over at its end.
    if (event == Event::object_start || event == Event::array_start) return true;
    if (in_vocab) {
      entries.vocab(keys[3], parsed);
    } else {
      entries.merge(parsed);
    }
    return false;  // the entry is not kept in the tree
  };
  return json::parse(text.begin(), text.end(), callback);
}

}  // namespace r1
