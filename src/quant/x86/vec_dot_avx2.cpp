// AVX2 kernels. The integer part of each block is vectorized and exact for every input byte
// (no saturating instruction sees a value that could saturate); the float steps stay scalar
// and in the reference's order, so results equal the scalar reference bit for bit.
#include <immintrin.h>

#include "quant/x86/avx2_common.h"
#include "quant/x86/simd_kernels.h"

namespace r1::quant::x86 {

float vec_dot_q8_0_q8_0_avx2(const BlockQ8_0* x, const BlockQ8_0* y, std::int64_t nb) {
  float sum = 0.0f;
  for (std::int64_t i = 0; i < nb; ++i) {
    // Sign-extend to int16 and multiply-add pairs into int32: exact even for -128 * -128,
    // which the unsigned-by-signed byte instructions would saturate.
    const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i].qs));
    const __m256i yv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[i].qs));
    const __m256i xl = _mm256_cvtepi8_epi16(_mm256_castsi256_si128(xv));
    const __m256i xh = _mm256_cvtepi8_epi16(_mm256_extracti128_si256(xv, 1));
    const __m256i yl = _mm256_cvtepi8_epi16(_mm256_castsi256_si128(yv));
    const __m256i yh = _mm256_cvtepi8_epi16(_mm256_extracti128_si256(yv, 1));
    const int sumi =
        hsum_epi32(_mm256_add_epi32(_mm256_madd_epi16(xl, yl), _mm256_madd_epi16(xh, yh)));
    sum += static_cast<float>(sumi) * (f16(x[i].d) * f16(y[i].d));
  }
  return sum;
}

float vec_dot_q4_0_q8_0_avx2(const BlockQ4_0* x, const BlockQ8_0* y, std::int64_t nb) {
  const __m256i ones8 = _mm256_set1_epi8(1);
  const __m256i ones16 = _mm256_set1_epi16(1);
  float sum = 0.0f;
  for (std::int64_t i = 0; i < nb; ++i) {
    const __m256i q = unpack_nibbles16(x[i].qs);
    const __m256i yv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[i].qs));
    // sum((q - 8) * y) = sum(q * y) - 8 sum(y); |pair sums| <= 2 * 15 * 128, no saturation.
    const __m256i qy = _mm256_madd_epi16(_mm256_maddubs_epi16(q, yv), ones16);
    const __m256i ys = _mm256_madd_epi16(_mm256_maddubs_epi16(ones8, yv), ones16);
    const int sumi = hsum_epi32(_mm256_sub_epi32(qy, _mm256_slli_epi32(ys, 3)));
    sum += static_cast<float>(sumi) * f16(x[i].d) * f16(y[i].d);
  }
  return sum;
}

}  // namespace r1::quant::x86
