// AVX-512 VNNI tiled products for q4_0 (q8_0 has batch_q8_avx512_vnni.cpp), in 256-bit
// registers through AVX512VL: one vpdpbusd per (row, token) block, the activation's correction
// term precomputed per token as the accumulator it starts from. Exact integer sums, float steps lane-wise in the scalar
// reference's order.
#include "quant/x86/avx2_common.h"
#include "quant/x86/gemm_tiles.h"
#include "quant/x86/simd_kernels.h"

namespace r1::quant::x86 {
namespace {

__m256i pair_sums_x(__m256i y, int shift) {
  // -(sum of each 4 bytes of y) << shift: the term that turns the offset products exact.
  const __m256i ysum = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(1), y);
  return _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_sll_epi32(ysum, _mm_cvtsi32_si128(shift)));
}

struct ActVnni {
  __m256i y;
  __m256i correction;
};

struct Q4_0 {
  using WBlock = BlockQ4_0;
  using ABlock = BlockQ8_0;
  using W = __m256i;
  using A = ActVnni;
  static W prep_w(const BlockQ4_0& b) { return unpack_nibbles16(b.qs); }
  // sum((q - 8) * y) = sum(q * y) - 8 sum(y)
  static A prep_a(const BlockQ8_0& b) {
    const __m256i y = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs));
    return {y, pair_sums_x(y, 3)};
  }
  static __m256i dot(const W& q, const A& a) { return _mm256_dpbusd_epi32(a.correction, q, a.y); }
  static float wd(const BlockQ4_0& b) { return f16(b.d); }
  static float ad(const BlockQ8_0& b) { return f16(b.d); }
  static __m256 step(__m256 acc, __m256 sumi, __m256 dx, __m256 dy) {
    return _mm256_add_ps(acc, _mm256_mul_ps(_mm256_mul_ps(sumi, dx), dy));
  }
};

template <class K>
void legacy(const typename K::WBlock* w, std::int64_t n_rows, std::int64_t nb,
            const typename K::ABlock* a, std::int64_t n_tokens, float* y, std::int64_t ys) {
  if (n_tokens == 1) {
    legacy_tiles<K, 8, 1>(w, n_rows, nb, a, n_tokens, y, ys);
  } else {
    legacy_tiles<K, 4, 2>(w, n_rows, nb, a, n_tokens, y, ys);
  }
}

}  // namespace

void gemm_q4_0_avx512_vnni(const BlockQ4_0* w, std::int64_t n_rows, std::int64_t nb,
                           const BlockQ8_0* a, std::int64_t n_tokens, float* y,
                           std::int64_t y_stride) {
  legacy<Q4_0>(w, n_rows, nb, a, n_tokens, y, y_stride);
}

}  // namespace r1::quant::x86
