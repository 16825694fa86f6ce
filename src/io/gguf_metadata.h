// A GGUF file's key-value metadata with typed getters. Getters fail with messages that name the
// file, the key, the type found and the type expected; keys and string values are views into the
// file's bytes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "io/gguf_value.h"

namespace r1::io {

/// One key-value pair, in file order.
struct GgufKeyValue {
  std::string_view key;
  GgufValue value;
  std::uint64_t offset = 0;  // byte offset of the key in the file
};

class GgufMetadata {
 public:
  GgufMetadata() = default;
  /// Takes the pairs read from `origin`; Error(invalid_file) naming both offsets if a key repeats.
  GgufMetadata(std::vector<GgufKeyValue> entries, std::string origin);

  /// Every pair in file order.
  const std::vector<GgufKeyValue>& entries() const { return entries_; }
  /// The value of `key`, or nullptr.
  const GgufValue* find(std::string_view key) const;
  bool contains(std::string_view key) const { return find(key) != nullptr; }

  // Typed getters: Error(not_found) when the key is missing, Error(invalid_file) when its value has
  // another type or does not fit.

  /// Any integer type holding a value >= 0.
  std::uint64_t get_uint(std::string_view key) const;
  /// Any integer type holding a value that fits in int64.
  std::int64_t get_int(std::string_view key) const;
  /// f32 or f64.
  double get_float(std::string_view key) const;
  bool get_bool(std::string_view key) const;
  /// The string's bytes (not NUL-terminated; may contain NULs), a view into the file.
  std::string_view get_string(std::string_view key) const;
  /// An array of strings: views into the file, no copies.
  std::span<const std::string_view> get_string_array(std::string_view key) const;
  /// An array of f32 or f64.
  std::vector<double> get_float_array(std::string_view key) const;
  /// An array of any integer type whose every value fits in int64.
  std::vector<std::int64_t> get_int_array(std::string_view key) const;

 private:
  const GgufValue& require(std::string_view key, const char* expected) const;
  [[noreturn]] void wrong_type(std::string_view key, const GgufValue& value,
                               const std::string& found, const char* expected) const;

  std::vector<GgufKeyValue> entries_;
  std::unordered_map<std::string_view, std::size_t> index_;
  std::string origin_;
};

}  // namespace r1::io
