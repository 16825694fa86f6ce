// Bearer-token parsing, constant-time comparison, key files.
#include "server/api_key.h"

#include <cstddef>

#include "core/file.h"
#include "r1/error.h"

namespace r1::server {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// Compares every byte of `expected` whatever the outcome; the loop length is expected.size(), so
// the time says nothing about the position of the first difference. A length difference makes the
// result false without shortening the loop.
bool constant_time_equal(std::string_view given, std::string_view expected) {
  volatile unsigned char difference = given.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    difference = difference | static_cast<unsigned char>(g ^ static_cast<unsigned char>(expected[i]));
  }
  return difference == 0;
}

}  // namespace

bool api_key_matches(std::string_view authorization_header_value, std::string_view expected_key) {
  if (expected_key.empty()) return false;
  std::string_view value = trim(authorization_header_value);
  constexpr std::string_view kScheme = "bearer";
  if (value.size() <= kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    const char c = value[i];
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (lower != kScheme[i]) return false;
  }
  if (!is_space(value[kScheme.size()])) return false;
  return constant_time_equal(trim(value.substr(kScheme.size())), expected_key);
}

std::string read_api_key_file(const std::filesystem::path& path) {
  const std::string text = read_text_file(path, 64 << 10);
  const std::string_view key = trim(text);
  if (key.empty()) {
    throw Error(ErrorCode::invalid_argument,
                "API key file " + path.string() + " is empty: write the key on its first line");
  }
  for (const char c : key) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7F) {
      throw Error(ErrorCode::invalid_argument,
                  "API key file " + path.string() +
                      " holds more than one word or a control character: write only the key");
    }
  }
  return std::string(key);
}

}  // namespace r1::server
