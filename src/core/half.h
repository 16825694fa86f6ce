// 16-bit float formats of model weights: bfloat16 and IEEE binary16, converted exactly as
// PyTorch converts them (round to nearest even; NaN stays NaN).
#pragma once

#include <cstdint>
#include <cstring>

namespace r1 {

/// bfloat16 -> float: the 16 bits are the top half of the float.
inline float bf16_to_f32(std::uint16_t bits) {
  const std::uint32_t word = std::uint32_t(bits) << 16;
  float value;
  std::memcpy(&value, &word, sizeof value);
  return value;
}

/// float -> bfloat16 with round-to-nearest-even (PyTorch's `.to(torch.bfloat16)`).
inline std::uint16_t f32_to_bf16(float value) {
  std::uint32_t word;
  std::memcpy(&word, &value, sizeof word);
  if ((word & 0x7F800000u) == 0x7F800000u && (word & 0x007FFFFFu) != 0) {
    return static_cast<std::uint16_t>((word >> 16) | 0x0040u);  // quiet NaN
  }
  const std::uint32_t rounding = 0x7FFFu + ((word >> 16) & 1u);
  return static_cast<std::uint16_t>((word + rounding) >> 16);
}

/// IEEE binary16 -> float, exact for every value (subnormals, infinities, NaN).
float f16_to_f32(std::uint16_t bits);

/// float -> IEEE binary16 with round-to-nearest-even; overflow gives infinity.
std::uint16_t f32_to_f16(float value);

}  // namespace r1
