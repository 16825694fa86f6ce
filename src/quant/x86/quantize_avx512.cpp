// Activation quantizers q8_0, q8_1 and q8_k with AVX-512 (the CPU backend quantizes every
// token's input of every quantized product): q8_0 / q8_1 one block of 32 floats per two vectors,
// q8_k one of 256 per 16. Bit-exact with ref::quantize_q8_0 / quantize_q8_1 / quantize_q8_k for
// finite inputs: the same float operations per element (amax / 127, 1 / d, x * id; -127 / max,
// x * iscale), C's roundf (half away from zero) as trunc(|v|) + (the fraction >= 0.5) with v's
// sign for q8_0 / q8_1, and ggml's nearest_int (half to even) as the FPU's default rounding for
// q8_k.
// GCC 12's 512-bit intrinsics hand _mm512_undefined_* to the masked builtins they wrap, which
// -Wmaybe-uninitialized reports at every use.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstdint>
#include <cstring>

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

void quantize_q8_k_avx512(const float* x, BlockQ8K* y, std::int64_t nb) {
  constexpr int kVectors = kBlockK / 16;
  for (std::int64_t i = 0; i < nb; ++i, x += kBlockK) {
    __m512 v[kVectors];
    __m512 amax_lanes = _mm512_setzero_ps();
    for (int k = 0; k < kVectors; ++k) {
      v[k] = _mm512_loadu_ps(x + 16 * k);
      amax_lanes = _mm512_max_ps(amax_lanes, _mm512_abs_ps(v[k]));
    }
    const float amax = _mm512_reduce_max_ps(amax_lanes);
    if (amax == 0.0f) {  // as the reference: the whole block zeroed
      std::memset(&y[i], 0, sizeof y[i]);
      continue;
    }
    // max: the first element of largest magnitude, with its sign (the reference's scan).
    float max = 0.0f;
    const __m512 amax_v = _mm512_set1_ps(amax);
    for (int k = 0; k < kVectors; ++k) {
      const __mmask16 at = _mm512_cmp_ps_mask(_mm512_abs_ps(v[k]), amax_v, _CMP_EQ_OQ);
      if (at != 0) {
        max = x[16 * k + __builtin_ctz(at)];
        break;
      }
    }
    const float iscale = -127.f / max;
    const __m512 scale = _mm512_set1_ps(iscale);
    const __m512i top = _mm512_set1_epi32(127);
    for (int k = 0; k < kVectors; ++k) {
      // cvtps rounds half to even (MXCSR's default), as nearest_int.
      const __m512i q = _mm512_min_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(v[k], scale)), top);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(y[i].qs + 16 * k), _mm512_cvtsepi32_epi8(q));
      y[i].bsums[k] = static_cast<std::int16_t>(_mm512_reduce_add_epi32(q));
    }
    y[i].d = 1 / iscale;
  }
}

}  // namespace r1::quant::x86
