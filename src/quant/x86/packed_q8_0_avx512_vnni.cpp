// q8_0 products on the repacked layout (quant/packed_q8_0.h) with 512-bit VNNI, one lane per
// weight row: a block of 16 rows is 8 vector loads, already transposed and made unsigned at load
// time, and each token then costs 8 vpdpbusd with its 4 activation bytes broadcast, plus the
// float update with one lane per row. Compared with batch_q8_avx512_vnni.cpp (the same
// arithmetic on the file's layout) this drops the per-block transpose and the gather of the 16
// scales, and each thread reads one contiguous stream instead of 16 rows.
//
// Each token's block starts from -128 * sum(a) (the weights are stored as q + 128), so the
// integer sums are exact; each row's float sum takes its blocks in order with the reference's
// expression, sumi * (dx * dy): bit-exact with ref::vec_dot_q8_0_q8_0 on the original rows.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12's _mm512_undefined_* in masks
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <utility>
#include <vector>

#include "quant/packed_q8_0.h"
#include "quant/x86/q8_0_lanes.h"
#include "quant/x86/simd_kernels.h"

namespace r1::quant::x86 {
namespace {

constexpr int kMaxPassTokens = 16;             // tokens per pass over a group (registers)
// Each line of the quant stream is asked for this far ahead, into L1, as the one-token bf16
// product does (ops/cpu/matmul_avx512.cpp). On the AMD EPYC of 2026-12-02 this replaced a pair
// per line (1 KiB ahead into L1 and 16 KiB ahead into L2): r1 bench q8_0 tg128 -t 2, seven
// alternating runs each, median 22.7 -> 24.5 tok/s (the host noisy, ±15 %).
constexpr std::ptrdiff_t kPrefetchBytes = 8192;


template <int T>
void group_pass(const std::uint8_t* scales, const std::uint8_t* quants, std::int64_t nb,
                const BlockQ8_0* a, const TokenBlock* tb, __m512* acc) {
  for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  for (std::int64_t b = 0; b < nb; ++b) {
    const std::uint8_t* block = quants + b * 512;
    for (int line = 0; line < 512; line += 64) {
      _mm_prefetch(reinterpret_cast<const char*>(block + kPrefetchBytes + line), _MM_HINT_T0);
    }
    _mm_prefetch(reinterpret_cast<const char*>(scales + b * 32 + 256), _MM_HINT_T0);
    const __m512 dx = _mm512_cvtph_ps(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(scales + b * 32)));
    __m512i w[8];
    for (int q = 0; q < 8; ++q)
      w[q] = _mm512_loadu_si512(reinterpret_cast<const __m512i*>(block + 64 * q));
    // Tokens four at a time with their chains interleaved (add_block_products), then the rest.
    int t = 0;
    for (; t + 8 <= T; t += 8) add_block_products<8>(w, dx, a + t * nb + b, nb, tb + t * nb + b, acc + t);
    for (; t + 4 <= T; t += 4) add_block_products<4>(w, dx, a + t * nb + b, nb, tb + t * nb + b, acc + t);
    for (; t < T; ++t) acc[t] = add_block_product(w, dx, a[t * nb + b], tb[t * nb + b], acc[t]);
  }
}

/// One pass of T tokens over group g; lanes outside [row_begin, row_end) are not stored.
template <int T>
void group(const std::uint8_t* packed, std::int64_t nb, std::int64_t g, std::int64_t row_begin,
           std::int64_t row_end, const BlockQ8_0* a, const TokenBlock* tb, float* y,
           std::int64_t y_stride) {
  const std::uint8_t* base = packed + static_cast<std::size_t>(g) * packed_q8_0_group_bytes(nb);
  __m512 acc[T];
  group_pass<T>(base, base + packed_q8_0_scale_bytes(nb), nb, a, tb, acc);
  const std::int64_t first = g * kPackedQ8Rows;
  const std::int64_t lo = std::max(first, row_begin), hi = std::min(first + kPackedQ8Rows, row_end);
  for (int t = 0; t < T; ++t) {
    float* out = y + t * y_stride + (lo - row_begin);
    if (lo == first && hi == first + kPackedQ8Rows) {
      _mm512_storeu_ps(out, acc[t]);
    } else {
      alignas(64) float lanes[kPackedQ8Rows];
      _mm512_store_ps(lanes, acc[t]);
      std::memcpy(out, lanes + (lo - first), static_cast<std::size_t>(hi - lo) * sizeof(float));
    }
  }
}

using GroupFn = void (*)(const std::uint8_t*, std::int64_t, std::int64_t, std::int64_t,
                         std::int64_t, const BlockQ8_0*, const TokenBlock*, float*, std::int64_t);

template <std::size_t... I>
constexpr auto groups(std::index_sequence<I...>) {
  return std::array<GroupFn, sizeof...(I)>{&group<static_cast<int>(I) + 1>...};
}

}  // namespace

void packed_q8_0_avx512_vnni(const std::uint8_t* packed, std::int64_t nb, std::int64_t row_begin,
                             std::int64_t row_end, const BlockQ8_0* a, std::int64_t n_tokens,
                             float* y, std::int64_t y_stride) {
  static constexpr auto kGroups = groups(std::make_index_sequence<kMaxPassTokens>());
  thread_local std::vector<TokenBlock> blocks;
  prepare_token_blocks(a, n_tokens * nb, &blocks);
  // Groups outside, passes of up to 16 tokens inside: a group (nb x 544 bytes) stays in cache
  // for its later passes.
  for (std::int64_t g = row_begin / kPackedQ8Rows; g * kPackedQ8Rows < row_end; ++g) {
    for (std::int64_t t0 = 0; t0 < n_tokens; t0 += kMaxPassTokens) {
      const std::int64_t n = std::min<std::int64_t>(kMaxPassTokens, n_tokens - t0);
      kGroups[static_cast<std::size_t>(n - 1)](packed, nb, g, row_begin, row_end, a + t0 * nb,
                                               blocks.data() + t0 * nb, y + t0 * y_stride,
                                               y_stride);
    }
  }
}

}  // namespace r1::quant::x86
