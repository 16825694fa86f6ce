#include "template/unicode_text.h"

#include <utf8proc.h>

#include "core/utf8.h"

namespace r1::tmpl {

std::u32string decode_utf8(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (utf8::valid_sequence_length(text, pos) == 0) {
      // Inputs are validated at the boundary; stay total anyway.
      out.push_back(utf8::kReplacement);
      ++pos;
      continue;
    }
    out.push_back(utf8::decode_at(text, pos));
  }
  return out;
}

std::string encode_utf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t cp : text) utf8::append(out, cp);
  return out;
}

std::size_t code_point_count(std::string_view text) {
  std::size_t count = 0;
  for (unsigned char c : text) count += (c & 0xC0) != 0x80;
  return count;
}

bool is_ascii(std::string_view text) {
  for (unsigned char c : text) {
    if (c >= 0x80) return false;
  }
  return true;
}

static utf8proc_category_t category(char32_t cp) {
  return utf8proc_category(static_cast<utf8proc_int32_t>(cp));
}

bool py_isspace(char32_t cp) {
  if (cp < 0x80) return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20);
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

bool py_isprintable(char32_t cp) {
  if (cp == ' ') return true;
  switch (category(cp)) {
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CN:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
    case UTF8PROC_CATEGORY_ZS:
      return false;
    default:
      return true;
  }
}

bool py_isalpha(char32_t cp) {
  switch (category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
      return true;
    default:
      return false;
  }
}

bool py_isdigit(char32_t cp) {
  return category(cp) == UTF8PROC_CATEGORY_ND;
}
bool py_isalnum(char32_t cp) {
  return py_isalpha(cp) || py_isdigit(cp) || category(cp) == UTF8PROC_CATEGORY_NL ||
         category(cp) == UTF8PROC_CATEGORY_NO;
}
bool py_isupper(char32_t cp) {
  return utf8proc_isupper(static_cast<utf8proc_int32_t>(cp));
}
bool py_islower(char32_t cp) {
  return utf8proc_islower(static_cast<utf8proc_int32_t>(cp));
}

static bool is_cased(char32_t cp) {
  auto c = static_cast<utf8proc_int32_t>(cp);
  return utf8proc_isupper(c) || utf8proc_islower(c) || category(cp) == UTF8PROC_CATEGORY_LT;
}

static char32_t to_upper(char32_t cp) {
  return static_cast<char32_t>(utf8proc_toupper(static_cast<utf8proc_int32_t>(cp)));
}
static char32_t to_lower(char32_t cp) {
  return static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp)));
}
static char32_t to_title(char32_t cp) {
  return static_cast<char32_t>(utf8proc_totitle(static_cast<utf8proc_int32_t>(cp)));
}

namespace {

// Python's full case mappings (SpecialCasing.txt) that expand to several characters; the
// unconditional ones of Latin and Armenian (Greek iota-subscript forms are not covered).
struct SpecialCase {
  char32_t cp;
  const char32_t* upper;
  const char32_t* title;
};
const SpecialCase kSpecialCases[] = {
    {0x00DF, U"SS", U"Ss"},           {0x0149, U"\u02BCN", U"\u02BCN"},
    {0x01F0, U"J\u030C", U"J\u030C"}, {0x0587, U"\u0535\u0552", U"\u0535\u0582"},
    {0x1E96, U"H\u0331", U"H\u0331"}, {0x1E97, U"T\u0308", U"T\u0308"},
    {0x1E98, U"W\u030A", U"W\u030A"}, {0x1E99, U"Y\u030A", U"Y\u030A"},
    {0x1E9A, U"A\u02BE", U"A\u02BE"}, {0xFB00, U"FF", U"Ff"},
    {0xFB01, U"FI", U"Fi"},           {0xFB02, U"FL", U"Fl"},
    {0xFB03, U"FFI", U"Ffi"},         {0xFB04, U"FFL", U"Ffl"},
    {0xFB05, U"ST", U"St"},           {0xFB06, U"ST", U"St"},
};

const SpecialCase* special_case(char32_t cp) {
  if (cp < 0xDF) return nullptr;
  for (const SpecialCase& s : kSpecialCases) {
    if (s.cp == cp) return &s;
  }
  return nullptr;
}

void append_upper(std::u32string& out, char32_t cp) {
  if (const SpecialCase* s = special_case(cp)) {
    out += s->upper;
  } else {
    out += to_upper(cp);
  }
}

void append_title(std::u32string& out, char32_t cp) {
  if (const SpecialCase* s = special_case(cp)) {
    out += s->title;
  } else {
    out += to_title(cp);
  }
}

void append_lower(std::u32string& out, char32_t cp) {
  if (cp == 0x0130) {
    out += U"i\u0307";  // LATIN CAPITAL LETTER I WITH DOT ABOVE lowercases to two characters
  } else {
    out += to_lower(cp);
  }
}

}  // namespace

std::string py_upper(std::string_view text) {
  std::u32string out;
  for (char32_t cp : decode_utf8(text)) append_upper(out, cp);
  return encode_utf8(out);
}

std::string py_lower(std::string_view text) {
  std::u32string out;
  for (char32_t cp : decode_utf8(text)) append_lower(out, cp);
  return encode_utf8(out);
}

std::string py_title(std::string_view text) {
  std::u32string out;
  bool previous_cased = false;
  for (char32_t cp : decode_utf8(text)) {
    bool cased = is_cased(cp);
    if (previous_cased) {
      append_lower(out, cp);
    } else {
      append_title(out, cp);
    }
    previous_cased = cased;
  }
  return encode_utf8(out);
}

std::string py_capitalize(std::string_view text) {
  std::u32string out;
  bool first = true;
  for (char32_t cp : decode_utf8(text)) {
    if (first) {
      append_title(out, cp);
    } else {
      append_lower(out, cp);
    }
    first = false;
  }
  return encode_utf8(out);
}

std::string py_strip(std::string_view text, bool left, bool right, const std::u32string* chars) {
  std::u32string cps = decode_utf8(text);
  auto strippable = [&](char32_t cp) {
    return chars ? chars->find(cp) != std::u32string::npos : py_isspace(cp);
  };
  std::size_t begin = 0;
  std::size_t end = cps.size();
  if (left) {
    while (begin < end && strippable(cps[begin])) ++begin;
  }
  if (right) {
    while (end > begin && strippable(cps[end - 1])) --end;
  }
  return encode_utf8(std::u32string_view(cps).substr(begin, end - begin));
}

}  // namespace r1::tmpl
