#include "core/utf8.h"

#include "r1/error.h"

namespace r1::utf8 {
namespace {

struct SequenceShape {
  std::size_t length;        // bytes a complete sequence with this lead byte has (0: invalid lead)
  unsigned char second_low;  // allowed range of the second byte (Unicode Table 3-7)
  unsigned char second_high;
};

SequenceShape shape_of(unsigned char lead) {
  if (lead < 0x80) return {1, 0, 0};
  if (lead < 0xC2) return {0, 0, 0};
  if (lead < 0xE0) return {2, 0x80, 0xBF};
  if (lead == 0xE0) return {3, 0xA0, 0xBF};
  if (lead == 0xED) return {3, 0x80, 0x9F};
  if (lead < 0xF0) return {3, 0x80, 0xBF};
  if (lead == 0xF0) return {4, 0x90, 0xBF};
  if (lead < 0xF4) return {4, 0x80, 0xBF};
  if (lead == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};
}

// Bytes of the longest prefix starting at pos that is (the start of) a well-formed sequence.
// Sets `complete` when that prefix is a whole sequence.
std::size_t well_formed_prefix(std::string_view text, std::size_t pos, bool& complete) {
  complete = false;
  const auto lead = static_cast<unsigned char>(text[pos]);
  const SequenceShape shape = shape_of(lead);
  if (shape.length == 0) return 0;
  if (shape.length == 1) {
    complete = true;
    return 1;
  }
  std::size_t n = 1;
  while (n < shape.length && pos + n < text.size()) {
    const auto byte = static_cast<unsigned char>(text[pos + n]);
    const unsigned char low = n == 1 ? shape.second_low : 0x80;
    const unsigned char high = n == 1 ? shape.second_high : 0xBF;
    if (byte < low || byte > high) break;
    ++n;
  }
  complete = n == shape.length;
  return n;
}

}  // namespace

std::size_t valid_sequence_length(std::string_view text, std::size_t pos) {
  if (pos >= text.size()) return 0;
  bool complete = false;
  const std::size_t n = well_formed_prefix(text, pos, complete);
  return complete ? n : 0;
}

std::optional<std::size_t> find_invalid(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    // ASCII fast path: eight bytes at a time while none has the high bit set.
    while (pos + 8 <= text.size()) {
      std::uint64_t word = 0;
      for (int i = 0; i < 8; ++i)
        word |= std::uint64_t(static_cast<unsigned char>(text[pos + i])) << (8 * i);
      if (word & 0x8080808080808080ULL) break;
      pos += 8;
    }
    if (pos >= text.size()) break;
    const std::size_t n = valid_sequence_length(text, pos);
    if (n == 0) return pos;
    pos += n;
  }
  return std::nullopt;
}

void require_valid(std::string_view text, std::string_view what) {
  if (auto bad = find_invalid(text)) {
    char hex[8];
    static const char* digits = "0123456789ABCDEF";
    const auto byte = static_cast<unsigned char>(text[*bad]);
    hex[0] = '0';
    hex[1] = 'x';
    hex[2] = digits[byte >> 4];
    hex[3] = digits[byte & 15];
    hex[4] = '\0';
    throw Error(ErrorCode::invalid_argument,
                std::string(what) + " is not valid UTF-8: byte " + hex + " at offset " +
                    std::to_string(*bad) + " does not start a valid sequence; send UTF-8 text");
  }
}

char32_t decode_at(std::string_view text, std::size_t& pos) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  if (lead < 0x80) {
    ++pos;
    return lead;
  }
  const std::size_t n = lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
  char32_t cp = lead & (0x7F >> n);
  for (std::size_t i = 1; i < n; ++i)
    cp = (cp << 6) | (static_cast<unsigned char>(text[pos + i]) & 0x3F);
  pos += n;
  return cp;
}

void append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string to_valid_lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    bool complete = false;
    const std::size_t n = well_formed_prefix(bytes, pos, complete);
    if (complete) {
      out.append(bytes.substr(pos, n));
      pos += n;
    } else {
      append(out, kReplacement);  // one U+FFFD per maximal invalid subpart
      pos += n == 0 ? 1 : n;
    }
  }
  return out;
}

std::size_t incomplete_tail_length(std::string_view bytes) {
  // A sequence is at most 4 bytes, so only a lead byte in the last 3 can start an incomplete one.
  const std::size_t first = bytes.size() > 3 ? bytes.size() - 3 : 0;
  std::size_t pos = first;
  while (pos < bytes.size()) {
    const auto byte = static_cast<unsigned char>(bytes[pos]);
    if ((byte & 0xC0) == 0x80) {  // continuation byte: not a start
      ++pos;
      continue;
    }
    bool complete = false;
    const std::size_t n = well_formed_prefix(bytes, pos, complete);
    if (!complete && n > 0 && pos + n == bytes.size()) return n;
    pos += n == 0 ? 1 : n;
  }
  return 0;
}

}  // namespace r1::utf8
