// SwiGLU rows on AVX2 + FMA: 8 lanes, the tail in scalar code.
#include <immintrin.h>

#include <cmath>

#include "ops/cpu/simd_exp.h"
#include "ops/cpu/swiglu_kernels.h"

namespace r1::ops::cpu {

void swiglu_row_avx2(const float* gate, const float* up, std::int64_t ff, float* out) {
  std::int64_t j = 0;
  for (; j + 8 <= ff; j += 8) {
    const __m256 g = _mm256_loadu_ps(gate + j);
    const __m256 e = simd_exp::exp_avx2(_mm256_sub_ps(_mm256_setzero_ps(), g));
    const __m256 silu = _mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
    _mm256_storeu_ps(out + j, _mm256_mul_ps(silu, _mm256_loadu_ps(up + j)));
  }
  for (; j < ff; ++j) out[j] = gate[j] / (1.0f + std::exp(-gate[j])) * up[j];
}

void exp_row_avx2(const float* x, std::int64_t n, float* out) {
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, simd_exp::exp_avx2(_mm256_loadu_ps(x + i)));
  for (; i < n; ++i) out[i] = std::exp(x[i]);
}

}  // namespace r1::ops::cpu
