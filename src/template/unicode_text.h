// Unicode helpers with Python str semantics (code points, case mapping, character classes).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace r1::tmpl {

/// Decodes UTF-8 text (assumed valid) to code points.
std::u32string decode_utf8(std::string_view text);
/// Encodes code points to UTF-8.
std::string encode_utf8(std::u32string_view text);
/// Number of code points (Python len()).
std::size_t code_point_count(std::string_view text);
/// True when the text is plain ASCII (byte offsets are code point offsets).
bool is_ascii(std::string_view text);

/// Python str.isspace() for one code point.
bool py_isspace(char32_t cp);
/// Python str.isprintable() for one code point (used by repr()).
bool py_isprintable(char32_t cp);
bool py_isalpha(char32_t cp);
bool py_isdigit(char32_t cp);
bool py_isalnum(char32_t cp);
bool py_isupper(char32_t cp);
bool py_islower(char32_t cp);

std::string py_upper(std::string_view text);
std::string py_lower(std::string_view text);
/// Python str.title(): uppercase after a non-cased character, lowercase elsewhere.
std::string py_title(std::string_view text);
/// Python str.capitalize().
std::string py_capitalize(std::string_view text);
/// Python str.swapcase() is not needed; strip with Python's whitespace or a set of characters.
std::string py_strip(std::string_view text, bool left, bool right, const std::u32string* chars);

}  // namespace r1::tmpl
