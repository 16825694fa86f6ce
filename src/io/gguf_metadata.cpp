#include "io/gguf_metadata.h"

#include <cstring>

#include "io/gguf_cursor.h"
#include "r1/error.h"

namespace r1::io {
namespace {

constexpr const char* kUint = "a non-negative integer (any integer type)";
constexpr const char* kInt = "an integer that fits in i64 (any integer type)";
constexpr const char* kFloat = "a float (f32 or f64)";
constexpr const char* kBool = "a bool";
constexpr const char* kString = "a string";
constexpr const char* kStringArray = "an array of string";
constexpr const char* kFloatArray = "an array of f32 or f64";
constexpr const char* kIntArray = "an array of integers that fit in i64";

// "i32 -5" or "u64 18446744073709551615": the found value, for messages about values out of range.
std::string scalar_text(const GgufValue& value) {
  std::string text = gguf_value_type_name(value.type());
  if (const auto v = value.to_int()) return text + " " + std::to_string(*v);
  if (const auto v = value.to_uint()) return text + " " + std::to_string(*v);
  return text;
}

}  // namespace

GgufMetadata::GgufMetadata(std::vector<GgufKeyValue> entries, std::string origin)
    : entries_(std::move(entries)), origin_(std::move(origin)) {
  index_.reserve(entries_.size());
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const auto [it, inserted] = index_.emplace(entries_[i].key, i);
    if (!inserted) {
      throw Error(ErrorCode::invalid_file,
                  origin_ + ": byte " + std::to_string(entries_[i].offset) + ": metadata key " +
                      gguf_quote(entries_[i].key) + " appears twice (first at byte " +
                      std::to_string(entries_[it->second].offset) +
                      "); the GGUF file is malformed, convert it again");
    }
  }
}

const GgufValue* GgufMetadata::find(std::string_view key) const {
  const auto it = index_.find(key);
  return it == index_.end() ? nullptr : &entries_[it->second].value;
}

const GgufValue& GgufMetadata::require(std::string_view key, const char* expected) const {
  const GgufValue* value = find(key);
  if (value == nullptr) {
    throw Error(ErrorCode::not_found, origin_ + ": metadata key " + gguf_quote(key) +
                                          " is missing (expected " + expected +
                                          "); the file may be for another architecture or an "
                                          "older converter");
  }
  return *value;
}

void GgufMetadata::wrong_type(std::string_view key, const GgufValue& value,
                              const std::string& found, const char* expected) const {
  throw Error(ErrorCode::invalid_file, origin_ + ": byte " + std::to_string(value.offset()) +
                                           ": metadata key " + gguf_quote(key) + " is " + found +
                                           ", expected " + expected);
}

std::uint64_t GgufMetadata::get_uint(std::string_view key) const {
  const GgufValue& value = require(key, kUint);
  if (const auto v = value.to_uint()) return *v;
  wrong_type(key, value, gguf_is_integer(value.type()) ? scalar_text(value) : value.type_text(),
             kUint);
}

std::int64_t GgufMetadata::get_int(std::string_view key) const {
  const GgufValue& value = require(key, kInt);
  if (const auto v = value.to_int()) return *v;
  wrong_type(key, value, gguf_is_integer(value.type()) ? scalar_text(value) : value.type_text(),
             kInt);
}

double GgufMetadata::get_float(std::string_view key) const {
  const GgufValue& value = require(key, kFloat);
  if (const auto v = value.to_float()) return *v;
  wrong_type(key, value, value.type_text(), kFloat);
}

bool GgufMetadata::get_bool(std::string_view key) const {
  const GgufValue& value = require(key, kBool);
  if (const auto v = value.to_bool()) return *v;
  wrong_type(key, value, value.type_text(), kBool);
}

std::string_view GgufMetadata::get_string(std::string_view key) const {
  const GgufValue& value = require(key, kString);
  if (const auto v = value.to_string()) return *v;
  wrong_type(key, value, value.type_text(), kString);
}

std::span<const std::string_view> GgufMetadata::get_string_array(std::string_view key) const {
  const GgufValue& value = require(key, kStringArray);
  if (value.type() != GgufValueType::array || value.element_type() != GgufValueType::string) {
    wrong_type(key, value, value.type_text(), kStringArray);
  }
  return value.strings();
}

std::vector<double> GgufMetadata::get_float_array(std::string_view key) const {
  const GgufValue& value = require(key, kFloatArray);
  const bool is_f32 = value.element_type() == GgufValueType::f32;
  if (value.type() != GgufValueType::array ||
      (!is_f32 && value.element_type() != GgufValueType::f64)) {
    wrong_type(key, value, value.type_text(), kFloatArray);
  }
  const std::span<const std::byte> raw = value.raw_elements();
  std::vector<double> out(static_cast<std::size_t>(value.size()));
  for (std::size_t i = 0; i < out.size(); ++i) {
    // The elements are little-endian like this host (big-endian hosts are not supported) but not
    // necessarily aligned, hence memcpy.
    if (is_f32) {
      float f;
      std::memcpy(&f, raw.data() + 4 * i, 4);
      out[i] = f;
    } else {
      std::memcpy(&out[i], raw.data() + 8 * i, 8);
    }
  }
  return out;
}

std::vector<std::int64_t> GgufMetadata::get_int_array(std::string_view key) const {
  const GgufValue& value = require(key, kIntArray);
  if (value.type() != GgufValueType::array || !gguf_is_integer(value.element_type())) {
    wrong_type(key, value, value.type_text(), kIntArray);
  }
  std::vector<std::int64_t> out(static_cast<std::size_t>(value.size()));
  for (std::size_t i = 0; i < out.size(); ++i) {
    const GgufValue element = *value.element(i);
    const auto v = element.to_int();
    if (!v) {
      wrong_type(key, value,
                 "an array whose element " + std::to_string(i) + " is " + scalar_text(element),
                 kIntArray);
    }
    out[i] = *v;
  }
  return out;
}

}  // namespace r1::io
