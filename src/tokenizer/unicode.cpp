#include "tokenizer/unicode.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <vector>

#include <utf8proc.h>

#include "core/utf8.h"
#include "r1/error.h"

namespace r1::tok::unicode {
namespace {

struct SupplementRange {
  char32_t first;
  char32_t last;
  int category;
};

constexpr SupplementRange kSupplement[] = {
#include "tokenizer/unicode_supplement.inc"
};

// The supplement's category for cp, or -1 when the table does not list it.
int supplement_category(char32_t cp) {
  const auto* end = std::end(kSupplement);
  const auto* it =
      std::upper_bound(std::begin(kSupplement), end, cp,
                       [](char32_t c, const SupplementRange& r) { return c < r.first; });
  if (it == std::begin(kSupplement)) return -1;
  --it;
  return cp <= it->last ? it->category : -1;
}

int lookup_category(char32_t cp) {
  const int supplemented = supplement_category(cp);
  if (supplemented >= 0) return supplemented;
  return utf8proc_category(static_cast<utf8proc_int32_t>(cp));
}

// Categories of the Basic Multilingual Plane precomputed (64 KiB): one load per character in the
// splitters' hot loops instead of utf8proc's lookups and the supplement's binary search.
const std::array<std::uint8_t, 0x10000>& bmp_categories() {
  static const auto table = [] {
    auto t = std::make_unique<std::array<std::uint8_t, 0x10000>>();
    for (char32_t cp = 0; cp < 0x10000; ++cp)
      (*t)[cp] = static_cast<std::uint8_t>(lookup_category(cp));
    return t;
  }();
  return *table;
}

int category_of(char32_t cp) {
  if (cp < 0x10000) return bmp_categories()[cp];
  return lookup_category(cp);
}

// ASCII classes computed once, so the splitters' hot loops avoid utf8proc's two-level lookup.
constexpr std::array<CharClass, 128> make_ascii_classes() {
  std::array<CharClass, 128> classes{};
  for (char32_t c = 0; c < 128; ++c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      classes[c] = CharClass::letter;
    } else if (c >= '0' && c <= '9') {
      classes[c] = CharClass::number;
    } else if (c == ' ' || (c >= 0x09 && c <= 0x0D)) {
      classes[c] = CharClass::white_space;
    } else {
      classes[c] = CharClass::other;
    }
  }
  return classes;
}

// "Inert" code points for NFC: canonical combining class 0, unchanged by NFC on their own, and
// never the second part of a canonical composition. A boundary before an inert code point splits
// the text into parts NFC handles independently, so only the parts around other code points go
// through utf8proc (which allocates), and most text is copied as is.
std::vector<bool> make_bmp_nfc_inert() {
  std::vector<bool> second(0x10000, false);
  for (char32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    const auto* prop = utf8proc_get_property(static_cast<utf8proc_int32_t>(cp));
    if (prop->decomp_seqindex == UINT16_MAX || prop->decomp_type != 0) continue;
    // Every code point after the first of a canonical decomposition may compose with what
    // precedes it.
    utf8proc_int32_t parts[8];
    int boundclass = 0;
    const auto n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(cp), parts, 8,
                                           UTF8PROC_DECOMPOSE, &boundclass);
    for (utf8proc_ssize_t i = 1; i < n && i < 8; ++i) {
      if (parts[i] < 0x10000) second[static_cast<std::size_t>(parts[i])] = true;
    }
  }
  for (char32_t cp = 0x1161; cp <= 0x1175; ++cp) second[cp] = true;  // Hangul vowel jamo
  for (char32_t cp = 0x11A8; cp <= 0x11C2; ++cp) second[cp] = true;  // Hangul trailing jamo
  std::vector<bool> inert(0x10000, false);
  for (char32_t cp = 0; cp < 0x10000; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    const auto* prop = utf8proc_get_property(static_cast<utf8proc_int32_t>(cp));
    const bool canonical_decomposition =
        prop->decomp_seqindex != UINT16_MAX && prop->decomp_type == 0;
    // Below U+0300 the precomposed Latin-1 / Latin Extended letters are already NFC.
    inert[cp] =
        prop->combining_class == 0 && !second[cp] && (cp < 0x300 || !canonical_decomposition);
  }
  return inert;
}

bool is_nfc_inert(char32_t cp) {
  if (cp < 0x300) return true;
  if (cp < 0x10000) {
    static const std::vector<bool> bmp = make_bmp_nfc_inert();
    return bmp[cp];
  }
  // Emoji and symbols, and the CJK ideograph planes without the compatibility ideographs.
  return (cp >= 0x1F000 && cp <= 0x1FAFF) || (cp >= 0x20000 && cp <= 0x2F7FF) ||
         (cp >= 0x30000 && cp <= 0x3FFFF);
}

bool is_ascii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

}  // namespace

const std::array<CharClass, 128> kAsciiClasses = make_ascii_classes();

int general_category(char32_t cp) {
  return category_of(cp);
}

bool is_letter(char32_t cp) {
  if (cp < 128) return kAsciiClasses[cp] == CharClass::letter;
  const int cat = category_of(cp);
  return cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO;
}

bool is_number(char32_t cp) {
  if (cp < 128) return kAsciiClasses[cp] == CharClass::number;
  const int cat = category_of(cp);
  return cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO;
}

bool is_white_space(char32_t cp) {
  // The White_Space property (PropList.txt); stable since Unicode 6.3.
  if (cp < 128) return kAsciiClasses[cp] == CharClass::white_space;
  switch (cp) {
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

bool is_punctuation(char32_t cp) {
  const int cat = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
  return cat >= UTF8PROC_CATEGORY_PC && cat <= UTF8PROC_CATEGORY_PO;
}

bool is_mark_nonspacing(char32_t cp) {
  return utf8proc_category(static_cast<utf8proc_int32_t>(cp)) == UTF8PROC_CATEGORY_MN;
}

bool is_mark(char32_t cp) {
  const int cat = category_of(cp);
  return cat >= UTF8PROC_CATEGORY_MN && cat <= UTF8PROC_CATEGORY_ME;
}

bool is_decimal_number(char32_t cp) {
  return category_of(cp) == UTF8PROC_CATEGORY_ND;
}

bool is_letter_number(char32_t cp) {
  return category_of(cp) == UTF8PROC_CATEGORY_NL;
}

bool is_connector_punctuation(char32_t cp) {
  return category_of(cp) == UTF8PROC_CATEGORY_PC;
}

bool is_other(char32_t cp) {
  const int cat = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
  return cat >= UTF8PROC_CATEGORY_CC && cat <= UTF8PROC_CATEGORY_CO;
}

bool is_combining_mark(char32_t cp) {
  const int cat = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
  return cat >= UTF8PROC_CATEGORY_MN && cat <= UTF8PROC_CATEGORY_ME;
}

CharClass classify(char32_t cp) {
  if (cp < 128) return kAsciiClasses[cp];
  if (is_white_space(cp)) return CharClass::white_space;
  const int cat = category_of(cp);
  if (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) return CharClass::letter;
  if (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO) return CharClass::number;
  return CharClass::other;
}

namespace {

std::string utf8proc_normalize(std::string_view text, NormalForm form) {
  int options = UTF8PROC_STABLE;
  switch (form) {
    case NormalForm::nfc:
      options |= UTF8PROC_COMPOSE;
      break;
    case NormalForm::nfd:
      options |= UTF8PROC_DECOMPOSE;
      break;
    case NormalForm::nfkc:
      options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT;
      break;
    case NormalForm::nfkd:
      options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT;
      break;
  }
  utf8proc_uint8_t* raw = nullptr;
  const utf8proc_ssize_t length = utf8proc_map(
      reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
      static_cast<utf8proc_ssize_t>(text.size()), &raw, static_cast<utf8proc_option_t>(options));
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(raw, &std::free);
  if (length < 0) {
    // Only reachable for invalid UTF-8 or out of memory; callers pass validated text.
    throw Error(ErrorCode::invalid_argument,
                std::string("Unicode normalization failed: ") + utf8proc_errmsg(length));
  }
  return std::string(reinterpret_cast<const char*>(raw), static_cast<std::size_t>(length));
}

// NFC part by part: runs of non-inert code points, together with the inert code point before
// them (which they may compose with), go through utf8proc; everything else is copied.
std::string nfc_by_parts(std::string_view text) {
  constexpr std::size_t kNone = std::string_view::npos;
  std::string out;
  std::size_t copied = 0;        // text[0, copied) is in `out`
  std::size_t previous = kNone;  // start of the preceding inert code point
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t start = pos;
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      previous = start;
      ++pos;
      continue;
    }
    if (is_nfc_inert(decode_valid(text, pos))) {
      previous = start;
      continue;
    }
    const std::size_t part_start = previous != kNone && previous >= copied ? previous : start;
    std::size_t part_end = pos;
    while (part_end < text.size()) {
      std::size_t next = part_end;
      if (static_cast<unsigned char>(text[next]) < 0x80 || is_nfc_inert(decode_valid(text, next))) {
        break;
      }
      part_end = next;
    }
    if (out.empty()) out.reserve(text.size() + 16);
    out.append(text.substr(copied, part_start - copied));
    out += utf8proc_normalize(text.substr(part_start, part_end - part_start), NormalForm::nfc);
    copied = part_end;
    pos = part_end;
    previous = kNone;
  }
  if (copied == 0) return std::string(text);
  out.append(text.substr(copied));
  return out;
}

}  // namespace

std::string normalize(std::string_view text, NormalForm form) {
  if (is_ascii(text)) return std::string(text);
  if (form == NormalForm::nfc) return nfc_by_parts(text);
  return utf8proc_normalize(text, form);
}

std::string to_lower(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto byte = static_cast<unsigned char>(text[pos]);
    if (byte < 0x80) {
      out.push_back(static_cast<char>(byte >= 'A' && byte <= 'Z' ? byte + ('a' - 'A') : byte));
      ++pos;
      continue;
    }
    const char32_t cp = decode_valid(text, pos);
    if (cp == 0x130) {
      // The one unconditional multi-code-point lowercase mapping (SpecialCasing.txt).
      out += "i\xCC\x87";
      continue;
    }
    utf8::append(out, static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp))));
  }
  return out;
}

}  // namespace r1::tok::unicode
