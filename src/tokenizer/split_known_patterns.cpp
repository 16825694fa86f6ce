#include "tokenizer/split_known_patterns.h"

#include <array>

#include "tokenizer/unicode.h"

namespace r1::tok {
namespace {

using unicode::CharClass;

constexpr std::string_view kQwen2Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kLlama3Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kGpt2Regex =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// One decoded character: its code point, class and byte length.
struct Char {
  char32_t cp;
  CharClass cls;
  std::size_t len;
};

using unicode::kAsciiClasses;

inline Char char_at(std::string_view text, std::size_t pos) {
  const auto byte = static_cast<unsigned char>(text[pos]);
  if (byte < 0x80) return {byte, kAsciiClasses[byte], 1};
  std::size_t end = pos;
  const char32_t cp = unicode::decode_valid(text, end);
  return {cp, unicode::classify(cp), end - pos};
}

// End of the run of characters of class `cls` starting at pos (pos itself if none).
std::size_t run_end(std::string_view text, std::size_t pos, CharClass cls) {
  while (pos < text.size()) {
    const Char c = char_at(text, pos);
    if (c.cls != cls) break;
    pos += c.len;
  }
  return pos;
}

// End after at most `limit` characters of class `cls` starting at pos.
std::size_t bounded_run_end(std::string_view text, std::size_t pos, CharClass cls, int limit) {
  for (int i = 0; i < limit && pos < text.size(); ++i) {
    const Char c = char_at(text, pos);
    if (c.cls != cls) break;
    pos += c.len;
  }
  return pos;
}

// `[\r\n]*` from pos.
std::size_t line_breaks_end(std::string_view text, std::size_t pos) {
  while (pos < text.size() && (text[pos] == '\r' || text[pos] == '\n')) ++pos;
  return pos;
}

bool is_ascii_letter_ci(char c, char lower) {
  return c == lower || c == lower - ('a' - 'A');
}

// End of a contraction `'s|'t|'re|'ve|'m|'ll|'d` starting with the apostrophe at pos, or 0.
// Case-insensitive matching follows Unicode simple case folding as Oniguruma does: besides the
// ASCII letters only U+017F LATIN SMALL LETTER LONG S folds to one of them ('s').
std::size_t contraction_end(std::string_view text, std::size_t pos, bool case_insensitive) {
  const std::size_t a = pos + 1;
  if (a >= text.size()) return 0;
  const auto letter = [&](std::size_t i, char lower) {
    if (i >= text.size()) return false;
    return case_insensitive ? is_ascii_letter_ci(text[i], lower) : text[i] == lower;
  };
  if (letter(a, 's') || letter(a, 't') || letter(a, 'm') || letter(a, 'd')) return a + 1;
  if (case_insensitive && text.compare(a, 2, "\xC5\xBF") == 0) return a + 2;  // U+017F
  if ((letter(a, 'r') || letter(a, 'v')) && letter(a + 1, 'e')) return a + 2;
  if (letter(a, 'l') && letter(a + 1, 'l')) return a + 2;
  return 0;
}

// `\s+(?!\S)|\s+` from pos (a white-space character): the run, less its last character when a
// non-space follows and the run has more than one character.
std::size_t space_run_match_end(std::string_view text, std::size_t pos) {
  std::size_t last_start = pos;
  std::size_t end = pos;
  while (end < text.size()) {
    const Char c = char_at(text, end);
    if (c.cls != CharClass::white_space) break;
    last_start = end;
    end += c.len;
  }
  if (end == text.size() || last_start == pos) return end;
  return last_start;
}

// Qwen2 and Llama-3: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,max_digits}|
// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
std::size_t qwen_style_match_end(std::string_view text, std::size_t pos, int max_digits) {
  const Char c = char_at(text, pos);
  if (c.cp == '\'') {
    if (const std::size_t end = contraction_end(text, pos, true)) return end;
  }
  if (c.cls == CharClass::letter) return run_end(text, pos, CharClass::letter);
  if (c.cls == CharClass::number) {
    return bounded_run_end(text, pos, CharClass::number, max_digits);
  }
  const std::size_t next = pos + c.len;
  const bool has_next = next < text.size();
  const Char n = has_next ? char_at(text, next) : Char{0, CharClass::other, 0};
  // [^\r\n\p{L}\p{N}]?\p{L}+ with the optional character present.
  if (c.cp != '\r' && c.cp != '\n' && has_next && n.cls == CharClass::letter) {
    return run_end(text, next, CharClass::letter);
  }
  if (c.cls == CharClass::other) {
    return line_breaks_end(text, run_end(text, pos, CharClass::other));
  }
  // c is white space.
  if (c.cp == ' ' && has_next && n.cls == CharClass::other) {
    return line_breaks_end(text, run_end(text, next, CharClass::other));
  }
  // \s*[\r\n]+ : the white-space run up to and including its last line break.
  std::size_t end = pos;
  std::size_t after_last_break = 0;
  while (end < text.size()) {
    const Char s = char_at(text, end);
    if (s.cls != CharClass::white_space) break;
    end += s.len;
    if (s.cp == '\r' || s.cp == '\n') after_last_break = end;
  }
  if (after_last_break != 0) return after_last_break;
  return space_run_match_end(text, pos);
}

// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
std::size_t gpt2_match_end(std::string_view text, std::size_t pos) {
  const Char c = char_at(text, pos);
  if (c.cp == '\'') {
    if (const std::size_t end = contraction_end(text, pos, false)) return end;
  }
  if (c.cls != CharClass::white_space) return run_end(text, pos, c.cls);
  const std::size_t next = pos + c.len;
  if (c.cp == ' ' && next < text.size()) {
    const Char n = char_at(text, next);
    if (n.cls != CharClass::white_space) return run_end(text, next, n.cls);
  }
  return space_run_match_end(text, pos);
}

}  // namespace

std::string_view known_pattern_regex(KnownPattern pattern) {
  switch (pattern) {
    case KnownPattern::qwen2:
      return kQwen2Regex;
    case KnownPattern::llama3:
      return kLlama3Regex;
    case KnownPattern::gpt2:
      return kGpt2Regex;
  }
  return {};
}

std::optional<KnownPattern> find_known_pattern(std::string_view regex) {
  for (KnownPattern p : {KnownPattern::qwen2, KnownPattern::llama3, KnownPattern::gpt2}) {
    if (regex == known_pattern_regex(p)) return p;
  }
  return std::nullopt;
}

std::size_t known_pattern_match_end(KnownPattern pattern, std::string_view text, std::size_t pos) {
  switch (pattern) {
    case KnownPattern::qwen2:
      return qwen_style_match_end(text, pos, 1);
    case KnownPattern::llama3:
      return qwen_style_match_end(text, pos, 3);
    case KnownPattern::gpt2:
      return gpt2_match_end(text, pos);
  }
  return text.size();
}

void split_known_pattern(KnownPattern pattern, std::string_view text,
                         std::vector<std::size_t>& ends) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    pos = known_pattern_match_end(pattern, text, pos);
    ends.push_back(pos);
  }
}

}  // namespace r1::tok
