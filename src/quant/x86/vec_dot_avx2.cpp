// AVX2 kernels. The integer part of each block is vectorized and exact for every input byte
// (no saturating instruction sees a value that could saturate); the float steps stay scalar
// and in the reference's order, so results equal the scalar reference bit for bit.
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

// The 32 nibbles of a Q4_0 block as unsigned bytes in element order (low nibbles, then high).
__m256i unpack_nibbles(const std::uint8_t* qs) {
  const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m128i mask = _mm_set1_epi8(0x0F);
  const __m128i lo = _mm_and_si128(packed, mask);
  const __m128i hi = _mm_and_si128(_mm_srli_epi16(packed, 4), mask);
  return _mm256_set_m128i(hi, lo);
}

}  // namespace

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
    const __m256i q = unpack_nibbles(x[i].qs);
    const __m256i yv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[i].qs));
    // sum((q - 8) * y) = sum(q * y) - 8 sum(y); |pair sums| <= 2 * 15 * 128, no saturation.
    const __m256i qy = _mm256_madd_epi16(_mm256_maddubs_epi16(q, yv), ones16);
    const __m256i ys = _mm256_madd_epi16(_mm256_maddubs_epi16(ones8, yv), ones16);
    const int sumi = hsum_epi32(_mm256_sub_epi32(qy, _mm256_slli_epi32(ys, 3)));
    sum += static_cast<float>(sumi) * f16(x[i].d) * f16(y[i].d);
  }
  return sum;
}

float vec_dot_q4_k_q8_k_avx2(const BlockQ4K* x, const BlockQ8K* y, std::int64_t nb) {
  // The reference accumulates in 8 lanes by element index mod 8 and scales each lane in float;
  // the lanes here are the same lanes, so the float steps are the same operations.
  __m256 sums = _mm256_setzero_ps();
  float sumf = 0.0f;
  const __m128i mask = _mm_set1_epi8(0x0F);
  for (std::int64_t i = 0; i < nb; ++i) {
    std::uint8_t scales[8];
    std::uint8_t mins[8];
    for (int j = 0; j < 8; ++j) unpack_scale_min_k4(j, x[i].scales, &scales[j], &mins[j]);
    int sumi = 0;
    for (int j = 0; j < kBlockK / 16; ++j) sumi += y[i].bsums[j] * mins[j / 2];
    __m256i lanes = _mm256_setzero_si256();
    for (int g = 0; g < 4; ++g) {
      const __m128i packed0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x[i].qs + 32 * g));
      const __m128i packed1 =
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(x[i].qs + 32 * g + 16));
      // Sub-block 2g: low nibbles of the 32 bytes; sub-block 2g + 1: high nibbles.
      const __m128i nib[2][2] = {{_mm_and_si128(packed0, mask), _mm_and_si128(packed1, mask)},
                                 {_mm_and_si128(_mm_srli_epi16(packed0, 4), mask),
                                  _mm_and_si128(_mm_srli_epi16(packed1, 4), mask)}};
      for (int h = 0; h < 2; ++h) {
        const int sub = 2 * g + h;
        const std::int8_t* q8 = y[i].qs + 32 * sub;
        const __m256i q8a =
            _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q8)));
        const __m256i q8b =
            _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q8 + 16)));
        // int16 lane k of each product vector is element 16 v + k: residue k mod 8. Products
        // are <= 15 * 128 and the two vectors' sum <= 3840, exact in int16.
        const __m256i prod =
            _mm256_add_epi16(_mm256_mullo_epi16(_mm256_cvtepu8_epi16(nib[h][0]), q8a),
                             _mm256_mullo_epi16(_mm256_cvtepu8_epi16(nib[h][1]), q8b));
        // Lanes 0..7 and 8..15 hold residues 0..7 twice: widen both halves and add.
        const __m256i per_residue =
            _mm256_add_epi32(_mm256_cvtepi16_epi32(_mm256_castsi256_si128(prod)),
                             _mm256_cvtepi16_epi32(_mm256_extracti128_si256(prod, 1)));
        lanes = _mm256_add_epi32(lanes,
                                 _mm256_mullo_epi32(per_residue, _mm256_set1_epi32(scales[sub])));
      }
    }
    const float d = f16(x[i].d) * y[i].d;
    sums = _mm256_add_ps(sums, _mm256_mul_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(lanes)));
    const float dmin = f16(x[i].dmin) * y[i].d;
    sumf -= dmin * static_cast<float>(sumi);
  }
  alignas(32) float lane_sums[8];
  _mm256_store_ps(lane_sums, sums);
  for (float s : lane_sums) sumf += s;
  return sumf;
}

}  // namespace r1::quant::x86
