// Decode-sized attention tiles on AVX-512 (at most kDecodeRows rows: one query's group of heads,
// or a few queries of a short chunk), the cache rows along the lanes.
//
// The pair tile of attention_tile.h puts the tile's rows on the lanes and broadcasts every key
// and value element, two cache rows at a time: ~2 instructions per element of each cache row.
// Here each row's scores for 16 cache rows accumulate along the head dimension (the key rows
// read as vectors, the query element broadcast), and 16 such accumulators are summed across
// their lanes at once by a transposing reduction, so one vector ends up with the row's 16 scores;
// the values are accumulated along the head dimension with each probability broadcast from
// memory. About half the instructions per cache row, which matters when the cache is long (a
// reasoning model's thousands of tokens of thinking).
//
// Same online softmax and outputs (normalized rows, or split-K partials) as the other tiles;
// include only from files compiled for AVX-512.
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "ops/cpu/attention_tile.h"
#include "ops/cpu/simd_f32.h"

namespace r1::ops::cpu::attention_detail {

inline constexpr std::int64_t kDecodeRows = 8;
inline constexpr std::int64_t kDecodeMaxHeadDim = 256;

/// Lane j of the result: the sum of a[j]'s 16 lanes.
inline __m512 sum_lanes_of_16(const __m512* a) {
  // Each step halves the lanes per vector and the vector count: after it, consecutive groups of
  // lanes hold partial sums of consecutive inputs.
  const __m512i lo8 = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
  const __m512i hi8 = _mm512_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
  const __m512i lo4 = _mm512_setr_epi32(0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
  const __m512i hi4 = _mm512_setr_epi32(4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);
  const __m512i lo2 = _mm512_setr_epi32(0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29);
  const __m512i hi2 = _mm512_setr_epi32(2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30, 31);
  const __m512i lo1 = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i hi1 = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  auto fold = [](__m512 x, __m512 y, __m512i lo, __m512i hi) {
    return _mm512_add_ps(_mm512_permutex2var_ps(x, lo, y), _mm512_permutex2var_ps(x, hi, y));
  };
  __m512 b[8], c[4], d[2];
  for (int i = 0; i < 8; ++i) b[i] = fold(a[2 * i], a[2 * i + 1], lo8, hi8);
  for (int i = 0; i < 4; ++i) c[i] = fold(b[2 * i], b[2 * i + 1], lo4, hi4);
  for (int i = 0; i < 2; ++i) d[i] = fold(c[2 * i], c[2 * i + 1], lo2, hi2);
  return fold(d[0], d[1], lo1, hi1);
}

/// Scores of one row (query q, d elements) against cache rows [0, n) of k (fp32 rows of d
/// elements), 16 at a time, scaled, into s[0, n) (n a multiple of 16; rows past the block are
/// zeros in k).
inline void score_row_block(const float* q, const float* k, std::int64_t d, std::int64_t n,
                            float scale, float* s) {
  for (std::int64_t j0 = 0; j0 < n; j0 += 16) {
    __m512 acc[16];
    for (int j = 0; j < 16; ++j) acc[j] = _mm512_setzero_ps();
    for (std::int64_t c = 0; c < d; c += 16) {
      const __m512 qv = _mm512_loadu_ps(q + c);
      for (int j = 0; j < 16; ++j)
        acc[j] = _mm512_fmadd_ps(_mm512_loadu_ps(k + (j0 + j) * d + c), qv, acc[j]);
    }
    _mm512_storeu_ps(s + j0, _mm512_mul_ps(sum_lanes_of_16(acc), _mm512_set1_ps(scale)));
  }
}

/// acc[r][c] (rows of d) += sum_j p[r][j] v[j][c] for NR rows over n cache rows, CW vectors of
/// columns at a time (NR * CW accumulators in registers).
template <int NR, int CW>
inline void accumulate_rows(const float* p, std::int64_t p_stride, const float* v, std::int64_t d,
                            std::int64_t n, float* acc) {
  for (std::int64_t c0 = 0; c0 < d; c0 += 16 * CW) {
    const int cw = static_cast<int>(std::min<std::int64_t>(CW, (d - c0) / 16));
    __m512 a[NR][CW];
    for (int r = 0; r < NR; ++r)
      for (int w = 0; w < cw; ++w) a[r][w] = _mm512_loadu_ps(acc + r * d + c0 + 16 * w);
    for (std::int64_t j = 0; j < n; ++j) {
      __m512 vv[CW];
      for (int w = 0; w < cw; ++w) vv[w] = _mm512_loadu_ps(v + j * d + c0 + 16 * w);
      for (int r = 0; r < NR; ++r) {
        const __m512 pr = _mm512_set1_ps(p[r * p_stride + j]);
        for (int w = 0; w < cw; ++w) a[r][w] = _mm512_fmadd_ps(pr, vv[w], a[r][w]);
      }
    }
    for (int r = 0; r < NR; ++r)
      for (int w = 0; w < cw; ++w) _mm512_storeu_ps(acc + r * d + c0 + 16 * w, a[r][w]);
  }
}

/// Whether run_decode_tile takes this tile.
inline bool decode_tile_fits(const AttentionTile& t) {
  return t.n_rows <= kDecodeRows && t.head_dim % 16 == 0 && t.head_dim <= kDecodeMaxHeadDim;
}

/// Scratch floats run_decode_tile needs for head_dim d.
inline std::int64_t decode_tile_scratch_floats(std::int64_t d) {
  constexpr std::int64_t BK = kAttentionKvBlock;
  return kDecodeRows * d + kDecodeRows * BK + 2 * BK * d;  // acc, scores, k and v rows
}

template <int NR>
void run_decode_tile(const AttentionTile& t, const AttentionTileOut& o, float* scratch) {
  using S = Avx512F32;
  constexpr std::int64_t BK = kAttentionKvBlock;
  constexpr int CW = std::max(1, std::min(8, 24 / NR));
  const std::int64_t d = t.head_dim;
  float* acc = scratch;            // [NR][d]
  float* s = acc + NR * d;         // [NR][BK] scores, then probabilities
  float* kbuf = s + NR * BK;       // [BK][d]
  float* vbuf = kbuf + BK * d;     // [BK][d]
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const float* q[NR];
  std::int64_t limit[NR];
  float m[NR], l[NR];
  for (int r = 0; r < NR; ++r) {
    q[r] = query_row(t, t.row_begin + r);
    limit[r] = std::min(visible_rows(t, t.row_begin + r), t.kv_end);
    m[r] = -std::numeric_limits<float>::infinity();
    l[r] = 0.0f;
  }
  std::memset(acc, 0, sizeof(float) * static_cast<std::size_t>(NR * d));
  const __m512 lane_index = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

  for (std::int64_t j0 = t.kv_begin; j0 < t.kv_end; j0 += BK) {
    const std::int64_t nb = std::min(BK, t.kv_end - j0);
    const std::int64_t padded = (nb + 15) / 16 * 16;
    // The block's keys and values as fp32 rows (zeros past nb: finite, masked below).
    for (const auto& [pages, buffer] : {std::pair{t.k_pages, kbuf}, std::pair{t.v_pages, vbuf}}) {
      std::int64_t stride = 0;
      const float* rows = widen_rows<S>(t, pages, j0, nb, buffer, &stride);
      if (rows != buffer) {
        for (std::int64_t j = 0; j < nb; ++j)
          std::memcpy(buffer + j * d, rows + j * stride, sizeof(float) * static_cast<std::size_t>(d));
      }
      std::memset(buffer + nb * d, 0, sizeof(float) * static_cast<std::size_t>((padded - nb) * d));
    }
    for (int r = 0; r < NR; ++r) {
      float* sr = s + r * BK;
      score_row_block(q[r], kbuf, d, padded, scale, sr);
      // Cache rows at or past the row's limit (and the padding) score -inf.
      for (std::int64_t j = 0; j < padded; j += 16) {
        const __m512 index = _mm512_add_ps(_mm512_set1_ps(static_cast<float>(j0 + j)), lane_index);
        const __m512 limit_v = _mm512_set1_ps(static_cast<float>(std::min(limit[r], j0 + nb)));
        _mm512_storeu_ps(sr + j, S::keep_below(_mm512_loadu_ps(sr + j), index, limit_v));
      }
      float block_max = m[r];
      for (std::int64_t j = 0; j < padded; j += 16)
        block_max = std::max(block_max, _mm512_reduce_max_ps(_mm512_loadu_ps(sr + j)));
      // A row that has seen only masked scores keeps max -inf and shifts by 0.
      const float shift = block_max == -std::numeric_limits<float>::infinity() ? 0.0f : block_max;
      const float alpha = m[r] == -std::numeric_limits<float>::infinity()
                              ? (block_max == m[r] ? 1.0f : 0.0f)
                              : std::exp(m[r] - shift);
      m[r] = block_max;
      __m512 sum = _mm512_setzero_ps();
      for (std::int64_t j = 0; j < padded; j += 16) {
        const __m512 p = S::exp(_mm512_sub_ps(_mm512_loadu_ps(sr + j), _mm512_set1_ps(shift)));
        _mm512_storeu_ps(sr + j, p);
        sum = _mm512_add_ps(sum, p);
      }
      l[r] = l[r] * alpha + _mm512_reduce_add_ps(sum);
      if (alpha != 1.0f) {
        const __m512 a = _mm512_set1_ps(alpha);
        for (std::int64_t c = 0; c < d; c += 16)
          _mm512_storeu_ps(acc + r * d + c, _mm512_mul_ps(_mm512_loadu_ps(acc + r * d + c), a));
      }
    }
    accumulate_rows<NR, CW>(s, BK, vbuf, d, nb, acc);
  }

  for (int r = 0; r < NR; ++r) {
    if (o.partial_max != nullptr) {
      o.partial_max[r] = m[r];
      o.partial_sum[r] = l[r];
      std::memcpy(o.partial_acc + r * d, acc + r * d, sizeof(float) * static_cast<std::size_t>(d));
    } else {
      float* out = output_row(t, o, t.row_begin + r);
      const float inv_sum = 1.0f / l[r];
      for (std::int64_t c = 0; c < d; ++c) out[c] = acc[r * d + c] * inv_sum;
    }
  }
}

/// The AVX-512 kernel: decode-sized tiles here, the rest on attention_tile.h's tiles.
inline void run_avx512_tile(const AttentionTile& t, const AttentionTileOut& o, float* scratch) {
  if (!decode_tile_fits(t)) return run_any_tile<Avx512F32>(t, o, scratch);
  switch (t.n_rows) {
    case 1: return run_decode_tile<1>(t, o, scratch);
    case 2: return run_decode_tile<2>(t, o, scratch);
    case 3: return run_decode_tile<3>(t, o, scratch);
    case 4: return run_decode_tile<4>(t, o, scratch);
    case 5: return run_decode_tile<5>(t, o, scratch);
    case 6: return run_decode_tile<6>(t, o, scratch);
    case 7: return run_decode_tile<7>(t, o, scratch);
    default: return run_decode_tile<8>(t, o, scratch);
  }
}

}  // namespace r1::ops::cpu::attention_detail
