// The few fp32 vector operations the shared kernel templates (attention_tile.h) are written
// with, one struct per instruction set: Avx512F32 (16 lanes) and Avx2F32 (8 lanes). Like
// simd_exp.h, a struct exists only in files compiled for its target.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "ops/cpu/simd_exp.h"

namespace r1::ops::cpu {

#if defined(__AVX512F__)
struct Avx512F32 {
  using V = __m512;
  static constexpr int kLanes = 16;
  static constexpr int kRegisters = 32;
  static V zero() { return _mm512_setzero_ps(); }
  static V set1(float x) { return _mm512_set1_ps(x); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V x) { _mm512_storeu_ps(p, x); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V max(V a, V b) { return _mm512_max_ps(a, b); }
  static V exp(V x) { return simd_exp::exp_avx512(x); }
  /// a where a != value, else `replacement` (used to turn a -inf running max into 0).
  static V replace(V a, float value, float replacement) {
    return _mm512_mask_mov_ps(a, _mm512_cmp_ps_mask(a, set1(value), _CMP_EQ_OQ), set1(replacement));
  }
  /// a where index < limit, else -inf (the causal mask, lane by lane).
  static V keep_below(V a, V index, V limit) {
    return _mm512_mask_mov_ps(set1(-__builtin_inff()), _mm512_cmp_ps_mask(index, limit, _CMP_LT_OQ),
                              a);
  }
  static bool all_equal(V a, float value) {
    return _mm512_cmp_ps_mask(a, set1(value), _CMP_EQ_OQ) == 0xFFFF;
  }
  /// 16 consecutive bf16 / f16 values widened to fp32.
  static V load_bf16(const std::uint16_t* p) {
    const __m256i bits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(bits), 16));
  }
  static V load_f16(const std::uint16_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  /// The two floats at p repeated over the vector: (p[0], p[1], p[0], p[1], ...).
  static V broadcast_pair(const float* p) {
    double pair;
    __builtin_memcpy(&pair, p, sizeof pair);
    return _mm512_castpd_ps(_mm512_set1_pd(pair));
  }
  /// (a0, b0, a1, b1, ...) in *lo (lanes 0..7 of a and b) and *hi (lanes 8..15).
  static void interleave(V a, V b, V* lo, V* hi) {
    const __m512i lo_index =
        _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i hi_index =
        _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
    *lo = _mm512_permutex2var_ps(a, lo_index, b);
    *hi = _mm512_permutex2var_ps(a, hi_index, b);
  }
  /// (0, 1, 0, 1, ...): the parity of each lane.
  static V lane_parity() { return _mm512_set_ps(1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0); }
};
#endif

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
struct Avx2F32 {
  using V = __m256;
  static constexpr int kLanes = 8;
  static constexpr int kRegisters = 16;
  static V zero() { return _mm256_setzero_ps(); }
  static V set1(float x) { return _mm256_set1_ps(x); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V x) { _mm256_storeu_ps(p, x); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V max(V a, V b) { return _mm256_max_ps(a, b); }
  static V exp(V x) { return simd_exp::exp_avx2(x); }
  static V replace(V a, float value, float replacement) {
    return _mm256_blendv_ps(a, set1(replacement), _mm256_cmp_ps(a, set1(value), _CMP_EQ_OQ));
  }
  static V keep_below(V a, V index, V limit) {
    return _mm256_blendv_ps(set1(-__builtin_inff()), a, _mm256_cmp_ps(index, limit, _CMP_LT_OQ));
  }
  static bool all_equal(V a, float value) {
    return _mm256_movemask_ps(_mm256_cmp_ps(a, set1(value), _CMP_EQ_OQ)) == 0xFF;
  }
  static V load_bf16(const std::uint16_t* p) {
    const __m128i bits = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(bits), 16));
  }
  static V load_f16(const std::uint16_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static V broadcast_pair(const float* p) {
    double pair;
    __builtin_memcpy(&pair, p, sizeof pair);
    return _mm256_castpd_ps(_mm256_set1_pd(pair));
  }
  static void interleave(V a, V b, V* lo, V* hi) {
    const V low_halves = _mm256_unpacklo_ps(a, b);   // a0 b0 a1 b1 | a4 b4 a5 b5
    const V high_halves = _mm256_unpackhi_ps(a, b);  // a2 b2 a3 b3 | a6 b6 a7 b7
    *lo = _mm256_permute2f128_ps(low_halves, high_halves, 0x20);
    *hi = _mm256_permute2f128_ps(low_halves, high_halves, 0x31);
  }
  static V lane_parity() { return _mm256_set_ps(1, 0, 1, 0, 1, 0, 1, 0); }
};
#endif

}  // namespace r1::ops::cpu
