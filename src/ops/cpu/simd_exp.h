// exp(x) on fp32 vectors for softmax and SiLU, one version per instruction set. Only the
// version(s) of the target this file is compiled for are visible (include it from a file built
// with -mavx512f / -mavx2 -mfma), so nothing here assumes the build machine's features.
//
// Method (Cody-Waite range reduction, then a polynomial):
//   n = round(x / ln 2),  r = x - n ln 2 (ln 2 split in a short high part and a low remainder so
//   that n * ln2_hi is exact), |r| <= ln 2 / 2,
//   exp(r) = 1 + r + r^2 (1/2 + r/6 + ...), a degree-7 fit on [-ln2/2, ln2/2] (Cephes' expf
//   coefficients, written here from the series they approximate),
//   exp(x) = exp(r) * 2^n, with 2^n applied as two factors 2^(n/2) * 2^(n - n/2) so that results
//   that overflow become inf and results below FLT_MIN become denormals or 0 as in std::exp.
// Accuracy: <= 2 ulp against the correctly rounded result over [-87, 88] (tested in
// tests/ops/simd_exp_test.cpp); exp(-inf) = 0, exp(+inf) = inf, NaN stays NaN.
#pragma once

#include <immintrin.h>

namespace r1::ops::cpu::simd_exp {

// Inputs are clamped here first: below -104 the result is 0 and above 89 it is inf anyway, and
// the clamp keeps n within the range the two-factor scaling handles.
inline constexpr float kMinInput = -104.0f;
inline constexpr float kMaxInput = 89.0f;
inline constexpr float kLog2e = 1.44269504088896341f;
inline constexpr float kLn2Hi = 0.693359375f;  // 8 significant bits: n * kLn2Hi is exact
inline constexpr float kLn2Lo = -2.12194440e-4f;
inline constexpr float kP0 = 1.9875691500e-4f;
inline constexpr float kP1 = 1.3981999507e-3f;
inline constexpr float kP2 = 8.3334519073e-3f;
inline constexpr float kP3 = 4.1665795894e-2f;
inline constexpr float kP4 = 1.6666665459e-1f;
inline constexpr float kP5 = 5.0000001201e-1f;

#if defined(__AVX512F__)
inline __m512 exp_avx512(__m512 x) {
  // max/min return their second operand when one is NaN: with x second, NaN passes through.
  x = _mm512_min_ps(_mm512_set1_ps(kMaxInput), _mm512_max_ps(_mm512_set1_ps(kMinInput), x));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(kLog2e)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Hi), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Lo), r);
  __m512 p = _mm512_set1_ps(kP0);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP1));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP2));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP3));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP4));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP5));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  // vscalefps multiplies by 2^n with correct overflow to inf and gradual underflow.
  return _mm512_scalef_ps(p, n);
}
#endif

#if defined(__AVX2__) && defined(__FMA__)
inline __m256 exp_avx2(__m256 x) {
  x = _mm256_min_ps(_mm256_set1_ps(kMaxInput), _mm256_max_ps(_mm256_set1_ps(kMinInput), x));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(kLog2e)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Hi), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Lo), r);
  __m256 p = _mm256_set1_ps(kP0);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP1));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP2));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP3));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP4));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP5));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  // 2^n as 2^a * 2^b (a = n / 2, b = n - a), each a normal float for |n| <= 254, so that the
  // final products overflow or underflow as the true result does.
  const __m256i ni = _mm256_cvtps_epi32(n);
  const __m256i a = _mm256_srai_epi32(ni, 1);
  const __m256i b = _mm256_sub_epi32(ni, a);
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256 scale_a = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(a, bias), 23));
  const __m256 scale_b = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(b, bias), 23));
  return _mm256_mul_ps(_mm256_mul_ps(p, scale_a), scale_b);
}
#endif

}  // namespace r1::ops::cpu::simd_exp
