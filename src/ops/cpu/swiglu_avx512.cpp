// SwiGLU rows on AVX-512: 16 lanes, the tail under a mask.
#include <immintrin.h>

#include "ops/cpu/simd_exp.h"
#include "ops/cpu/swiglu_kernels.h"

namespace r1::ops::cpu {
namespace {

// gate / (1 + exp(-gate)) * up, in the reference's order. The division is exact (vdivps); at
// ~1 cycle per 16 lanes it is not worth an approximate reciprocal.
inline __m512 swiglu16(__m512 gate, __m512 up) {
  const __m512 e = simd_exp::exp_avx512(_mm512_sub_ps(_mm512_setzero_ps(), gate));
  return _mm512_mul_ps(_mm512_div_ps(gate, _mm512_add_ps(_mm512_set1_ps(1.0f), e)), up);
}

}  // namespace

void swiglu_row_avx512(const float* gate, const float* up, std::int64_t ff, float* out) {
  std::int64_t j = 0;
  for (; j + 16 <= ff; j += 16)
    _mm512_storeu_ps(out + j, swiglu16(_mm512_loadu_ps(gate + j), _mm512_loadu_ps(up + j)));
  if (j < ff) {
    const __mmask16 tail = static_cast<__mmask16>((1u << (ff - j)) - 1u);
    _mm512_mask_storeu_ps(
        out + j, tail,
        swiglu16(_mm512_maskz_loadu_ps(tail, gate + j), _mm512_maskz_loadu_ps(tail, up + j)));
  }
}

void exp_row_avx512(const float* x, std::int64_t n, float* out) {
  std::int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(out + i, simd_exp::exp_avx512(_mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 tail = static_cast<__mmask16>((1u << (n - i)) - 1u);
    _mm512_mask_storeu_ps(out + i, tail, simd_exp::exp_avx512(_mm512_maskz_loadu_ps(tail, x + i)));
  }
}

}  // namespace r1::ops::cpu
