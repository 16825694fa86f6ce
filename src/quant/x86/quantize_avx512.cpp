// Activation quantizers q8_0 and q8_1 with AVX-512 (the CPU backend quantizes every token's
// input of every quantized product): one block of 32 floats per two vectors. Bit-exact with
// ref::quantize_q8_0 / quantize_q8_1 for finite inputs: the same float operations per element
// (amax / 127, 1 / d, x * id), and C's roundf (half away from zero) as trunc(|v|) + (the
// fraction >= 0.5) with v's sign.
// GCC 12's 512-bit intrinsics hand _mm512_undefined_* to the masked builtins they wrap, which
// -Wmaybe-uninitialized reports at every use.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstdint>

#include "core/half.h"
#include "quant/x86/simd_kernels.h"

namespace r1::quant::x86 {
namespace {

/// roundf of each lane (|v| well below 2^23, as x * id is here).
inline __m512 round_half_away(__m512 v) {
  const __m512 a = _mm512_abs_ps(v);
  const __m512 t = _mm512_roundscale_ps(a, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __mmask16 up = _mm512_cmp_ps_mask(_mm512_sub_ps(a, t), _mm512_set1_ps(0.5f), _CMP_GE_OQ);
  const __m512i r = _mm512_castps_si512(_mm512_mask_add_ps(t, up, t, _mm512_set1_ps(1.0f)));
  const __m512i sign = _mm512_and_si512(_mm512_castps_si512(v), _mm512_set1_epi32(INT32_MIN));
  return _mm512_castsi512_ps(_mm512_or_si512(r, sign));
}

/// The block's scale d and its 32 quants; returns the sum of the quants.
inline int quantize_block(const float* x, float* d_out, std::int8_t* qs) {
  const __m512 lo = _mm512_loadu_ps(x), hi = _mm512_loadu_ps(x + 16);
  const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(lo), _mm512_abs_ps(hi)));
  const float d = amax / 127;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  const __m512 scale = _mm512_set1_ps(id);
  const __m512i q_lo = _mm512_cvttps_epi32(round_half_away(_mm512_mul_ps(lo, scale)));
  const __m512i q_hi = _mm512_cvttps_epi32(round_half_away(_mm512_mul_ps(hi, scale)));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(qs), _mm512_cvtsepi32_epi8(q_lo));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(qs + 16), _mm512_cvtsepi32_epi8(q_hi));
  *d_out = d;
  return _mm512_reduce_add_epi32(_mm512_add_epi32(q_lo, q_hi));
}

}  // namespace

void quantize_q8_0_avx512(const float* x, BlockQ8_0* y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i, x += 32) {
    float d = 0.0f;
    quantize_block(x, &d, y[i].qs);
    y[i].d = f32_to_f16(d);
  }
}

void quantize_q8_1_avx512(const float* x, BlockQ8_1* y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i, x += 32) {
    float d = 0.0f;
    const int sum = quantize_block(x, &d, y[i].qs);
    y[i].d = f32_to_f16(d);
    // s is the block sum times the f32 d, rounded once to f16 (as the reference).
    y[i].s = f32_to_f16(static_cast<float>(sum) * d);
  }
}

}  // namespace r1::quant::x86
