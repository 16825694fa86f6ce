// Unicode character classes and transforms used by normalizers and pre-tokenizers, backed by
// utf8proc. Classes follow the engines Hugging Face `tokenizers` uses: Oniguruma's `\p{L}`,
// `\p{N}`, `\s` for Split regexes and Rust's `char` methods for the other components.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace r1::tok::unicode {

/// General category as utf8proc_category_t numbers it (0 Cn, 1 Lu, ... 29 Co). Code points that
/// utf8proc leaves unassigned but a later Unicode version (the one Oniguruma in Hugging Face
/// `tokenizers` uses) assigns get their category from unicode_supplement.inc.
int general_category(char32_t cp);

/// General category L* (Lu, Ll, Lt, Lm, Lo): regex `\p{L}`.
bool is_letter(char32_t cp);
/// General category N* (Nd, Nl, No): regex `\p{N}`, Rust `char::is_numeric`.
bool is_number(char32_t cp);
/// The White_Space property: Oniguruma `\s` and Rust `char::is_whitespace`.
bool is_white_space(char32_t cp);
/// General category M* (Mn, Mc, Me).
bool is_mark(char32_t cp);
/// General category Nd.
bool is_decimal_number(char32_t cp);
/// General category Nl.
bool is_letter_number(char32_t cp);
/// General category Pc.
bool is_connector_punctuation(char32_t cp);

// The next four serve components Hugging Face implements with older Rust crates
// (unicode_categories, unicode-normalization-alignments), whose tables predate the latest
// Unicode: they use utf8proc's own data without the supplement, which matches them more often.

/// General category P* (Pc, Pd, Ps, Pe, Pi, Pf, Po): Punctuation, BertPreTokenizer.
bool is_punctuation(char32_t cp);
/// General category Mn (nonspacing mark): BertNormalizer's accent stripping.
bool is_mark_nonspacing(char32_t cp);
/// General category M*: StripAccents.
bool is_combining_mark(char32_t cp);
/// General category Cc, Cf, Cs or Co (not Cn: unassigned code points are kept), the
/// unicode_categories `is_other` BertNormalizer's clean_text removes.
bool is_other(char32_t cp);

/// The coarse class the known split patterns distinguish (see split_known_patterns.h).
enum class CharClass : std::uint8_t { letter, number, white_space, other };
/// Class of `cp`: letter / number / white space as above, everything else `other`.
CharClass classify(char32_t cp);
/// classify() of the ASCII code points, for hot loops that skip decoding ASCII.
extern const std::array<CharClass, 128> kAsciiClasses;

enum class NormalForm { nfc, nfd, nfkc, nfkd };
/// Decodes the code point at text[pos] of valid UTF-8 (the caller validated the text) and
/// advances pos past it.
inline char32_t decode_valid(std::string_view text, std::size_t& pos) {
  const auto b0 = static_cast<unsigned char>(text[pos]);
  if (b0 < 0x80) {
    pos += 1;
    return b0;
  }
  const auto byte = [&](std::size_t i) { return static_cast<char32_t>(text[pos + i]) & 0x3F; };
  char32_t cp;
  if (b0 < 0xE0) {
    cp = ((b0 & 0x1F) << 6) | byte(1);
    pos += 2;
  } else if (b0 < 0xF0) {
    cp = ((b0 & 0x0F) << 12) | (byte(1) << 6) | byte(2);
    pos += 3;
  } else {
    cp = ((b0 & 0x07) << 18) | (byte(1) << 12) | (byte(2) << 6) | byte(3);
    pos += 4;
  }
  return cp;
}

/// Unicode normalization of valid UTF-8 `text`.
std::string normalize(std::string_view text, NormalForm form);

/// Lowercases every code point like Rust's `char::to_lowercase` (full mapping of single code
/// points, no context: U+0130 becomes "i\u0307", final sigma is not special).
std::string to_lower(std::string_view text);

}  // namespace r1::tok::unicode
