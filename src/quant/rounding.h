// The two roundings ggml's quantizers use. They differ on ties (x.5), so each quantizer must
// use the one ggml uses.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace r1::quant {

/// ggml's nearest_int: adds 1.5 * 2^23 so that the float's low mantissa bits hold the rounded
/// integer (round half to even, via the FPU's default rounding); valid for |x| <= 4194303.
inline int nearest_int(float x) {
  const float shifted = x + 12582912.f;
  std::int32_t bits;
  std::memcpy(&bits, &shifted, sizeof bits);
  return (bits & 0x007FFFFF) - 0x00400000;
}

/// C's roundf: round half away from zero (ggml's Q8_0/Q8_1 quantizers).
inline float round_away(float x) {
  return std::round(x);
}

}  // namespace r1::quant
