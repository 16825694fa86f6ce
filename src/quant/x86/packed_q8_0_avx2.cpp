// q8_0 products on the repacked layout (quant/packed_q8_0.h) with AVX2, one lane per weight row
// as the AVX-512 VNNI kernel (packed_q8_0_avx512_vnni.cpp), each 64-byte vector of a block taken
// as two halves of 8 rows. The layout stores w + 128 for VNNI's unsigned operand; here a pxor
// gives w back, and pmaddubsw takes |w| (unsigned: 128 for w = -128) against the token's 4 bytes
// broadcast with w's sign (pairs <= 2 * 128 * 127 = 32512: exact), then pmaddwd with ones widens
// the pairs into the block's exact int32 sums. A token byte of -128 has no such signed copy; a
// call whose activations hold one (our quantizer never writes it: |q| <= 127) runs the reference.
//
// Each row's float sum takes its blocks in order with the reference's expression
// (ref::gemm_packed_q8_0: sum += sumi * (dx * dy)), lane by lane, so the products equal the
// reference bit for bit. Per block and 8 rows that is 8 pmaddubsw + 8 pmaddwd and one float
// update, where the row kernels (rows_legacy_avx2.cpp) also convert, scale and add per row.
// Both halves of a block share each broadcast of a token's bytes.
#include <immintrin.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <vector>

#include "quant/blocks.h"
#include "quant/packed_q8_0.h"
#include "quant/x86/avx2_common.h"
#include "quant/x86/simd_kernels.h"

namespace r1::quant::x86 {
namespace {

constexpr std::int64_t kMaxPassTokens = 16;  // tokens per pass over a group (it stays in cache)
constexpr int kTokensInRegisters = 3;        // 2 x 3 accumulators, 3 broadcasts, w, |w|, ones
constexpr std::ptrdiff_t kBlockQuantBytes = 512;  // 8 vectors of 16 rows x 4 bytes
constexpr std::ptrdiff_t kPrefetchBytes = 8192;   // ahead of the quant stream, into L1

/// NT tokens (token t's blocks at a + t * nb, scales as floats at dy + t * nb) times every block
/// of one group (the rows' fp16 scales at scales, the quants at quants), added to acc_h[h][t]
/// (h = 0: rows 0-7, 1: rows 8-15). Not inlined, and the pointers copied in, so that GCC 12
/// keeps them in registers (as rows_legacy_avx2.cpp).
template <int NT, bool Prefetch>
__attribute__((noinline)) void group_tokens(const std::uint8_t* scales_in,
                                            const std::uint8_t* quants_in, const BlockQ8_0* a_in,
                                            const float* dy_in, std::int64_t nb,
                                            __m256* const* acc_h) {
  const std::uint8_t* const scales = scales_in;
  const std::uint8_t* const quants = quants_in;
  const BlockQ8_0* const a = a_in;
  const float* const dy = dy_in;
  const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 sums[2][NT];
  for (int h = 0; h < 2; ++h)
    for (int t = 0; t < NT; ++t) sums[h][t] = acc_h[h][t];
  for (std::int64_t b = 0; b < nb; ++b) {
    const std::uint8_t* const block = quants + b * kBlockQuantBytes;
    if constexpr (Prefetch) {
      for (int line = 0; line < 8; ++line)
        _mm_prefetch(reinterpret_cast<const char*>(block + kPrefetchBytes + 64 * line),
                     _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(scales + 32 * b + kPrefetchBytes / 16),
                   _MM_HINT_T0);
    }
    __m256i sumi[2][NT];
    for (int h = 0; h < 2; ++h)
      for (int t = 0; t < NT; ++t) sumi[h][t] = _mm256_setzero_si256();
    for (int q = 0; q < 8; ++q) {
      __m256i y[NT];
      for (int t = 0; t < NT; ++t) y[t] = broadcast4(a[t * nb + b].qs + 4 * q);
      for (int h = 0; h < 2; ++h) {
        const __m256i w = _mm256_xor_si256(
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 64 * q + 32 * h)), flip);
        const __m256i w_abs = _mm256_abs_epi8(w);
        for (int t = 0; t < NT; ++t) {
          const __m256i pairs = _mm256_maddubs_epi16(w_abs, _mm256_sign_epi8(y[t], w));
          sumi[h][t] = _mm256_add_epi32(sumi[h][t], _mm256_madd_epi16(pairs, ones));
        }
      }
    }
    for (int h = 0; h < 2; ++h) {
      const __m256 dx = _mm256_cvtph_ps(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(scales + 32 * b + 16 * h)));
      for (int t = 0; t < NT; ++t) {
        const __m256 scale = _mm256_mul_ps(dx, _mm256_set1_ps(dy[t * nb + b]));
        sums[h][t] =
            _mm256_add_ps(sums[h][t], _mm256_mul_ps(_mm256_cvtepi32_ps(sumi[h][t]), scale));
      }
    }
  }
  for (int h = 0; h < 2; ++h)
    for (int t = 0; t < NT; ++t) acc_h[h][t] = sums[h][t];
}

/// group_tokens for n (1..kTokensInRegisters) tokens.
template <bool Prefetch>
void group_tokens_n(int n, const std::uint8_t* scales, const std::uint8_t* quants,
                    const BlockQ8_0* a, const float* dy, std::int64_t nb, __m256* const* acc_h) {
  static_assert(kTokensInRegisters == 3);
  switch (n) {
    case 1:
      return group_tokens<1, Prefetch>(scales, quants, a, dy, nb, acc_h);
    case 2:
      return group_tokens<2, Prefetch>(scales, quants, a, dy, nb, acc_h);
    default:
      return group_tokens<3, Prefetch>(scales, quants, a, dy, nb, acc_h);
  }
}

/// One pass of n_tokens (<= kMaxPassTokens) over group g; lanes outside [row_begin, row_end)
/// are not stored.
void group_pass(const std::uint8_t* packed, std::int64_t nb, std::int64_t g, std::int64_t row_begin,
                std::int64_t row_end, const BlockQ8_0* a, const float* dy, std::int64_t n_tokens,
                float* y, std::int64_t y_stride) {
  const std::uint8_t* const group =
      packed + static_cast<std::size_t>(g) * packed_q8_0_group_bytes(nb);
  const std::uint8_t* const quants = group + packed_q8_0_scale_bytes(nb);
  __m256 acc[2][kMaxPassTokens];
  for (std::int64_t t = 0; t < n_tokens; ++t) acc[0][t] = acc[1][t] = _mm256_setzero_ps();
  for (std::int64_t t0 = 0; t0 < n_tokens; t0 += kTokensInRegisters) {
    const int n = static_cast<int>(std::min<std::int64_t>(kTokensInRegisters, n_tokens - t0));
    __m256* const acc_h[2] = {acc[0] + t0, acc[1] + t0};
    if (t0 == 0) {
      group_tokens_n<true>(n, group, quants, a, dy, nb, acc_h);
    } else {
      group_tokens_n<false>(n, group, quants, a + t0 * nb, dy + t0 * nb, nb, acc_h);
    }
  }
  store_group_rows(acc, g, row_begin, row_end, n_tokens, y, y_stride);
}

}  // namespace

void packed_q8_0_avx2(const std::uint8_t* packed, std::int64_t nb, std::int64_t row_begin,
                      std::int64_t row_end, const BlockQ8_0* a, std::int64_t n_tokens, float* y,
                      std::int64_t y_stride) {
  if (has_minus_128(a, n_tokens * nb)) {
    return ref::gemm_packed_q8_0(packed, nb, row_begin, row_end, a, n_tokens, y, y_stride);
  }
  thread_local std::vector<float> dy;
  dy.resize(static_cast<std::size_t>(n_tokens * nb));
  for (std::int64_t i = 0; i < n_tokens * nb; ++i) dy[static_cast<std::size_t>(i)] = f16(a[i].d);
  // Groups outside, passes of up to 16 tokens inside: a group (nb x 544 bytes) stays in cache
  // for its later passes.
  for (std::int64_t g = row_begin / kPackedQ8Rows; g * kPackedQ8Rows < row_end; ++g) {
    for (std::int64_t t0 = 0; t0 < n_tokens; t0 += kMaxPassTokens) {
      const std::int64_t n = std::min(kMaxPassTokens, n_tokens - t0);
      group_pass(packed, nb, g, row_begin, row_end, a + t0 * nb, dy.data() + t0 * nb, n,
                 y + t0 * y_stride, y_stride);
    }
  }
}

}  // namespace r1::quant::x86
