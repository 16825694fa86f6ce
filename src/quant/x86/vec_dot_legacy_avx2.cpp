// AVX2 Q4_1 x Q8_1, Q5_0 x Q8_0 and Q5_1 x Q8_1 dot products: exact integer block sums
// (pmaddubsw sees unsigned quants < 32 and signed bytes, no saturation), float steps scalar
// and in the reference's order, so results equal the scalar reference bit for bit.
#include "quant/x86/avx2_common.h"
#include "quant/x86/simd_kernels.h"

namespace r1::quant::x86 {
namespace {

// sum(q * y) over a block of 32 unsigned quants q (< 32) and signed bytes y.
inline __m256i dot_u8_s8(__m256i q, __m256i y) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(q, y), _mm256_set1_epi16(1));
}

inline __m256i load32(const std::int8_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

}  // namespace

float vec_dot_q4_1_q8_1_avx2(const BlockQ4_1* x, const BlockQ8_1* y, std::int64_t nb) {
  float sum = 0.0f;
  for (std::int64_t i = 0; i < nb; ++i) {
    const int sumi = hsum_epi32(dot_u8_s8(unpack_nibbles16(x[i].qs), load32(y[i].qs)));
    sum += (f16(x[i].d) * f16(y[i].d)) * static_cast<float>(sumi) + f16(x[i].m) * f16(y[i].s);
  }
  return sum;
}

float vec_dot_q5_0_q8_0_avx2(const BlockQ5_0* x, const BlockQ8_0* y, std::int64_t nb) {
  const __m256i ones8 = _mm256_set1_epi8(1);
  float sum = 0.0f;
  for (std::int64_t i = 0; i < nb; ++i) {
    const __m256i q = _mm256_or_si256(unpack_nibbles16(x[i].qs), fifth_bits(x[i].qh));
    const __m256i yv = load32(y[i].qs);
    // sum((q - 16) * y) = sum(q * y) - 16 sum(y).
    const __m256i ys = dot_u8_s8(ones8, yv);
    const int sumi = hsum_epi32(_mm256_sub_epi32(dot_u8_s8(q, yv), _mm256_slli_epi32(ys, 4)));
    sum += (f16(x[i].d) * f16(y[i].d)) * static_cast<float>(sumi);
  }
  return sum;
}

float vec_dot_q5_1_q8_1_avx2(const BlockQ5_1* x, const BlockQ8_1* y, std::int64_t nb) {
  float sum = 0.0f;
  for (std::int64_t i = 0; i < nb; ++i) {
    const __m256i q = _mm256_or_si256(unpack_nibbles16(x[i].qs), fifth_bits(x[i].qh));
    const int sumi = hsum_epi32(dot_u8_s8(q, load32(y[i].qs)));
    sum += (f16(x[i].d) * f16(y[i].d)) * static_cast<float>(sumi) + f16(x[i].m) * f16(y[i].s);
  }
  return sum;
}

}  // namespace r1::quant::x86
