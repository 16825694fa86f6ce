#include "io/gguf_value.h"

#include <bit>
#include <cstring>
#include <limits>

namespace r1::io {
namespace {

std::uint64_t load_le(const std::byte* p, std::size_t size) {
  std::uint64_t value = 0;
  for (std::size_t i = size; i-- > 0;) value = (value << 8) | std::to_integer<std::uint64_t>(p[i]);
  return value;
}

// The signed value of a sign-extended payload of `size` bytes.
std::int64_t sign_extend(std::uint64_t bits, std::size_t size) {
  if (size == 8) return std::bit_cast<std::int64_t>(bits);
  const std::uint64_t sign = std::uint64_t{1} << (8 * size - 1);
  return static_cast<std::int64_t>(bits ^ sign) - static_cast<std::int64_t>(sign);
}

bool is_signed(GgufValueType type) {
  return type == GgufValueType::i8 || type == GgufValueType::i16 || type == GgufValueType::i32 ||
         type == GgufValueType::i64;
}

}  // namespace

const char* gguf_value_type_name(GgufValueType type) {
  switch (type) {
    case GgufValueType::u8:
      return "u8";
    case GgufValueType::i8:
      return "i8";
    case GgufValueType::u16:
      return "u16";
    case GgufValueType::i16:
      return "i16";
    case GgufValueType::u32:
      return "u32";
    case GgufValueType::i32:
      return "i32";
    case GgufValueType::f32:
      return "f32";
    case GgufValueType::boolean:
      return "bool";
    case GgufValueType::string:
      return "string";
    case GgufValueType::array:
      return "array";
    case GgufValueType::u64:
      return "u64";
    case GgufValueType::i64:
      return "i64";
    case GgufValueType::f64:
      return "f64";
  }
  return "unknown";
}

std::size_t gguf_scalar_size(GgufValueType type) {
  switch (type) {
    case GgufValueType::u8:
    case GgufValueType::i8:
    case GgufValueType::boolean:
      return 1;
    case GgufValueType::u16:
    case GgufValueType::i16:
      return 2;
    case GgufValueType::u32:
    case GgufValueType::i32:
    case GgufValueType::f32:
      return 4;
    case GgufValueType::u64:
    case GgufValueType::i64:
    case GgufValueType::f64:
      return 8;
    case GgufValueType::string:
    case GgufValueType::array:
      return 0;
  }
  return 0;
}

bool gguf_is_integer(GgufValueType type) {
  switch (type) {
    case GgufValueType::u8:
    case GgufValueType::i8:
    case GgufValueType::u16:
    case GgufValueType::i16:
    case GgufValueType::u32:
    case GgufValueType::i32:
    case GgufValueType::u64:
    case GgufValueType::i64:
      return true;
    default:
      return false;
  }
}

std::string GgufValue::type_text() const {
  if (type_ != GgufValueType::array) return gguf_value_type_name(type_);
  std::string text = "array of ";
  if (element_type_ != GgufValueType::array) return text + gguf_value_type_name(element_type_);
  return text + (items_.empty() ? "array" : items_.front().type_text());
}

std::optional<std::uint64_t> GgufValue::to_uint() const {
  if (!gguf_is_integer(type_)) return std::nullopt;
  if (!is_signed(type_)) return bits_;
  const std::int64_t value = sign_extend(bits_, gguf_scalar_size(type_));
  if (value < 0) return std::nullopt;
  return static_cast<std::uint64_t>(value);
}

std::optional<std::int64_t> GgufValue::to_int() const {
  if (!gguf_is_integer(type_)) return std::nullopt;
  if (is_signed(type_)) return sign_extend(bits_, gguf_scalar_size(type_));
  if (bits_ > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(bits_);
}

std::optional<double> GgufValue::to_float() const {
  if (type_ == GgufValueType::f32) {
    return static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(bits_)));
  }
  if (type_ == GgufValueType::f64) return std::bit_cast<double>(bits_);
  return std::nullopt;
}

std::optional<bool> GgufValue::to_bool() const {
  if (type_ != GgufValueType::boolean) return std::nullopt;
  return bits_ != 0;
}

std::optional<std::string_view> GgufValue::to_string() const {
  if (type_ != GgufValueType::string) return std::nullopt;
  return string_;
}

std::optional<GgufValue> GgufValue::element(std::uint64_t index) const {
  if (type_ != GgufValueType::array || gguf_scalar_size(element_type_) == 0 || index >= count_) {
    return std::nullopt;
  }
  const std::size_t size = gguf_scalar_size(element_type_);
  return make_scalar(element_type_, load_le(elements_ + index * size, size),
                     offset_ + 12 + index * size);
}

std::span<const std::byte> GgufValue::raw_elements() const {
  if (type_ != GgufValueType::array || gguf_scalar_size(element_type_) == 0) return {};
  return {elements_, static_cast<std::size_t>(count_ * gguf_scalar_size(element_type_))};
}

GgufValue GgufValue::make_scalar(GgufValueType type, std::uint64_t bits, std::uint64_t offset) {
  GgufValue value;
  value.type_ = type;
  value.bits_ = bits;
  value.offset_ = offset;
  return value;
}

GgufValue GgufValue::make_string(std::string_view text, std::uint64_t offset) {
  GgufValue value;
  value.type_ = GgufValueType::string;
  value.string_ = text;
  value.offset_ = offset;
  return value;
}

GgufValue GgufValue::make_scalar_array(GgufValueType element_type, const std::byte* elements,
                                       std::uint64_t count, std::uint64_t offset) {
  GgufValue value;
  value.type_ = GgufValueType::array;
  value.element_type_ = element_type;
  value.elements_ = elements;
  value.count_ = count;
  value.offset_ = offset;
  return value;
}

GgufValue GgufValue::make_string_array(std::vector<std::string_view> strings,
                                       std::uint64_t offset) {
  GgufValue value;
  value.type_ = GgufValueType::array;
  value.element_type_ = GgufValueType::string;
  value.count_ = strings.size();
  value.strings_ = std::move(strings);
  value.offset_ = offset;
  return value;
}

GgufValue GgufValue::make_nested_array(GgufValueType element_type, std::vector<GgufValue> items,
                                       std::uint64_t offset) {
  GgufValue value;
  value.type_ = GgufValueType::array;
  value.element_type_ = element_type;
  value.count_ = items.size();
  value.items_ = std::move(items);
  value.offset_ = offset;
  return value;
}

}  // namespace r1::io
