#include "tokenizer/byte_level.h"

#include <array>

#include "core/utf8.h"
#include "tokenizer/unicode.h"

namespace r1::tok {
namespace {

// GPT-2's bytes_to_unicode(): printable Latin-1 bytes stand for themselves, the 68 others take
// the code points 256, 257, ... in byte order.
struct ByteAlphabet {
  std::array<std::string, 256> byte_to_utf8;
  std::array<char32_t, 256> byte_to_cp{};
  std::array<int, 324> cp_to_byte{};  // index: code point < 324, -1 when not in the alphabet

  ByteAlphabet() {
    cp_to_byte.fill(-1);
    char32_t next_extra = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
      const char32_t cp = printable ? static_cast<char32_t>(b) : next_extra++;
      byte_to_cp[b] = cp;
      cp_to_byte[cp] = b;
      utf8::append(byte_to_utf8[b], cp);
    }
  }
};

const ByteAlphabet& alphabet() {
  static const ByteAlphabet instance;
  return instance;
}

}  // namespace

const std::string& byte_to_char(unsigned char byte) {
  return alphabet().byte_to_utf8[byte];
}

std::optional<std::string> byte_level_decode(std::string_view text) {
  const ByteAlphabet& a = alphabet();
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (utf8::valid_sequence_length(text, pos) == 0) return std::nullopt;
    const char32_t cp = unicode::decode_valid(text, pos);
    if (cp >= a.cp_to_byte.size() || a.cp_to_byte[cp] < 0) return std::nullopt;
    out.push_back(static_cast<char>(a.cp_to_byte[cp]));
  }
  return out;
}

std::string byte_level_encode(std::string_view bytes) {
  const ByteAlphabet& a = alphabet();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) out += a.byte_to_utf8[static_cast<unsigned char>(c)];
  return out;
}

}  // namespace r1::tok
