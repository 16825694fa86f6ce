// AVX2 Q8_0 and Q4_0 products for decode-sized batches (gemm.h), one weight row at a time
// against up to 4 tokens. Each block's integer sums are exact int32 lanes, scaled by
// d_weight * d_token and added to the row's 8 float lanes with one FMA: ggml's SIMD order, not
// the scalar reference's (one float sum per block), so the outputs agree with the reference to
// float rounding rather than bit for bit. The tiles of gemm_avx2.cpp keep the reference's order
// with a horizontal sum per block and output, which made decode compute-bound on AVX2.
//
// Integer steps (all exact, whatever the bytes):
// - Q8_0 x Q8_0: pmaddubsw(|w|, y with w's sign) and pmaddwd with ones, as ggml does. |w| <= 128
//   as an unsigned byte, but y with w's sign overflows for y = -128, so a call whose activations
//   hold a -128 (our quantizer never writes one: |q| <= 127) sign-extends both sides to int16
//   and multiplies with pmaddwd instead.
// - Q4_0 x Q8_0: pmaddubsw(q, y) of the unsigned nibbles (pairs <= 2 * 15 * 128), minus the
//   token's 8 * (pair sums of y), prepared once per call (|difference| <= 3840 + 2048, int16),
//   then pmaddwd with ones.
//
// Zen 1 cores (256-bit instructions as two 128-bit halves, one integer multiply pipe) made the
// instruction count the limit here: every instruction taken out of the block loop showed in
// decode (measurements in README "CPU speed").
#include <vector>

#include "quant/x86/avx2_common.h"
#include "quant/x86/rows_common.h"
#include "quant/x86/simd_kernels.h"

namespace r1::quant::x86 {
namespace {

inline __m256i load(const void* p) {
  return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}

/// The tokens' blocks, prepared once per call: their scales as floats, and per block 32 values
/// of a kernel's own choice (Value: int16).
struct PreparedTokens {
  std::vector<float> scales;         // d per block; token t's at t * nb
  std::vector<std::int16_t> values;  // 32 per block where the kernel needs them
};

void prepare_scales(const BlockQ8_0* a, std::int64_t count, PreparedTokens* p) {
  p->scales.resize(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) p->scales[static_cast<std::size_t>(i)] = f16(a[i].d);
}

void prepare_int16(const BlockQ8_0* a, std::int64_t count, PreparedTokens* p) {
  p->values.resize(static_cast<std::size_t>(count * kBlock32));
  for (std::int64_t i = 0; i < count; ++i) {
    const __m256i v = load(a[i].qs);
    auto* out = reinterpret_cast<__m256i*>(p->values.data() + i * kBlock32);
    _mm256_storeu_si256(out, _mm256_cvtepi8_epi16(_mm256_castsi256_si128(v)));
    _mm256_storeu_si256(out + 1, _mm256_cvtepi8_epi16(_mm256_extracti128_si256(v, 1)));
  }
}

/// Per block, int16 lane j: 8 * (y[2 j] + y[2 j + 1]) (16 values of the 32).
void prepare_eight_pair_sums(const BlockQ8_0* a, std::int64_t count, PreparedTokens* p) {
  p->values.resize(static_cast<std::size_t>(count * 16));
  const __m256i ones = _mm256_set1_epi8(1);
  for (std::int64_t i = 0; i < count; ++i) {
    const __m256i pairs = _mm256_maddubs_epi16(ones, load(a[i].qs));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p->values.data() + i * 16),
                        _mm256_slli_epi16(pairs, 3));
  }
}

/// Pointers to token t's data for t < T, copied out of the driver's arrays: read through those,
/// GCC 12 kept them (and the loop counter) on the stack, and every block waited on a
/// store-to-load chain.
template <int T>
struct Tokens {
  const BlockQ8_0* blocks[T];
  const float* scales[T];
  const std::int16_t* values[T];
};

/// One Q8_0 row against T tokens whose activations are all > -128.
template <int T>
__attribute__((noinline)) void q8_0_row_signed(const BlockQ8_0* w, std::int64_t nb, Tokens<T> tok,
                                               float* out) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  for (std::int64_t i = 0; i < nb; ++i) {
    const __m256i q = load(w[i].qs);
    const __m256i q_abs = _mm256_sign_epi8(q, q);
    const float d = f16(w[i].d);
    for (int t = 0; t < T; ++t) {
      const __m256i y = _mm256_sign_epi8(load(tok.blocks[t][i].qs), q);
      const __m256i sumi = _mm256_madd_epi16(_mm256_maddubs_epi16(q_abs, y), ones);
      acc[t] =
          _mm256_fmadd_ps(_mm256_set1_ps(d * tok.scales[t][i]), _mm256_cvtepi32_ps(sumi), acc[t]);
    }
  }
  for (int t = 0; t < T; ++t) out[t] = hsum_ps(acc[t]);
}

/// One Q8_0 row against T tokens given as int16 (any bytes).
template <int T>
__attribute__((noinline)) void q8_0_row_int16(const BlockQ8_0* w, std::int64_t nb, Tokens<T> tok,
                                              float* out) {
  __m256 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  for (std::int64_t i = 0; i < nb; ++i) {
    const __m256i q = load(w[i].qs);
    const __m256i lo = _mm256_cvtepi8_epi16(_mm256_castsi256_si128(q));
    const __m256i hi = _mm256_cvtepi8_epi16(_mm256_extracti128_si256(q, 1));
    const float d = f16(w[i].d);
    for (int t = 0; t < T; ++t) {
      const std::int16_t* y = tok.values[t] + i * kBlock32;
      const __m256i sumi =
          _mm256_add_epi32(_mm256_madd_epi16(lo, load(y)), _mm256_madd_epi16(hi, load(y + 16)));
      acc[t] =
          _mm256_fmadd_ps(_mm256_set1_ps(d * tok.scales[t][i]), _mm256_cvtepi32_ps(sumi), acc[t]);
    }
  }
  for (int t = 0; t < T; ++t) out[t] = hsum_ps(acc[t]);
}

/// One Q4_0 row against T tokens (values: their eight_pair_sums).
template <int T>
__attribute__((noinline)) void q4_0_row(const BlockQ4_0* w, std::int64_t nb, Tokens<T> tok,
                                        float* out) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  for (std::int64_t i = 0; i < nb; ++i) {
    const __m256i q = unpack_nibbles16(w[i].qs);  // 0 .. 15
    const float d = f16(w[i].d);
    for (int t = 0; t < T; ++t) {
      // (q - 8) * y per pair = q * y - 8 * y.
      const __m256i pairs = _mm256_sub_epi16(_mm256_maddubs_epi16(q, load(tok.blocks[t][i].qs)),
                                             load(tok.values[t] + i * 16));
      const __m256i sumi = _mm256_madd_epi16(pairs, ones);
      acc[t] =
          _mm256_fmadd_ps(_mm256_set1_ps(d * tok.scales[t][i]), _mm256_cvtepi32_ps(sumi), acc[t]);
    }
  }
  for (int t = 0; t < T; ++t) out[t] = hsum_ps(acc[t]);
}

/// Every row against every token, kRowGroupTokens tokens per pass over the rows; row_fn(count,
/// row, tokens, out) with count a std::integral_constant.
template <typename Block, typename RowFn>
void rows(const Block* w, std::int64_t n_rows, std::int64_t nb, const BlockQ8_0* a,
          const PreparedTokens& prepared, std::int64_t values_per_block, std::int64_t n_tokens,
          float* y, std::int64_t y_stride, RowFn row_fn) {
  for_token_groups<kRowGroupTokens>(
      n_rows, n_tokens, y, y_stride, [&](std::int64_t r, std::int64_t t0, int n, float* out) {
        with_token_count(n, [&](auto count) {
          Tokens<count()> tok;
          for (int t = 0; t < count(); ++t) {
            tok.blocks[t] = a + (t0 + t) * nb;
            tok.scales[t] = prepared.scales.data() + (t0 + t) * nb;
            tok.values[t] = prepared.values.data() + (t0 + t) * nb * values_per_block;
          }
          row_fn(count, w + r * nb, nb, tok, out);
        });
      });
}

}  // namespace

void rows_q8_0_avx2(const BlockQ8_0* w, std::int64_t n_rows, std::int64_t nb, const BlockQ8_0* a,
                    std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  thread_local PreparedTokens prepared;
  prepare_scales(a, n_tokens * nb, &prepared);
  if (!has_minus_128(a, n_tokens * nb)) {
    return rows(w, n_rows, nb, a, prepared, 0, n_tokens, y, y_stride,
                [](auto count, const BlockQ8_0* row, std::int64_t blocks, auto tok, float* out) {
                  q8_0_row_signed<count()>(row, blocks, tok, out);
                });
  }
  prepare_int16(a, n_tokens * nb, &prepared);
  rows(w, n_rows, nb, a, prepared, kBlock32, n_tokens, y, y_stride,
       [](auto count, const BlockQ8_0* row, std::int64_t blocks, auto tok, float* out) {
         q8_0_row_int16<count()>(row, blocks, tok, out);
       });
}

void rows_q4_0_avx2(const BlockQ4_0* w, std::int64_t n_rows, std::int64_t nb, const BlockQ8_0* a,
                    std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  thread_local PreparedTokens prepared;
  prepare_scales(a, n_tokens * nb, &prepared);
  prepare_eight_pair_sums(a, n_tokens * nb, &prepared);
  rows(w, n_rows, nb, a, prepared, 16, n_tokens, y, y_stride,
       [](auto count, const BlockQ4_0* row, std::int64_t blocks, auto tok, float* out) {
         q4_0_row<count()>(row, blocks, tok, out);
       });
}

}  // namespace r1::quant::x86
