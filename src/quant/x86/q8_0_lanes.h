// The integer and float work shared by the q8_0 rows-along-lanes kernels (batch_q8_avx512_vnni.cpp
// on the file's layout, packed_q8_0_avx512_vnni.cpp on the repacked one): once the 16 rows'
// block is 8 vectors of unsigned bytes (vector q: bytes 4q..4q+3 of rows 0..15, each w + 128),
// each token's block is 8 vpdpbusd from -128 * sum(a), then the reference's float update
// sumi * (dx * dy), one lane per row. AVX-512 F/BW + VNNI only: include from files compiled for it.
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "quant/blocks.h"

namespace r1::quant::x86 {

/// Per token and block: the accumulator's start (-128 * sum of the activation bytes) and the
/// activation scale.
struct TokenBlock {
  std::int32_t correction;
  float d;
};

inline void prepare_token_blocks(const BlockQ8_0* a, std::int64_t n, std::vector<TokenBlock>* out) {
  out->resize(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    std::int32_t sum = 0;
    for (const std::int8_t q : a[i].qs) sum += q;
    (*out)[static_cast<std::size_t>(i)] = {-128 * sum, _cvtsh_ss(a[i].d)};
  }
}

/// acc + this block's products of the 16 rows (w, scales dx) with one token's block y.
inline __m512 add_block_product(const __m512i* w, __m512 dx, const BlockQ8_0& y,
                                const TokenBlock& s, __m512 acc) {
  __m512i sumi = _mm512_set1_epi32(s.correction);
  for (int q = 0; q < 8; ++q) {
    std::int32_t four;  // activation bytes 4q..4q+3, broadcast from memory
    std::memcpy(&four, y.qs + 4 * q, 4);
    sumi = _mm512_dpbusd_epi32(sumi, w[q], _mm512_set1_epi32(four));
  }
  const __m512 scale = _mm512_mul_ps(dx, _mm512_set1_ps(s.d));
  return _mm512_add_ps(acc, _mm512_mul_ps(_mm512_cvtepi32_ps(sumi), scale));
}

/// The same for N tokens at once (token n's block at y[n * stride], s[n * stride]; acc[n]),
/// their 8-step chains interleaved: one token's vpdpbusd chain is 8 x 5 cycles of latency, and
/// a rolled loop over tokens leaves the out-of-order window to overlap them, which it cannot do
/// for many tokens (a 16-token pass ran at ~half the VNNI rate that way).
template <int N>
inline void add_block_products(const __m512i* w, __m512 dx, const BlockQ8_0* y, std::int64_t stride,
                               const TokenBlock* s, __m512* acc) {
  __m512i sumi[N];
  for (int n = 0; n < N; ++n) sumi[n] = _mm512_set1_epi32(s[n * stride].correction);
  for (int q = 0; q < 8; ++q) {
    for (int n = 0; n < N; ++n) {
      std::int32_t four;
      std::memcpy(&four, y[n * stride].qs + 4 * q, 4);
      sumi[n] = _mm512_dpbusd_epi32(sumi[n], w[q], _mm512_set1_epi32(four));
    }
  }
  for (int n = 0; n < N; ++n) {
    const __m512 scale = _mm512_mul_ps(dx, _mm512_set1_ps(s[n * stride].d));
    acc[n] = _mm512_add_ps(acc[n], _mm512_mul_ps(_mm512_cvtepi32_ps(sumi[n]), scale));
  }
}

}  // namespace r1::quant::x86
