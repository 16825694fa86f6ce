#include "io/gguf_cursor.h"

#include <vector>

#include "r1/error.h"

namespace r1::io {

std::string gguf_quote(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "'";
  const std::size_t shown = text.size() > 100 ? 100 : text.size();
  for (std::size_t i = 0; i < shown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7F && c != '\\' && c != '\'') {
      out.push_back(static_cast<char>(c));
    } else if (c == '\\' || c == '\'') {
      out += '\\';
      out.push_back(static_cast<char>(c));
    } else if (c >= 0x80) {
      // Keep UTF-8 readable; error messages are UTF-8 already.
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  if (shown < text.size()) out += "...(" + std::to_string(text.size()) + " bytes)";
  return out + "'";
}

void GgufCursor::fail(std::uint64_t at, const std::string& what) const {
  throw Error(ErrorCode::invalid_file, origin_ + ": byte " + std::to_string(at) + ": " + what +
                                           " (the GGUF file is malformed or truncated; download "
                                           "or convert it again)");
}

void GgufCursor::require(std::uint64_t count, std::uint64_t unit, const std::string& what) const {
  // count × unit may not fit in 64 bits; comparing against remaining / unit cannot overflow.
  if (unit != 0 && count > remaining() / unit) {
    fail(offset_, what + " needs at least " + std::to_string(count) + " × " + std::to_string(unit) +
                      " bytes but only " + std::to_string(remaining()) + " remain in the " +
                      std::to_string(bytes_.size()) + "-byte file");
  }
}

std::uint64_t GgufCursor::load(std::size_t size, const std::string& what) {
  if (remaining() < size) {
    fail(offset_, "file ends inside " + what + " (" + std::to_string(size) + " bytes needed, " +
                      std::to_string(remaining()) + " left)");
  }
  std::uint64_t value = 0;
  for (std::size_t i = size; i-- > 0;) {
    value = (value << 8) | std::to_integer<std::uint64_t>(bytes_[offset_ + i]);
  }
  offset_ += size;
  return value;
}

const std::byte* GgufCursor::take(std::uint64_t count, const std::string& what) {
  if (count > remaining()) {
    fail(offset_, what + " is " + std::to_string(count) + " bytes but only " +
                      std::to_string(remaining()) + " remain in the " +
                      std::to_string(bytes_.size()) + "-byte file");
  }
  const std::byte* begin = bytes_.data() + offset_;
  offset_ += count;
  return begin;
}

std::string_view GgufCursor::string(const std::string& what) {
  const std::uint64_t length = u64("the length of " + what);
  const std::byte* text = take(length, what);
  return {reinterpret_cast<const char*>(text), static_cast<std::size_t>(length)};
}

GgufValueType gguf_value_type_from_id(const GgufCursor& cursor, std::uint64_t at, std::uint32_t id,
                                      const std::string& where) {
  if (id > static_cast<std::uint32_t>(GgufValueType::f64)) {
    cursor.fail(at, where + " has value type " + std::to_string(id) +
                        ", which is not a GGUF value type (0-12)");
  }
  return static_cast<GgufValueType>(id);
}

GgufValue GgufCursor::value(GgufValueType type, const std::string& where, int depth) {
  const std::uint64_t at = offset_;
  switch (type) {
    case GgufValueType::string:
      return GgufValue::make_string(string(where), at);
    case GgufValueType::array:
      return array(where, depth + 1);
    case GgufValueType::boolean: {
      const std::uint8_t flag = u8(where);
      if (flag > 1) {
        fail(at, where + " is a bool with byte value " + std::to_string(flag) +
                     "; a GGUF bool is 0 or 1");
      }
      return GgufValue::make_scalar(type, flag, at);
    }
    default:
      return GgufValue::make_scalar(type, load(gguf_scalar_size(type), where), at);
  }
}

GgufValue GgufCursor::array(const std::string& where, int depth) {
  const std::uint64_t at = offset_;
  if (depth > kMaxGgufArrayDepth) {
    throw Error(ErrorCode::limit_exceeded, origin_ + ": byte " + std::to_string(at) + ": " + where +
                                               " nests arrays " + std::to_string(depth) +
                                               " deep; r1 accepts at most " +
                                               std::to_string(kMaxGgufArrayDepth) + " levels");
  }
  const std::uint64_t type_at = offset_;
  const GgufValueType element_type =
      gguf_value_type_from_id(*this, type_at, u32("the element type of " + where), where);
  const std::uint64_t count = u64("the element count of " + where);
  const std::string described = where + " (array of " + std::to_string(count) + " " +
                                gguf_value_type_name(element_type) + ")";
  switch (element_type) {
    case GgufValueType::string: {
      // Every string takes at least its 8-byte length, so the count is checked before reserving.
      require(count, 8, described);
      std::vector<std::string_view> strings;
      strings.reserve(static_cast<std::size_t>(count));
      // The hot loop of a tokenizer's vocabulary: messages are only built on failure.
      for (std::uint64_t i = 0; i < count; ++i) {
        const std::uint64_t start = offset_;
        if (remaining() >= 8) {
          const std::uint64_t length = load(8, where);
          if (length <= remaining()) {
            strings.emplace_back(reinterpret_cast<const char*>(bytes_.data() + offset_),
                                 static_cast<std::size_t>(length));
            offset_ += length;
            continue;
          }
          offset_ = start;
        }
        (void)string(where + " element " + std::to_string(i));  // throws, saying what is wrong
      }
      return GgufValue::make_string_array(std::move(strings), at);
    }
    case GgufValueType::array: {
      require(count, 12, described);  // element type u32 + count u64 each
      if (count > kMaxGgufNestedArrays - nested_arrays_) {
        throw Error(ErrorCode::limit_exceeded,
                    origin_ + ": byte " + std::to_string(at) + ": " + described +
                        " brings the file's nested arrays over r1's limit of " +
                        std::to_string(kMaxGgufNestedArrays));
      }
      nested_arrays_ += count;
      std::vector<GgufValue> items;
      items.reserve(static_cast<std::size_t>(count));
      for (std::uint64_t i = 0; i < count; ++i) {
        items.push_back(array(where + " element " + std::to_string(i), depth + 1));
      }
      return GgufValue::make_nested_array(element_type, std::move(items), at);
    }
    default: {
      const std::size_t size = gguf_scalar_size(element_type);
      require(count, size, described);
      const std::byte* elements = take(count * size, described);
      if (element_type == GgufValueType::boolean) {
        for (std::uint64_t i = 0; i < count; ++i) {
          const auto flag = std::to_integer<unsigned>(elements[i]);
          if (flag > 1) {
            fail(at + 12 + i, where + " element " + std::to_string(i) +
                                  " is a bool with byte value " + std::to_string(flag) +
                                  "; a GGUF bool is 0 or 1");
          }
        }
      }
      return GgufValue::make_scalar_array(element_type, elements, count, at);
    }
  }
}

}  // namespace r1::io
