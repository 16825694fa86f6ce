#include "cli/token_ids.h"

#include <charconv>
#include <cstdint>

#include "cli/args.h"

namespace r1::cli {

// Accepts "1,2,3", "1 2 3" and the JSON form "[1, 2, 3]".
std::vector<TokenId> parse_token_ids(const std::string& text) {
  std::vector<TokenId> ids;
  std::size_t pos = 0;
  auto is_separator = [](char c) {
    return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '[' || c == ']';
  };
  while (pos < text.size()) {
    if (is_separator(text[pos])) {
      ++pos;
      continue;
    }
    std::size_t end = pos;
    while (end < text.size() && !is_separator(text[end])) ++end;
    long long value = 0;
    auto [ptr, ec] = std::from_chars(text.data() + pos, text.data() + end, value);
    if (ec != std::errc() || ptr != text.data() + end || value < 0 || value > INT32_MAX) {
      throw UsageError{"--ids: '" + text.substr(pos, end - pos) + "' at character " +
                       std::to_string(pos) + " is not a token id (a non-negative integer)"};
    }
    ids.push_back(static_cast<TokenId>(value));
    pos = end;
  }
  return ids;
}

}  // namespace r1::cli
