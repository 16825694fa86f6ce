// Internal to the GGUF reader: bounds-checked little-endian decoding of GGUF's primitives
// (integers, u64-length strings, metadata values) from a byte span. Every read checks the bytes
// that remain before it touches or allocates anything, and every failure names the file and byte
// offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "io/gguf_value.h"

namespace r1::io {

/// Deepest array nesting accepted (an array of arrays of i32 has depth 2). llama.cpp reads no
/// nested arrays at all; gguf-py writes them. Deeper nesting is Error(limit_exceeded).
inline constexpr int kMaxGgufArrayDepth = 8;

/// Most array values inside nested arrays accepted in one file (each becomes a GgufValue, which is
/// much larger than the 12 bytes it takes in the file). More is Error(limit_exceeded).
inline constexpr std::uint64_t kMaxGgufNestedArrays = 1u << 20;

/// `text` quoted for an error message: bytes outside printable ASCII as \xNN, cut after 100 bytes.
std::string gguf_quote(std::string_view text);

class GgufCursor {
 public:
  GgufCursor(std::span<const std::byte> bytes, const std::string& origin)
      : bytes_(bytes), origin_(origin) {}

  std::uint64_t offset() const { return offset_; }
  std::uint64_t remaining() const { return bytes_.size() - offset_; }
  const std::string& origin() const { return origin_; }

  std::uint8_t u8(const std::string& what) { return static_cast<std::uint8_t>(load(1, what)); }
  std::uint32_t u32(const std::string& what) { return static_cast<std::uint32_t>(load(4, what)); }
  std::uint64_t u64(const std::string& what) { return load(8, what); }
  /// `count` bytes as a view; the cursor moves past them.
  const std::byte* take(std::uint64_t count, const std::string& what);
  /// A GGUF string (u64 length, then that many bytes) as a view into the bytes.
  std::string_view string(const std::string& what);

  /// Throws Error(invalid_file): "<origin>: byte <at>: <what> (...)".
  [[noreturn]] void fail(std::uint64_t at, const std::string& what) const;
  /// Throws Error(invalid_file) if fewer than count × unit bytes remain (overflow-safe); `what`
  /// names the count ("array of 5000000000 u32").
  void require(std::uint64_t count, std::uint64_t unit, const std::string& what) const;

  /// Reads one metadata value of `type` (already read) whose payload starts here. `where` names it
  /// ("metadata key 'x'"); `depth` is the array nesting so far (0 at a key).
  GgufValue value(GgufValueType type, const std::string& where, int depth);

 private:
  std::uint64_t load(std::size_t size, const std::string& what);
  GgufValue array(const std::string& where, int depth);

  std::span<const std::byte> bytes_;
  const std::string& origin_;
  std::uint64_t offset_ = 0;
  std::uint64_t nested_arrays_ = 0;
};

/// The value type of a raw id, or Error(invalid_file) at `at` for an id above 12.
GgufValueType gguf_value_type_from_id(const GgufCursor& cursor, std::uint64_t at, std::uint32_t id,
                                      const std::string& where);

}  // namespace r1::io
