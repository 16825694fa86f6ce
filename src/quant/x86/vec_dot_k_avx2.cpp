// AVX2 Q4_K, Q5_K and Q6_K x Q8_K dot products on the residue lanes of avx2_common.h: the integer
// lanes equal the scalar reference's, and the float steps (d * lane into 8 partial sums, the
// mins subtracted per block, the 8 sums added last) are the reference's, bit for bit.
#include "quant/x86/avx2_common.h"
#include "quant/x86/simd_kernels.h"

namespace r1::quant::x86 {
namespace {

float finish_lanes(__m256 sums, float sumf) {
  alignas(32) float lane_sums[8];
  _mm256_store_ps(lane_sums, sums);
  for (float s : lane_sums) sumf += s;
  return sumf;
}

// Q4_K and Q5_K differ only in how a block unpacks into the same 4-bit-scale lanes.
template <typename Block, void (*Unpack)(const Block&, __m256i, UnpackedK4*)>
float vec_dot_k4_like(const Block* x, const BlockQ8K* y, std::int64_t nb) {
  const __m256i shuffle = residue_shuffle();
  __m256 sums = _mm256_setzero_ps();
  float sumf = 0.0f;
  for (std::int64_t i = 0; i < nb; ++i) {
    UnpackedK4 u;
    Unpack(x[i], shuffle, &u);
    __m256i a[8];
    load_q8_k(y[i], shuffle, a);
    const __m256i lanes = k4_block_lanes(u, a);
    const int sumi = k4_min_term(u.mins, y[i].bsums);
    const float d = f16(x[i].d) * y[i].d;
    sums = _mm256_add_ps(sums, _mm256_mul_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(lanes)));
    const float dmin = f16(x[i].dmin) * y[i].d;
    sumf -= dmin * static_cast<float>(sumi);
  }
  return finish_lanes(sums, sumf);
}

}  // namespace

float vec_dot_q4_k_q8_k_avx2(const BlockQ4K* x, const BlockQ8K* y, std::int64_t nb) {
  return vec_dot_k4_like<BlockQ4K, unpack_q4_k>(x, y, nb);
}

float vec_dot_q5_k_q8_k_avx2(const BlockQ5K* x, const BlockQ8K* y, std::int64_t nb) {
  return vec_dot_k4_like<BlockQ5K, unpack_q5_k>(x, y, nb);
}

float vec_dot_q6_k_q8_k_avx2(const BlockQ6K* x, const BlockQ8K* y, std::int64_t nb) {
  const __m256i shuffle = residue_shuffle();
  __m256 sums = _mm256_setzero_ps();
  for (std::int64_t i = 0; i < nb; ++i) {
    UnpackedQ6K u;
    unpack_q6_k(x[i], shuffle, &u);
    __m256i a[8];
    __m256i off[8];
    load_q8_k(y[i], shuffle, a);
    for (int c = 0; c < 8; ++c) off[c] = q6_offset(a[c]);
    const __m256i lanes = q6_k_block_lanes(u, a, off);
    const float d = f16(x[i].d) * y[i].d;
    sums = _mm256_add_ps(sums, _mm256_mul_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(lanes)));
  }
  return finish_lanes(sums, 0.0f);
}

}  // namespace r1::quant::x86
