// The Q8_K activation term the K-quant kernels with rows along the lanes pair with the rows'
// mins (batch_q4_k_q5_k_avx512_vbmi.cpp, packed_k_avx2.cpp). Plain C++, for any target.
#pragma once

#include <cstdint>

#include "quant/blocks.h"

namespace r1::quant::x86 {

/// Dword p of out: the int16 sums of sub-blocks 2 p and 2 p + 1 (32 elements each, from bsums;
/// |sum| <= 32 * 128 fits), low and high half, for pmaddwd / vpdpwssd against int16 pairs of mins.
inline void q8_k_sub_sum_pairs(const BlockQ8K& a, std::int32_t out[4]) {
  for (int p = 0; p < 4; ++p) {
    const auto lo = static_cast<std::uint16_t>(a.bsums[4 * p] + a.bsums[4 * p + 1]);
    const auto hi = static_cast<std::uint16_t>(a.bsums[4 * p + 2] + a.bsums[4 * p + 3]);
    out[p] = static_cast<std::int32_t>(lo | (std::uint32_t{hi} << 16));
  }
}

}  // namespace r1::quant::x86
