// Shared parts of the K-quant batch kernels (rows along the lanes, 16 rows per group): the
// residue order of 32-element groups, the transposes of 16 rows' bytes into lanes, the
// activations in residue order, and the prefetch of the row streams. AVX-512 (F, BW, VBMI) only:
// include from files compiled for it.
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "quant/blocks.h"
#include "quant/packed_k.h"
#include "quant/x86/transpose_avx512.h"

namespace r1::quant::x86::batch_k {

constexpr int kRows = 16;           // rows per group, one per lane
// Tokens per pass over a row group: the passes of more than 4 tokens unpack each block once
// per pass, so a longer pass pays it less often (32 against 16: q5_k / q6_k from L2 at 32 tokens
// +10-12 %, pp512 Q5_K_M +8 %, Q4_K_M +5 %, means of 3 alternating runs).
constexpr int kMaxPassTokens = 32;
constexpr int kResidues = 8;        // the reference's integer lanes (element index mod 8)
constexpr std::ptrdiff_t kSweepRowBytes = 4096;  // rows up to a page are swept (see NextGroup)

/// vpermb index: in each 32-byte half, byte 4 m + i takes byte 8 i + m, so that dword m holds
/// the 4 elements of residue m (m, m + 8, m + 16, m + 24).
inline __m512i residue_order() {
  alignas(64) std::int8_t idx[64];
  for (int j = 0; j < 64; ++j) {
    idx[j] = static_cast<std::int8_t>((j / 32) * 32 + (j % 4) * 8 + (j % 32) / 4);
  }
  return _mm512_load_si512(idx);
}

/// One token's Q8_K block in residue order: dword 8 c + m holds elements 32 c + m, + 8, + 16,
/// + 24, each byte xor `flip` (0x80 makes them unsigned: a + 128).
struct ActResidues {
  std::int32_t q[8 * kResidues];
};

inline void residue_activations(const BlockQ8K& a, const __m512i& order, std::int8_t flip,
                                ActResidues* out) {
  const __m512i x = _mm512_set1_epi8(flip);
  for (int c = 0; c < 4; ++c) {
    const __m512i q = _mm512_permutexvar_epi8(order, _mm512_loadu_si512(a.qs + 64 * c));
    _mm512_storeu_si512(out->q + 16 * c, _mm512_xor_si512(q, x));
  }
}

/// 16 rows' block b: row r's block at rows[r] + b * block_bytes.
struct Rows {
  const std::uint8_t* row[kRows];
  std::ptrdiff_t block_bytes;
  const std::uint8_t* at(int r, std::int64_t b, std::ptrdiff_t offset) const {
    return row[r] + b * block_bytes + offset;
  }
};

/// The 32 bytes at `offset` of 16 rows' block b in residue order, transposed: dword m of rows
/// 0..15 in out[m].
inline void transpose_group(const Rows& rows, std::int64_t b, std::ptrdiff_t offset,
                            const __m512i& order, __m512i* out) {
  __m512i z[8];
  for (int i = 0; i < 8; ++i) {
    const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows.at(i, b, offset)));
    const __m256i hi =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows.at(i + 8, b, offset)));
    z[i] = _mm512_permutexvar_epi8(order, _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1));
  }
  transpose_16x8_dwords(z, out);
}

/// The 16 bytes at `offset` of 16 rows' block b: dword k of rows 0..15 in out[k].
inline void transpose_16_bytes(const Rows& rows, std::int64_t b, std::ptrdiff_t offset,
                               __m512i* out) {
  __m512i v[4];  // v[l]: rows l, l + 4, l + 8, l + 12 in its 128-bit lanes
  const auto load = [&](int r) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows.at(r, b, offset)));
  };
  for (int l = 0; l < 4; ++l) {
    v[l] = _mm512_castsi128_si512(load(l));
    v[l] = _mm512_inserti32x4(v[l], load(l + 4), 1);
    v[l] = _mm512_inserti32x4(v[l], load(l + 8), 2);
    v[l] = _mm512_inserti32x4(v[l], load(l + 12), 3);
  }
  const __m512i t0 = _mm512_unpacklo_epi32(v[0], v[1]);
  const __m512i t1 = _mm512_unpackhi_epi32(v[0], v[1]);
  const __m512i t2 = _mm512_unpacklo_epi32(v[2], v[3]);
  const __m512i t3 = _mm512_unpackhi_epi32(v[2], v[3]);
  out[0] = _mm512_unpacklo_epi64(t0, t2);
  out[1] = _mm512_unpackhi_epi64(t0, t2);
  out[2] = _mm512_unpacklo_epi64(t1, t3);
  out[3] = _mm512_unpackhi_epi64(t1, t3);
}

/// 16 rows' blocks in the packed layout (quant/packed_k.h): the transposes above were done at
/// load, so they are plain loads here. at(b, offset): where the segment that starts at `offset`
/// of the file's block lies in packed block b (positions[offset / 16]).
struct PackedRows {
  const std::uint8_t* group;  // block 0 of the group
  std::ptrdiff_t block_bytes;
  std::ptrdiff_t positions[16];
  const std::uint8_t* at(std::int64_t b, std::ptrdiff_t offset) const {
    return group + b * block_bytes + positions[offset / 16];
  }
};

inline void transpose_group(const PackedRows& rows, std::int64_t b, std::ptrdiff_t offset,
                            const __m512i&, __m512i* out) {
  const std::uint8_t* p = rows.at(b, offset);
  for (int m = 0; m < kResidues; ++m)
    out[m] = _mm512_loadu_si512(reinterpret_cast<const __m512i*>(p + 64 * m));
}

inline void transpose_16_bytes(const PackedRows& rows, std::int64_t b, std::ptrdiff_t offset,
                               __m512i* out) {
  const std::uint8_t* p = rows.at(b, offset);
  for (int k = 0; k < 4; ++k)
    out[k] = _mm512_loadu_si512(reinterpret_cast<const __m512i*>(p + 64 * k));
}

/// Prefetches part `part` of `parts` of the packed block Ahead bytes on from block b, into L2
/// (or with IntoL1, L1): one stream per thread, as with packed q8_0, the far requests keep the
/// memory bus busy while the block's arithmetic runs; spread over the block, since a burst of
/// prefetches waits for fill buffers and stalls the instructions behind it.
constexpr std::ptrdiff_t kFarBytes = 16384;
template <std::ptrdiff_t BlockBytes, std::ptrdiff_t Ahead = kFarBytes, bool IntoL1 = false>
inline void prefetch_packed(const PackedRows& rows, std::int64_t b, int part, int parts) {
  const char* p = reinterpret_cast<const char*>(rows.group + b * rows.block_bytes) + Ahead;
  constexpr std::ptrdiff_t kLines = BlockBytes / 64;
  for (std::ptrdiff_t line = kLines * part / parts; line < kLines * (part + 1) / parts; ++line) {
    if constexpr (IntoL1) {
      asm volatile("prefetcht0 %0" : : "m"(p[line * 64]));
    } else {
      asm volatile("prefetcht1 %0" : : "m"(p[line * 64]));
    }
  }
}

/// A packed matrix of `type` (quant/packed_k.h), its group 0.
inline PackedRows packed_rows(QuantType type, const std::uint8_t* packed) {
  PackedRows rows{packed, static_cast<std::ptrdiff_t>(packed_k_block_bytes(type)), {}};
  for (const PackedSegment& s : packed_k_segments(type))
    rows.positions[s.offset / 16] = static_cast<std::ptrdiff_t>(packed_k_segment_position(type, s.offset));
  return rows;
}

/// The groups of rows [row_begin, row_end) of a packed matrix of nb blocks per row, passes of up
/// to kMaxPassTokens inside: pass(group_rows, g, t0, n_tokens_in_pass).
template <typename Pass>
inline void for_each_packed_pass(const PackedRows& matrix, std::int64_t nb, std::int64_t row_begin,
                                 std::int64_t row_end, std::int64_t n_tokens, Pass&& pass) {
  for (std::int64_t g = row_begin / kRows; g * kRows < row_end; ++g) {
    PackedRows group = matrix;
    group.group = matrix.group + g * nb * matrix.block_bytes;
    for (std::int64_t t0 = 0; t0 < n_tokens; t0 += kMaxPassTokens)
      pass(group, g, t0, std::min<std::int64_t>(kMaxPassTokens, n_tokens - t0));
  }
}

/// Stores lanes [lo, hi) of group g's result to y (y holds rows from row_begin).
inline void store_group_rows(__m512 v, std::int64_t g, std::int64_t row_begin,
                             std::int64_t row_end, float* y) {
  const std::int64_t first = g * kRows;
  const std::int64_t lo = std::max(first, row_begin), hi = std::min(first + kRows, row_end);
  if (lo == first && hi == first + kRows) {
    _mm512_storeu_ps(y + (first - row_begin), v);
    return;
  }
  alignas(64) float lanes[kRows];
  _mm512_store_ps(lanes, v);
  for (std::int64_t r = lo; r < hi; ++r) y[r - row_begin] = lanes[r - first];
}

/// Tokens a packed kernel holds in registers at once: a block's vectors, loaded and unpacked
/// once, serve up to this many tokens; the q4_k, q5_k and q6_k kernels unpack each block of a
/// longer pass once into L1 and read it back for every few tokens.
constexpr int kTokensInRegisters = 4;

/// Calls block(nt, prefetch) with nt = std::integral_constant<int, n> (1 <= n <= MaxTokens) and
/// prefetch = std::bool_constant<Prefetch>, so that the kernel's block function is instantiated
/// for each.
template <bool Prefetch, int MaxTokens = kTokensInRegisters, typename Block>
inline void with_token_count(int n, Block&& block) {
  if constexpr (MaxTokens == 1) {
    block(std::integral_constant<int, 1>{}, std::bool_constant<Prefetch>{});
  } else {
    if (n >= MaxTokens) {
      block(std::integral_constant<int, MaxTokens>{}, std::bool_constant<Prefetch>{});
    } else {
      with_token_count<Prefetch, MaxTokens - 1>(n, block);
    }
  }
}

/// One pass of n_tokens (<= kMaxPassTokens) over the nb blocks of group g, the tokens
/// TokensPerCall at a time: block(nt, prefetch, b, t0, sums + t0) adds block b times tokens
/// t0 .. t0 + nt - 1 to their sums (prefetch: the first tokens of each block fetch ahead), then
/// the sums are stored as rows of y.
template <int TokensPerCall = kTokensInRegisters, typename Block>
inline void packed_group_pass(std::int64_t nb, std::int64_t g, std::int64_t row_begin,
                              std::int64_t row_end, std::int64_t n_tokens, float* y,
                              std::int64_t y_stride, Block&& block) {
  __m512 sums[kMaxPassTokens];
  for (std::int64_t t = 0; t < n_tokens; ++t) sums[t] = _mm512_setzero_ps();
  for (std::int64_t b = 0; b < nb; ++b) {
    for (std::int64_t t0 = 0; t0 < n_tokens; t0 += TokensPerCall) {
      const int n = static_cast<int>(std::min<std::int64_t>(TokensPerCall, n_tokens - t0));
      const auto run = [&](auto nt, auto prefetch) { block(nt, prefetch, b, t0, sums + t0); };
      if (t0 == 0) {
        with_token_count<true, TokensPerCall>(n, run);
      } else {
        with_token_count<false, TokensPerCall>(n, run);
      }
    }
  }
  for (std::int64_t t = 0; t < n_tokens; ++t) {
    store_group_rows(sums[t], g, row_begin, row_end, y + t * y_stride);
  }
}

/// The next row group, fetched while the current one is computed (as in the q8_0 kernel): a new
/// group's 16 streams would each start with a miss. Short rows: the whole next group (one
/// contiguous run) is swept into L2 in step with the blocks; long rows: each row's start.
struct NextGroup {
  const char* begin;  // the next group's first byte
  const char* end;    // one past its last byte (begin: nothing to fetch)
  std::ptrdiff_t row_bytes;
  bool sweep;
  const char* swept;  // how far the sweep got
};

inline NextGroup next_group(const std::uint8_t* w, std::int64_t n_rows, std::ptrdiff_t row_bytes,
                            std::int64_t r0, bool fetch) {
  const auto* begin = reinterpret_cast<const char*>(w + std::min(r0 + kRows, n_rows) * row_bytes);
  const auto* end =
      fetch ? reinterpret_cast<const char*>(w + std::min(r0 + 2 * kRows, n_rows) * row_bytes)
            : begin;
  return {begin, end, row_bytes, row_bytes <= kSweepRowBytes, begin};
}

/// Sweep step `part` of `parts` of block b (short rows): the next group's lines up to that
/// point, a few at a time between the block's computations (a burst of prefetches waits for
/// fill buffers and stalls everything behind it).
inline void sweep(std::int64_t b, int part, int parts, std::ptrdiff_t block_bytes,
                  NextGroup* next) {
  if (!next->sweep) return;
  const char* const until = std::min(
      next->end, next->begin + ((b * parts + part + 1) * kRows * block_bytes) / parts);
  for (; next->swept < until; next->swept += 64) _mm_prefetch(next->swept, _MM_HINT_T1);
}

/// Prefetches of `Lines` cache lines from p on, written out: GCC 12 deletes loops whose only
/// effect is a prefetch (as side-effect free), so there is no loop here.
template <int Lines, std::size_t... I>
inline void prefetch_lines(const char* p, std::index_sequence<I...>) {
  (_mm_prefetch(p + 64 * static_cast<std::ptrdiff_t>(I), _MM_HINT_T0), ...);
}

template <int Lines>
inline void prefetch_lines(const char* p) {
  prefetch_lines<Lines>(p, std::make_index_sequence<Lines>());
}

/// Prefetches for block b but the sweep: long rows get the first `Ahead` bytes of the next
/// group's row b, and with RowStreams every line of each row stream is fetched `Ahead` bytes on
/// (q6_k's long rows gain from it, q4_k's lose: the hardware prefetcher follows them).
template <std::ptrdiff_t BlockBytes, std::ptrdiff_t Ahead, bool RowStreams>
inline void prefetch(const Rows& rows, std::int64_t b, const NextGroup& next) {
  if (const char* start = next.begin + b * next.row_bytes;
      !next.sweep && b < kRows && start < next.end) {
    prefetch_lines<(Ahead + 63) / 64>(start);
  }
  if constexpr (RowStreams) {
    for (int r = 0; r < kRows; ++r) {
      prefetch_lines<(BlockBytes + 63) / 64>(reinterpret_cast<const char*>(rows.at(r, b, Ahead)));
    }
  }
}

/// Lanes of the rows r0.. that exist.
inline __mmask16 row_lanes(std::int64_t n_rows, std::int64_t r0) {
  return static_cast<__mmask16>(n_rows - r0 >= kRows ? 0xFFFF : (1u << (n_rows - r0)) - 1);
}

/// Calls body(std::true_type) when the next group is swept (short rows), else
/// body(std::false_type): two copies of a block loop, so that the sweep's checks and pointer stay
/// out of the long rows' loop.
template <typename Body>
inline void with_sweep(const NextGroup& next, Body&& body) {
  if (next.sweep) {
    body(std::true_type{});
  } else {
    body(std::false_type{});
  }
}

/// Row groups outside, passes of up to kMaxPassTokens tokens inside: a group's rows stay in cache
/// for its later passes, and only the first pass fetches the next group.
/// pass(r0, t0, n_tokens_in_pass, fetch_next).
template <typename Pass>
inline void for_each_pass(std::int64_t n_rows, std::int64_t n_tokens, Pass&& pass) {
  for (std::int64_t r0 = 0; r0 < n_rows; r0 += kRows) {
    for (std::int64_t t0 = 0; t0 < n_tokens; t0 += kMaxPassTokens) {
      pass(r0, t0, std::min<std::int64_t>(kMaxPassTokens, n_tokens - t0), t0 == 0);
    }
  }
}

}  // namespace r1::quant::x86::batch_k
