// SHA-256 (FIPS 180-4), to check downloaded LFS files against the sha256 the hub names them by.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace r1::hub {

/// Incremental SHA-256: update() any number of times, then hex_digest() once.
class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t size);
  void update(std::string_view text) { update(text.data(), text.size()); }
  /// The digest as 64 lowercase hex digits. Ends the computation (call reset() to start over).
  std::string hex_digest();
  void reset();

 private:
  void compress(const std::uint8_t* block);
  std::array<std::uint32_t, 8> state_{};
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t total_bytes_ = 0;
};

/// Whether `text` is exactly `digits` lowercase hex digits: a sha256 as the hub names LFS files
/// by (64), a git commit id (40).
bool is_lower_hex(std::string_view text, std::size_t digits);

}  // namespace r1::hub
