// One GGUF metadata value: a scalar, a string, or an array (of scalars, strings or arrays). Values
// are views into the file's bytes: strings are std::string_view into the mapping (GGUF strings are
// a u64 length and bytes, not NUL-terminated, and may contain NULs), scalar arrays keep a pointer
// to their little-endian elements, so a 151k-token vocabulary loads without copying its text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace r1::io {

/// GGUF metadata value types as the file stores them (u32).
enum class GgufValueType : std::uint32_t {
  u8 = 0,
  i8 = 1,
  u16 = 2,
  i16 = 3,
  u32 = 4,
  i32 = 5,
  f32 = 6,
  boolean = 7,
  string = 8,
  array = 9,
  u64 = 10,
  i64 = 11,
  f64 = 12,
};

/// Short name for messages: "u8", "i32", "f32", "bool", "string", "array", ...
const char* gguf_value_type_name(GgufValueType type);

/// Bytes one element of a scalar type takes in the file (u8: 1 ... f64: 8); 0 for string/array.
std::size_t gguf_scalar_size(GgufValueType type);

/// True for the eight integer types.
bool gguf_is_integer(GgufValueType type);

/// A parsed value. The views stay valid while the GgufFile (and for GgufFile::parse, the caller's
/// bytes) live.
class GgufValue {
 public:
  GgufValueType type() const { return type_; }
  /// Byte offset in the file where the value's payload starts (after its type field).
  std::uint64_t offset() const { return offset_; }

  /// Human-readable type: "u32", "string", "array of string", "array of array of i32".
  std::string type_text() const;

  // Scalars. Each returns nullopt when the value is not of a fitting type.

  /// An integer type whose value is >= 0 (u8..u64, or i8..i64 holding a non-negative value).
  std::optional<std::uint64_t> to_uint() const;
  /// An integer type whose value fits in int64 (everything but u64 values above INT64_MAX).
  std::optional<std::int64_t> to_int() const;
  /// f32 or f64 (f32 converted exactly).
  std::optional<double> to_float() const;
  std::optional<bool> to_bool() const;
  std::optional<std::string_view> to_string() const;
  /// A scalar's payload as stored (little-endian, zero-extended to 64 bits; floats as their bits).
  std::uint64_t bits() const { return bits_; }

  // Arrays. On a non-array value, element_type() is meaningless and size() is 0.

  /// Type of the array's elements.
  GgufValueType element_type() const { return element_type_; }
  /// Number of elements.
  std::uint64_t size() const { return count_; }
  /// The elements of an array of strings (empty span for other types).
  std::span<const std::string_view> strings() const { return strings_; }
  /// The elements of an array of arrays (empty span for other types).
  std::span<const GgufValue> items() const { return items_; }
  /// Element `index` of an array of scalars as a scalar value; nullopt when out of range or the
  /// array holds strings or arrays.
  std::optional<GgufValue> element(std::uint64_t index) const;
  /// The little-endian bytes of an array of scalars (size() × gguf_scalar_size(element_type())).
  std::span<const std::byte> raw_elements() const;

  // Built by the parser (GgufCursor in gguf_cursor.cpp) only.
  static GgufValue make_scalar(GgufValueType type, std::uint64_t bits, std::uint64_t offset);
  static GgufValue make_string(std::string_view text, std::uint64_t offset);
  static GgufValue make_scalar_array(GgufValueType element_type, const std::byte* elements,
                                     std::uint64_t count, std::uint64_t offset);
  static GgufValue make_string_array(std::vector<std::string_view> strings, std::uint64_t offset);
  static GgufValue make_nested_array(GgufValueType element_type, std::vector<GgufValue> items,
                                     std::uint64_t offset);

 private:
  GgufValueType type_ = GgufValueType::u8;
  GgufValueType element_type_ = GgufValueType::u8;
  std::uint64_t bits_ = 0;  // a scalar's little-endian payload, zero-extended
  std::uint64_t offset_ = 0;
  std::uint64_t count_ = 0;
  std::string_view string_;
  const std::byte* elements_ = nullptr;  // scalar arrays
  std::vector<std::string_view> strings_;
  std::vector<GgufValue> items_;  // arrays of arrays
};

}  // namespace r1::io
