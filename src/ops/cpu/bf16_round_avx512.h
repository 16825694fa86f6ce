// f32 -> bf16 of 16 floats with AVX-512, exactly as f32_to_bf16 / round_to_bf16 round: to nearest
// even, NaN kept and made quiet. (VCVTNEPS2BF16 would flush subnormals to zero.) For files
// compiled with -mavx512f -mavx512bw.
#pragma once

#include <immintrin.h>

namespace r1::ops::cpu {

inline __m256i round_16_to_bf16(__m512 v) {
  const __m512i word = _mm512_castps_si512(v);
  const __m512i high = _mm512_srli_epi32(word, 16);
  const __m512i odd = _mm512_and_si512(high, _mm512_set1_epi32(1));
  const __m512i rounded = _mm512_srli_epi32(
      _mm512_add_epi32(word, _mm512_add_epi32(_mm512_set1_epi32(0x7FFF), odd)), 16);
  const __m512i quiet = _mm512_or_si512(high, _mm512_set1_epi32(0x0040));
  const __mmask16 nan = _mm512_cmpgt_epu32_mask(
      _mm512_and_si512(word, _mm512_set1_epi32(0x7FFFFFFF)), _mm512_set1_epi32(0x7F800000));
  return _mm512_cvtepi32_epi16(_mm512_mask_mov_epi32(rounded, nan, quiet));
}

}  // namespace r1::ops::cpu
