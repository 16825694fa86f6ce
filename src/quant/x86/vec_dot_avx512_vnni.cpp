// AVX-512 VNNI kernels (256-bit registers through AVX512VL): vpdpbusd multiplies unsigned by
// signed bytes and adds groups of 4 into int32 without saturation. Its unsigned operand is
// made by offsetting the signed bytes by 128, so every input byte, -128 included, is exact.
// Float steps as in the scalar reference: results equal it bit for bit.
#include <immintrin.h>

#include "quant/x86/simd_kernels.h"

namespace r1::quant::x86 {
namespace {

// F16C conversion: exact, like r1::f16_to_f32, without the call and branches per block.
inline float f16(std::uint16_t h) {
  return _cvtsh_ss(h);
}

int hsum_epi32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

}  // namespace

float vec_dot_q8_0_q8_0_avx512_vnni(const BlockQ8_0* x, const BlockQ8_0* y, std::int64_t nb) {
  const __m256i bias = _mm256_set1_epi8(static_cast<char>(0x80));
  const __m256i ones8 = _mm256_set1_epi8(1);
  float sum = 0.0f;
  for (std::int64_t i = 0; i < nb; ++i) {
    const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i].qs));
    const __m256i yv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[i].qs));
    // sum(x * y) = sum((x + 128) * y) - 128 sum(y); x ^ 0x80 is x + 128 as an unsigned byte.
    const __m256i shifted =
        _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_xor_si256(xv, bias), yv);
    const __m256i ysum = _mm256_dpbusd_epi32(_mm256_setzero_si256(), ones8, yv);
    const int sumi = hsum_epi32(_mm256_sub_epi32(shifted, _mm256_slli_epi32(ysum, 7)));
    sum += static_cast<float>(sumi) * (f16(x[i].d) * f16(y[i].d));
  }
  return sum;
}

float vec_dot_q4_0_q8_0_avx512_vnni(const BlockQ4_0* x, const BlockQ8_0* y, std::int64_t nb) {
  const __m128i mask = _mm_set1_epi8(0x0F);
  const __m256i ones8 = _mm256_set1_epi8(1);
  float sum = 0.0f;
  for (std::int64_t i = 0; i < nb; ++i) {
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x[i].qs));
    const __m256i q = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(packed, 4), mask),
                                       _mm_and_si128(packed, mask));
    const __m256i yv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[i].qs));
    // sum((q - 8) * y) = sum(q * y) - 8 sum(y).
    const __m256i qy = _mm256_dpbusd_epi32(_mm256_setzero_si256(), q, yv);
    const __m256i ysum = _mm256_dpbusd_epi32(_mm256_setzero_si256(), ones8, yv);
    const int sumi = hsum_epi32(_mm256_sub_epi32(qy, _mm256_slli_epi32(ysum, 3)));
    sum += static_cast<float>(sumi) * f16(x[i].d) * f16(y[i].d);
  }
  return sum;
}

}  // namespace r1::quant::x86
