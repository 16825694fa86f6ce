// Products of q8_0 weights with small batches of tokens (the decode steps of many sequences at
// once: 1 to a few dozen tokens) with 512-bit VNNI, rows along the vector lanes.
//
// For 16 weight rows and one 32-element block, the rows' 32 bytes are transposed in registers
// into 8 vectors, vector q holding bytes 4q..4q+3 of each of the 16 rows. Each token's block is
// then 8 vpdpbusd with that token's 4 activation bytes broadcast (no horizontal sums): the 16
// lanes end up with the 16 rows' exact integer dot products, and the float update runs with one
// lane per row. The transpose is paid once per block for all the tokens of the pass (up to 16),
// so the cost per token is ~13 instructions per 512 weight bytes, where the decode kernels'
// per-token reduction costs ~35.
//
// vpdpbusd multiplies unsigned by signed bytes: the weights are made unsigned (w + 128) and each
// token's block starts from -128 * sum(a), so the integer sums are exact. Each row's float sum
// takes its blocks in order with the reference's expression, sumi * (dx * dy): bit-exact with
// ref::vec_dot_q8_0_q8_0.
// GCC 12's 512-bit intrinsics hand _mm512_undefined_* to the masked builtins they wrap, which
// -Wmaybe-uninitialized reports at every use.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <utility>
#include <vector>

#include "quant/x86/q8_0_lanes.h"
#include "quant/x86/simd_kernels.h"
#include "quant/x86/transpose_avx512.h"

namespace r1::quant::x86 {
namespace {

constexpr int kRows = 16;           // rows per group, one per lane
constexpr int kMaxPassTokens = 16;  // tokens per pass over a row group (registers)
constexpr std::ptrdiff_t kPrefetchBytes = 6 * sizeof(BlockQ8_0);  // ahead of each row stream


/// Rows' block b as 8 vectors of 4-byte groups (vector q: bytes 4q..4q+3 of rows 0..15, as
/// unsigned bytes w + 128).
inline void transpose_block(const BlockQ8_0* const* rows, std::int64_t b, __m512i* w) {
  __m512i z[8];
  for (int i = 0; i < 8; ++i) {
    const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[i][b].qs));
    const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[i + 8][b].qs));
    z[i] = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
  }
  transpose_16x8_dwords(z, w);
  const __m512i bias = _mm512_set1_epi8(static_cast<char>(0x80));
  for (int q = 0; q < 8; ++q) w[q] = _mm512_xor_si512(w[q], bias);
}

/// The next row group, fetched while the current one is computed. A group's 16 rows are read as
/// 16 streams (each with a prefetch kPrefetchBytes ahead); a new group's streams would each
/// start with a miss, and streams of short rows (a few KiB) end before the hardware prefetcher
/// catches on. So: for short rows the whole next group (one contiguous run of memory) is swept
/// into L2 in step with the blocks; for long rows only the start of each of its rows is fetched
/// (row i's at block i), the hardware follows the rest.
struct NextGroup {
  const char* begin;         // the next group's first byte
  const char* end;           // one past its last byte (begin: nothing to fetch)
  std::ptrdiff_t row_bytes;  // nb blocks
  bool sweep;                // short rows: the whole group, 16 * sizeof(BlockQ8_0) per block
};

constexpr std::ptrdiff_t kSweepRowBytes = 4096;  // rows up to a page are swept

template <int T>
void pass(const BlockQ8_0* const* rows, __m512i d_offsets, std::int64_t nb,
          const BlockQ8_0* a, const TokenBlock* tb, NextGroup next, __m512* acc) {
  for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  const char* swept = next.begin;
  for (std::int64_t b = 0; b < nb; ++b) {
    if (next.sweep) {
      const char* const until = std::min(next.end, next.begin + (b + 1) * kRows *
                                                                 static_cast<std::ptrdiff_t>(
                                                                     sizeof(BlockQ8_0)));
      for (; swept < until; swept += 64) _mm_prefetch(swept, _MM_HINT_T1);
    } else if (const char* start = next.begin + b * next.row_bytes; b < kRows && start < next.end) {
      for (std::ptrdiff_t line = 0; line < kPrefetchBytes; line += 64)
        _mm_prefetch(start + line, _MM_HINT_T0);
    }
    for (int r = 0; r < kRows; ++r)
      _mm_prefetch(reinterpret_cast<const char*>(rows[r] + b) + kPrefetchBytes, _MM_HINT_T0);
    __m512i w[8];
    transpose_block(rows, b, w);
    const __m512i dbits = _mm512_i32gather_epi32(d_offsets, rows[0] + b, 1);
    const __m512 dx = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(dbits));
    for (int t = 0; t < T; ++t)
      acc[t] = add_block_product(w, dx, a[t * nb + b], tb[t * nb + b], acc[t]);
  }
}

template <int T>
void row_group(const BlockQ8_0* w, std::int64_t n_rows, std::int64_t nb, std::int64_t r0,
               const BlockQ8_0* a, const TokenBlock* tb, bool prefetch_next, float* y,
               std::int64_t y_stride) {
  const BlockQ8_0* rows[kRows];
  for (int r = 0; r < kRows; ++r) rows[r] = w + std::min(r0 + r, n_rows - 1) * nb;
  const auto* next_begin = reinterpret_cast<const char*>(w + std::min(r0 + kRows, n_rows) * nb);
  const auto* next_end =
      prefetch_next ? reinterpret_cast<const char*>(w + std::min(r0 + 2 * kRows, n_rows) * nb)
                    : next_begin;
  const auto row_bytes = static_cast<std::ptrdiff_t>(nb * sizeof(BlockQ8_0));
  const NextGroup next{next_begin, next_end, row_bytes, row_bytes <= kSweepRowBytes};
  // Offsets of the rows' scales from rows[0]'s block, in lane order.
  alignas(64) int offsets[kRows];
  for (int r = 0; r < kRows; ++r) {
    offsets[r] = static_cast<int>(reinterpret_cast<const char*>(rows[r]) -
                                  reinterpret_cast<const char*>(rows[0]));
  }
  const __m512i d_offsets = _mm512_load_si512(offsets);
  __m512 acc[T];
  pass<T>(rows, d_offsets, nb, a, tb, next, acc);
  const auto lanes = static_cast<__mmask16>(
      n_rows - r0 >= kRows ? 0xFFFF : (1u << (n_rows - r0)) - 1);
  for (int t = 0; t < T; ++t) _mm512_mask_storeu_ps(y + t * y_stride + r0, lanes, acc[t]);
}

using RowGroupFn = void (*)(const BlockQ8_0*, std::int64_t, std::int64_t, std::int64_t,
                            const BlockQ8_0*, const TokenBlock*, bool, float*, std::int64_t);

template <std::size_t... I>
constexpr auto row_groups(std::index_sequence<I...>) {
  return std::array<RowGroupFn, sizeof...(I)>{&row_group<static_cast<int>(I) + 1>...};
}

}  // namespace

void batch_q8_0_avx512_vnni(const BlockQ8_0* w, std::int64_t n_rows, std::int64_t nb,
                            const BlockQ8_0* a, std::int64_t n_tokens, float* y,
                            std::int64_t y_stride) {
  static constexpr auto kGroups = row_groups(std::make_index_sequence<kMaxPassTokens>());
  thread_local std::vector<TokenBlock> blocks;
  prepare_token_blocks(a, n_tokens * nb, &blocks);
  // Row groups outside, passes of up to 16 tokens inside: a group's rows (16 x nb blocks) stay
  // in cache for its later passes.
  for (std::int64_t r0 = 0; r0 < n_rows; r0 += kRows) {
    for (std::int64_t t0 = 0; t0 < n_tokens; t0 += kMaxPassTokens) {
      const std::int64_t n = std::min<std::int64_t>(kMaxPassTokens, n_tokens - t0);
      // The first pass over a group fetches the next one (the later passes find it in L2).
      kGroups[static_cast<std::size_t>(n - 1)](w, n_rows, nb, r0, a + t0 * nb,
                                               blocks.data() + t0 * nb, t0 == 0,
                                               y + t0 * y_stride, y_stride);
    }
  }
}

}  // namespace r1::quant::x86
