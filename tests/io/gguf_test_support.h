// Helpers for the GGUF tests: a byte builder that lays out GGUF files field by field (so malformed
// files can be made precisely), hex decoding for the reference fixtures, and parsing shortcuts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "io/gguf.h"
#include "io_test_support.h"

namespace r1::io::test {

/// Appends GGUF fields little-endian; `bytes` is the file so far.
struct GgufBytes {
  std::string bytes;

  GgufBytes& raw(std::string_view text) {
    bytes.append(text);
    return *this;
  }
  GgufBytes& u8(std::uint8_t v) { return le(v, 1); }
  GgufBytes& u16(std::uint16_t v) { return le(v, 2); }
  GgufBytes& u32(std::uint32_t v) { return le(v, 4); }
  GgufBytes& u64(std::uint64_t v) { return le(v, 8); }
  GgufBytes& str(std::string_view text) {
    u64(text.size());
    return raw(text);
  }
  /// Magic, version, tensor count, kv count.
  GgufBytes& header(std::uint64_t tensors, std::uint64_t kvs, std::uint32_t version = 3) {
    raw("GGUF");
    u32(version);
    u64(tensors);
    return u64(kvs);
  }
  /// A key and its value type; the value follows.
  GgufBytes& key(std::string_view name, GgufValueType type) {
    str(name);
    return u32(static_cast<std::uint32_t>(type));
  }
  /// A tensor info with GGUF-order ne[].
  GgufBytes& tensor(std::string_view name, std::vector<std::uint64_t> ne, GgmlType type,
                    std::uint64_t offset) {
    str(name);
    u32(static_cast<std::uint32_t>(ne.size()));
    for (std::uint64_t d : ne) u64(d);
    u32(static_cast<std::uint32_t>(type));
    return u64(offset);
  }
  /// Zero bytes up to a multiple of `alignment`.
  GgufBytes& pad(std::size_t alignment = 32) {
    bytes.append((alignment - bytes.size() % alignment) % alignment, '\0');
    return *this;
  }
  GgufBytes& fill(std::size_t count, char c = '\x5a') {
    bytes.append(count, c);
    return *this;
  }

 private:
  GgufBytes& le(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) bytes.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
    return *this;
  }
};

inline std::string unhex(std::string_view hex) {
  std::string out;
  const auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1])));
  }
  return out;
}

inline GgufFile parse_gguf(const std::string& bytes, const std::string& origin = "mem.gguf") {
  return GgufFile::parse(as_bytes(bytes), origin);
}

inline CaughtError gguf_error(const std::string& bytes) {
  return catch_error([&] { (void)GgufFile::parse(as_bytes(bytes), "bad.gguf"); });
}

inline std::string tensor_bytes(const GgufTensorView& view) {
  return std::string(reinterpret_cast<const char*>(view.data), view.nbytes);
}

}  // namespace r1::io::test
