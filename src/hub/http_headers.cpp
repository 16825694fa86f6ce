#include "hub/http_headers.h"

#include <cctype>

namespace r1::hub {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

}  // namespace

std::optional<int> HttpHeaders::add_line(std::string_view line) {
  line = trim(line);
  if (line.rfind("HTTP/", 0) == 0) {
    entries_.clear();
    const auto space = line.find(' ');
    if (space == std::string_view::npos) return 0;
    std::string_view code = line.substr(space + 1, 3);
    int status = 0;
    for (char c : code) {
      if (c < '0' || c > '9') return 0;
      status = status * 10 + (c - '0');
    }
    return code.size() == 3 ? status : 0;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string name(trim(line.substr(0, colon)));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  entries_.emplace_back(std::move(name), std::string(trim(line.substr(colon + 1))));
  return std::nullopt;
}

std::optional<std::string> HttpHeaders::get(std::string_view name) const {
  for (const auto& [key, value] : entries_) {
    if (equals_ignoring_case(key, name)) return value;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> parse_byte_count(std::string_view text) {
  text = trim(text);
  if (text.empty() || text.size() > 19) return std::nullopt;  // 19 digits fit in 64 bits
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

std::optional<ContentRange> parse_content_range(std::string_view value) {
  value = trim(value);
  if (value.rfind("bytes ", 0) != 0) return std::nullopt;
  value.remove_prefix(6);
  const auto dash = value.find('-');
  const auto slash = value.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash)
    return std::nullopt;
  const auto first = parse_byte_count(value.substr(0, dash));
  const auto last = parse_byte_count(value.substr(dash + 1, slash - dash - 1));
  if (!first || !last || *last < *first) return std::nullopt;
  ContentRange range{*first, *last, std::nullopt};
  const std::string_view total = trim(value.substr(slash + 1));
  if (total != "*") {
    range.total = parse_byte_count(total);
    if (!range.total || *range.total <= *last) return std::nullopt;
  }
  return range;
}

std::string normalize_etag(std::string_view etag) {
  etag = trim(etag);
  if (etag.rfind("W/", 0) == 0) etag.remove_prefix(2);
  while (!etag.empty() && etag.front() == '"') etag.remove_prefix(1);
  while (!etag.empty() && etag.back() == '"') etag.remove_suffix(1);
  return std::string(etag);
}

}  // namespace r1::hub
