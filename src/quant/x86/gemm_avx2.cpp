// AVX2 tiled quantized products (see gemm.h): the integer block sums of vec_dot_avx2.cpp and
// vec_dot_k_avx2.cpp, computed for tiles of rows x tokens so that each weight block is
// unpacked once per tile of tokens, and each (row, token) output accumulated in float exactly
// as the scalar reference does.
#include "quant/x86/avx2_common.h"
#include "quant/x86/gemm_tiles.h"
#include "quant/x86/simd_kernels.h"

namespace r1::quant::x86 {
namespace {

struct Q8_0 {
  using WBlock = BlockQ8_0;
  using ABlock = BlockQ8_0;
  // Sign-extended to int16: pmaddwd is exact even for -128 * -128.
  struct W {
    __m256i lo, hi;
  };
  using A = W;
  static W prep_w(const BlockQ8_0& b) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs));
    return {_mm256_cvtepi8_epi16(_mm256_castsi256_si128(v)),
            _mm256_cvtepi8_epi16(_mm256_extracti128_si256(v, 1))};
  }
  static A prep_a(const BlockQ8_0& b) { return prep_w(b); }
  static __m256i dot(const W& w, const A& a) {
    return _mm256_add_epi32(_mm256_madd_epi16(w.lo, a.lo), _mm256_madd_epi16(w.hi, a.hi));
  }
  static float wd(const BlockQ8_0& b) { return f16(b.d); }
  static float ad(const BlockQ8_0& b) { return f16(b.d); }
  // sum += sumi * (dx * dy)
  static __m256 step(__m256 acc, __m256 sumi, __m256 dx, __m256 dy) {
    return _mm256_add_ps(acc, _mm256_mul_ps(sumi, _mm256_mul_ps(dx, dy)));
  }
};

struct Q4_0 {
  using WBlock = BlockQ4_0;
  using ABlock = BlockQ8_0;
  using W = __m256i;  // unsigned nibbles in element order
  struct A {
    __m256i y;
    __m256i minus_8_sum;  // -8 * (pair sums of y), so that the lanes add to sum((q - 8) * y)
  };
  static W prep_w(const BlockQ4_0& b) { return unpack_nibbles16(b.qs); }
  static A prep_a(const BlockQ8_0& b) {
    const __m256i y = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs));
    const __m256i ys =
        _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), y), _mm256_set1_epi16(1));
    return {y, _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(ys, 3))};
  }
  static __m256i dot(const W& q, const A& a) {
    return _mm256_add_epi32(_mm256_madd_epi16(_mm256_maddubs_epi16(q, a.y), _mm256_set1_epi16(1)),
                            a.minus_8_sum);
  }
  static float wd(const BlockQ4_0& b) { return f16(b.d); }
  static float ad(const BlockQ8_0& b) { return f16(b.d); }
  // sum += sumi * dx * dy
  static __m256 step(__m256 acc, __m256 sumi, __m256 dx, __m256 dy) {
    return _mm256_add_ps(acc, _mm256_mul_ps(_mm256_mul_ps(sumi, dx), dy));
  }
};

void unpack_k4(const BlockQ4K& b, UnpackedK4* u) {
  unpack_q4_k(b, residue_shuffle(), u);
}
void unpack_k4(const BlockQ5K& b, UnpackedK4* u) {
  unpack_q5_k(b, residue_shuffle(), u);
}

// Q4_K and Q5_K share everything after the unpacking.
template <typename Block>
struct K4 {
  using WBlock = Block;
  struct W {
    UnpackedK4 u;
    float d, dmin;
  };
  struct A {
    __m256i q[8];
  };
  static W prep_w(const Block& b) {
    W w;
    unpack_k4(b, &w.u);
    w.d = f16(b.d);
    w.dmin = f16(b.dmin);
    return w;
  }
  static A prep_a(const BlockQ8K& b) {
    A a;
    load_q8_k(b, residue_shuffle(), a.q);
    return a;
  }
  static void accumulate(const W& w, const A& a, const BlockQ8K& ab, __m256* sums, float* sumf) {
    const __m256i lanes = k4_block_lanes(w.u, a.q);
    const int sumi = k4_min_term(w.u.mins, ab.bsums);
    const float d = w.d * ab.d;
    *sums = _mm256_add_ps(*sums, _mm256_mul_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(lanes)));
    const float dmin = w.dmin * ab.d;
    *sumf -= dmin * static_cast<float>(sumi);
  }
};

struct Q6K {
  using WBlock = BlockQ6K;
  struct W {
    UnpackedQ6K u;
    float d;
  };
  struct A {
    __m256i q[8];
    __m256i off[8];
  };
  static W prep_w(const BlockQ6K& b) {
    W w;
    unpack_q6_k(b, residue_shuffle(), &w.u);
    w.d = f16(b.d);
    return w;
  }
  static A prep_a(const BlockQ8K& b) {
    A a;
    load_q8_k(b, residue_shuffle(), a.q);
    for (int c = 0; c < 8; ++c) a.off[c] = q6_offset(a.q[c]);
    return a;
  }
  static void accumulate(const W& w, const A& a, const BlockQ8K& ab, __m256* sums, float*) {
    const __m256i lanes = q6_k_block_lanes(w.u, a.q, a.off);
    const float d = w.d * ab.d;
    *sums = _mm256_add_ps(*sums, _mm256_mul_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(lanes)));
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

template <class K>
void k_quant(const typename K::WBlock* w, std::int64_t n_rows, std::int64_t nb, const BlockQ8K* a,
             std::int64_t n_tokens, float* y, std::int64_t ys) {
  if (n_tokens < 4) {
    k_tiles<K, 1>(w, n_rows, nb, a, n_tokens, y, ys);
  } else {
    k_tiles<K, 4>(w, n_rows, nb, a, n_tokens, y, ys);
  }
}

}  // namespace

void gemm_q8_0_avx2(const BlockQ8_0* w, std::int64_t n_rows, std::int64_t nb, const BlockQ8_0* a,
                    std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  legacy<Q8_0>(w, n_rows, nb, a, n_tokens, y, y_stride);
}

void gemm_q4_0_avx2(const BlockQ4_0* w, std::int64_t n_rows, std::int64_t nb, const BlockQ8_0* a,
                    std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  legacy<Q4_0>(w, n_rows, nb, a, n_tokens, y, y_stride);
}

void gemm_q4_k_avx2(const BlockQ4K* w, std::int64_t n_rows, std::int64_t nb, const BlockQ8K* a,
                    std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  k_quant<K4<BlockQ4K>>(w, n_rows, nb, a, n_tokens, y, y_stride);
}

void gemm_q5_k_avx2(const BlockQ5K* w, std::int64_t n_rows, std::int64_t nb, const BlockQ8K* a,
                    std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  k_quant<K4<BlockQ5K>>(w, n_rows, nb, a, n_tokens, y, y_stride);
}

void gemm_q6_k_avx2(const BlockQ6K* w, std::int64_t n_rows, std::int64_t nb, const BlockQ8K* a,
                    std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  k_quant<Q6K>(w, n_rows, nb, a, n_tokens, y, y_stride);
}

}  // namespace r1::quant::x86
