// The blocked attention kernel of attention_kernels.h written once over a SIMD traits struct
// (simd_f32.h) and instantiated by attention_avx512.cpp / attention_avx2.cpp.
//
// Layout: the tile's rows (query, head) lie along the vector lanes (NV vectors of kLanes rows),
// so that the scores of one cache row for all rows are NV vectors and everything in the online
// softmax (max, exp, sums, rescaling, the causal mask) is lane-wise, with no horizontal sums:
//   scores[j]  = scale * sum_c k[j][c] * qt[c]      (qt: the tile's queries transposed, [d][rows])
//   acc[c]    += sum_j v[j][c] * p[j]               (acc: the output transposed, [d][rows])
// Both are broadcasts of one cache element times NV vectors, held in register tiles of several
// cache rows (scores) or output columns (acc). Cache rows are widened to fp32 once per block of
// kAttentionKvBlock rows for all the tile's rows.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/half.h"
#include "ops/cpu/attention_kernels.h"

namespace r1::ops::cpu::attention_detail {

inline const float* query_row(const AttentionTile& t, std::int64_t f) {
  const std::int64_t i = f / t.group, g = f % t.group;
  return t.q + i * t.q_stride + (t.kv_head * t.group + g) * t.head_dim;
}

inline float* output_row(const AttentionTile& t, const AttentionTileOut& o, std::int64_t f) {
  const std::int64_t i = f / t.group, g = f % t.group;
  return o.out + i * o.out_stride + (t.kv_head * t.group + g) * t.head_dim;
}

/// Cache rows row f may see: [0, min(position + 1, n_kv)).
inline std::int64_t visible_rows(const AttentionTile& t, std::int64_t f) {
  return std::min<std::int64_t>(t.positions[f / t.group] + 1, t.n_kv);
}

/// Cache rows [j0, j0 + n) (one block, inside one page) of the tile's kv head as fp32 rows
/// `*stride` floats apart: the cache itself for f32, else widened into `buffer` ([n][d]).
template <class S>
const float* widen_rows(const AttentionTile& t, const void* const* pages, std::int64_t j0,
                        std::int64_t n, float* buffer, std::int64_t* stride) {
  const std::int64_t d = t.head_dim, offset = t.kv_head * d;
  const void* base = cache_row_start(t, pages, j0);
  if (t.kv_type == DType::f32) {
    *stride = t.kv_stride;
    return static_cast<const float*>(base) + offset;
  }
  constexpr int W = S::kLanes;
  const bool bf16 = t.kv_type == DType::bf16;
  for (std::int64_t r = 0; r < n; ++r) {
    const auto* src = static_cast<const std::uint16_t*>(base) + r * t.kv_stride + offset;
    float* dst = buffer + r * d;
    std::int64_t c = 0;
    for (; c + W <= d; c += W)
      S::store(dst + c, bf16 ? S::load_bf16(src + c) : S::load_f16(src + c));
    for (; c < d; ++c) dst[c] = bf16 ? bf16_to_f32(src[c]) : f16_to_f32(src[c]);
  }
  *stride = d;
  return buffer;
}

/// s[j] (NV vectors) = scale * k[j] . q for JB cache rows.
template <class S, int NV, int JB>
inline void score_rows(const float* qt, const float* k, std::int64_t k_stride, std::int64_t d,
                       typename S::V scale, float* s) {
  using V = typename S::V;
  constexpr int W = S::kLanes, R = NV * W;
  V a[JB][NV];
  for (int j = 0; j < JB; ++j)
    for (int n = 0; n < NV; ++n) a[j][n] = S::zero();
  for (std::int64_t c = 0; c < d; ++c) {
    V qv[NV];
    for (int n = 0; n < NV; ++n) qv[n] = S::load(qt + c * R + n * W);
    for (int j = 0; j < JB; ++j) {
      const V kv = S::set1(k[j * k_stride + c]);
      for (int n = 0; n < NV; ++n) a[j][n] = S::fma(kv, qv[n], a[j][n]);
    }
  }
  for (int j = 0; j < JB; ++j)
    for (int n = 0; n < NV; ++n) S::store(s + j * R + n * W, S::mul(a[j][n], scale));
}

/// acc[c] (NV vectors) += sum_j v[j][c] * p[j] for CB output columns from c0.
template <class S, int NV, int CB>
inline void accumulate_columns(const float* p, const float* v, std::int64_t v_stride,
                               std::int64_t n_rows, std::int64_t c0, float* acc) {
  using V = typename S::V;
  constexpr int W = S::kLanes, R = NV * W;
  V a[CB][NV];
  for (int c = 0; c < CB; ++c)
    for (int n = 0; n < NV; ++n) a[c][n] = S::load(acc + (c0 + c) * R + n * W);
  for (std::int64_t j = 0; j < n_rows; ++j) {
    V pv[NV];
    for (int n = 0; n < NV; ++n) pv[n] = S::load(p + j * R + n * W);
    for (int c = 0; c < CB; ++c) {
      const V vv = S::set1(v[j * v_stride + c0 + c]);
      for (int n = 0; n < NV; ++n) a[c][n] = S::fma(vv, pv[n], a[c][n]);
    }
  }
  for (int c = 0; c < CB; ++c)
    for (int n = 0; n < NV; ++n) S::store(acc + (c0 + c) * R + n * W, a[c][n]);
}

/// Register tile: as many cache rows (or output columns) as leave room for the NV query (or
/// probability) vectors and a broadcast, at most 8.
template <class S, int NV>
inline constexpr int kTile = std::min(8, (S::kRegisters - NV - 2) / NV);

template <class S, int NV>
void run_tile(const AttentionTile& t, const AttentionTileOut& o, float* scratch) {
  using V = typename S::V;
  constexpr int W = S::kLanes, R = NV * W, T = kTile<S, NV>;
  constexpr std::int64_t BK = kAttentionKvBlock;
  const std::int64_t d = t.head_dim;
  float* qt = scratch;       // [d][R]
  float* acc = qt + d * R;   // [d][R]
  float* s = acc + d * R;    // [BK][R] scores, then probabilities
  float* kbuf = s + BK * R;  // [BK][d]
  float* vbuf = kbuf + BK * d;
  alignas(64) float limit[R];

  // Rows beyond n_rows (padding lanes) get zero queries and no mask: finite, never written.
  std::int64_t min_limit = std::numeric_limits<std::int64_t>::max();
  for (int r = 0; r < R; ++r) {
    if (r < t.n_rows) {
      const float* qr = query_row(t, t.row_begin + r);
      for (std::int64_t c = 0; c < d; ++c) qt[c * R + r] = qr[c];
      const std::int64_t visible = visible_rows(t, t.row_begin + r);
      limit[r] = static_cast<float>(visible);
      min_limit = std::min(min_limit, visible);
    } else {
      for (std::int64_t c = 0; c < d; ++c) qt[c * R + r] = 0.0f;
      limit[r] = std::numeric_limits<float>::infinity();
    }
  }
  std::memset(acc, 0, sizeof(float) * static_cast<std::size_t>(d * R));
  V limit_v[NV], m[NV], l[NV];
  for (int n = 0; n < NV; ++n) {
    limit_v[n] = S::load(limit + n * W);
    m[n] = S::set1(-std::numeric_limits<float>::infinity());
    l[n] = S::zero();
  }
  const V scale = S::set1(1.0f / std::sqrt(static_cast<float>(d)));

  for (std::int64_t j0 = t.kv_begin; j0 < t.kv_end; j0 += BK) {
    const std::int64_t nb = std::min(BK, t.kv_end - j0);
    std::int64_t ks = 0, vs = 0;
    const float* k = widen_rows<S>(t, t.k_pages, j0, nb, kbuf, &ks);
    std::int64_t j = 0;
    for (; j + T <= nb; j += T) score_rows<S, NV, T>(qt, k + j * ks, ks, d, scale, s + j * R);
    for (; j < nb; ++j) score_rows<S, NV, 1>(qt, k + j * ks, ks, d, scale, s + j * R);
    if (j0 + nb > min_limit) {  // some row ends inside this block: the causal mask
      for (j = 0; j < nb; ++j) {
        const V index = S::set1(static_cast<float>(j0 + j));
        for (int n = 0; n < NV; ++n)
          S::store(s + j * R + n * W, S::keep_below(S::load(s + j * R + n * W), index, limit_v[n]));
      }
    }
    // New running max; a row that has seen only masked scores keeps max -inf and shifts by 0.
    V shift[NV], alpha[NV], sum[NV];
    bool rescale = false;
    for (int n = 0; n < NV; ++n) {
      V block_max = m[n];
      for (j = 0; j < nb; ++j) block_max = S::max(block_max, S::load(s + j * R + n * W));
      shift[n] = S::replace(block_max, -std::numeric_limits<float>::infinity(), 0.0f);
      alpha[n] = S::exp(S::sub(m[n], shift[n]));
      rescale = rescale || !S::all_equal(alpha[n], 1.0f);
      m[n] = block_max;
      sum[n] = S::zero();
    }
    for (j = 0; j < nb; ++j) {
      for (int n = 0; n < NV; ++n) {
        const V p = S::exp(S::sub(S::load(s + j * R + n * W), shift[n]));
        S::store(s + j * R + n * W, p);
        sum[n] = S::add(sum[n], p);
      }
    }
    for (int n = 0; n < NV; ++n) l[n] = S::fma(l[n], alpha[n], sum[n]);
    if (rescale) {
      for (std::int64_t c = 0; c < d; ++c)
        for (int n = 0; n < NV; ++n)
          S::store(acc + c * R + n * W, S::mul(S::load(acc + c * R + n * W), alpha[n]));
    }
    const float* v = widen_rows<S>(t, t.v_pages, j0, nb, vbuf, &vs);
    std::int64_t c = 0;
    for (; c + T <= d; c += T) accumulate_columns<S, NV, T>(s, v, vs, nb, c, acc);
    for (; c < d; ++c) accumulate_columns<S, NV, 1>(s, v, vs, nb, c, acc);
  }

  alignas(64) float max_lanes[R], sum_lanes[R];
  for (int n = 0; n < NV; ++n) {
    S::store(max_lanes + n * W, m[n]);
    S::store(sum_lanes + n * W, l[n]);
  }
  for (std::int64_t r = 0; r < t.n_rows; ++r) {
    if (o.partial_max != nullptr) {
      o.partial_max[r] = max_lanes[r];
      o.partial_sum[r] = sum_lanes[r];
      for (std::int64_t c = 0; c < d; ++c) o.partial_acc[r * d + c] = acc[c * R + r];
    } else {
      float* out = output_row(t, o, t.row_begin + r);
      const float inv_sum = 1.0f / sum_lanes[r];
      for (std::int64_t c = 0; c < d; ++c) out[c] = acc[c * R + r] * inv_sum;
    }
  }
}

/// Cache rows [j0, j0 + n) (one block, inside one page) of the tile's kv head widened to fp32 in
/// pairs of consecutive rows, element by element: buffer[(pair * d + c) * 2 + parity] = row
/// (j0 + 2 pair + parity)[c]; a missing last odd row is zeros.
template <class S>
void widen_row_pairs(const AttentionTile& t, const void* const* pages, std::int64_t j0,
                     std::int64_t n, float* buffer) {
  using V = typename S::V;
  constexpr int W = S::kLanes;
  const std::int64_t d = t.head_dim, offset = t.kv_head * d;
  const void* base = cache_row_start(t, pages, j0);  // j below counts from row j0
  auto element = [&](std::int64_t j, std::int64_t c) -> float {
    if (t.kv_type == DType::f32)
      return static_cast<const float*>(base)[j * t.kv_stride + offset + c];
    const std::uint16_t bits =
        static_cast<const std::uint16_t*>(base)[j * t.kv_stride + offset + c];
    return t.kv_type == DType::bf16 ? bf16_to_f32(bits) : f16_to_f32(bits);
  };
  auto load = [&](std::int64_t j, std::int64_t c) -> V {
    if (t.kv_type == DType::f32)
      return S::load(static_cast<const float*>(base) + j * t.kv_stride + offset + c);
    const auto* p = static_cast<const std::uint16_t*>(base) + j * t.kv_stride + offset + c;
    return t.kv_type == DType::bf16 ? S::load_bf16(p) : S::load_f16(p);
  };
  for (std::int64_t pair = 0; 2 * pair < n; ++pair) {
    const std::int64_t even = 2 * pair;
    const bool has_odd = 2 * pair + 1 < n;
    float* dst = buffer + pair * d * 2;
    std::int64_t c = 0;
    for (; c + W <= d; c += W) {
      V lo, hi;
      S::interleave(load(even, c), has_odd ? load(even + 1, c) : S::zero(), &lo, &hi);
      S::store(dst + 2 * c, lo);
      S::store(dst + 2 * c + W, hi);
    }
    for (; c < d; ++c) {
      dst[2 * c] = element(even, c);
      dst[2 * c + 1] = has_odd ? element(even + 1, c) : 0.0f;
    }
  }
}

/// Tiles of at most kLanes / 2 rows (a decode step: one query's group of heads). run_tile would
/// leave most lanes idle; here lane 2r + parity holds row r over the cache rows of that parity,
/// so one vector scores two cache rows (a broadcast pair of key elements against each row's query
/// twice). Each lane runs its own online softmax; the two lanes of a row are merged at the end
/// like two split-K parts.
template <class S>
void run_pair_tile(const AttentionTile& t, const AttentionTileOut& o, float* scratch) {
  using V = typename S::V;
  constexpr int W = S::kLanes, T = kTile<S, 1>;
  constexpr std::int64_t BK = kAttentionKvBlock, BP = BK / 2;  // cache rows, pairs per block
  const std::int64_t d = t.head_dim;
  float* qt = scratch;          // [d][W]: lanes 2r and 2r + 1 both hold row r's query
  float* acc = qt + d * W;      // [d][W]
  float* s = acc + d * W;       // [BP][W]
  float* kbuf = s + BP * W;     // [BP][d][2]
  float* vbuf = kbuf + BK * d;  // [BP][d][2]
  alignas(64) float limit[W];
  // A lane's limit also stops at kv_end, which masks the zero row padding an odd block.
  std::int64_t min_limit = t.kv_end;
  for (int lane = 0; lane < W; ++lane) {
    const std::int64_t r = lane / 2;
    if (r < t.n_rows) {
      const float* qr = query_row(t, t.row_begin + r);
      for (std::int64_t c = 0; c < d; ++c) qt[c * W + lane] = qr[c];
      const std::int64_t visible = std::min(visible_rows(t, t.row_begin + r), t.kv_end);
      limit[lane] = static_cast<float>(visible);
      min_limit = std::min(min_limit, visible);
    } else {
      for (std::int64_t c = 0; c < d; ++c) qt[c * W + lane] = 0.0f;
      limit[lane] = static_cast<float>(t.kv_end);
    }
  }
  std::memset(acc, 0, sizeof(float) * static_cast<std::size_t>(d * W));
  const V limit_v = S::load(limit), parity = S::lane_parity();
  const V scale = S::set1(1.0f / std::sqrt(static_cast<float>(d)));
  V m = S::set1(-std::numeric_limits<float>::infinity()), l = S::zero();

  for (std::int64_t j0 = t.kv_begin; j0 < t.kv_end; j0 += BK) {
    const std::int64_t nb = std::min(BK, t.kv_end - j0), np = (nb + 1) / 2;
    widen_row_pairs<S>(t, t.k_pages, j0, nb, kbuf);
    std::int64_t jp = 0;
    for (; jp < np; jp += T) {
      const int n_pairs = static_cast<int>(std::min<std::int64_t>(T, np - jp));
      V a[T];
      for (int i = 0; i < T; ++i) a[i] = S::zero();
      const float* k = kbuf + jp * d * 2;
      if (n_pairs == T) {
        for (std::int64_t c = 0; c < d; ++c) {
          const V qv = S::load(qt + c * W);
          for (int i = 0; i < T; ++i)
            a[i] = S::fma(S::broadcast_pair(k + (i * d + c) * 2), qv, a[i]);
        }
      } else {
        for (std::int64_t c = 0; c < d; ++c) {
          const V qv = S::load(qt + c * W);
          for (int i = 0; i < n_pairs; ++i)
            a[i] = S::fma(S::broadcast_pair(k + (i * d + c) * 2), qv, a[i]);
        }
      }
      for (int i = 0; i < n_pairs; ++i) S::store(s + (jp + i) * W, S::mul(a[i], scale));
    }
    if (j0 + 2 * np > min_limit) {
      for (jp = 0; jp < np; ++jp) {
        const V index = S::add(S::set1(static_cast<float>(j0 + 2 * jp)), parity);
        S::store(s + jp * W, S::keep_below(S::load(s + jp * W), index, limit_v));
      }
    }
    V block_max = m;
    for (jp = 0; jp < np; ++jp) block_max = S::max(block_max, S::load(s + jp * W));
    const V shift = S::replace(block_max, -std::numeric_limits<float>::infinity(), 0.0f);
    const V alpha = S::exp(S::sub(m, shift));
    m = block_max;
    V sum = S::zero();
    for (jp = 0; jp < np; ++jp) {
      const V p = S::exp(S::sub(S::load(s + jp * W), shift));
      S::store(s + jp * W, p);
      sum = S::add(sum, p);
    }
    l = S::fma(l, alpha, sum);
    if (!S::all_equal(alpha, 1.0f)) {
      for (std::int64_t c = 0; c < d; ++c)
        S::store(acc + c * W, S::mul(S::load(acc + c * W), alpha));
    }
    widen_row_pairs<S>(t, t.v_pages, j0, nb, vbuf);
    std::int64_t c0 = 0;
    for (; c0 < d; c0 += T) {
      const int n_cols = static_cast<int>(std::min<std::int64_t>(T, d - c0));
      V a[T];
      for (int i = 0; i < n_cols; ++i) a[i] = S::load(acc + (c0 + i) * W);
      for (jp = 0; jp < np; ++jp) {
        const V p = S::load(s + jp * W);
        const float* v = vbuf + (jp * d + c0) * 2;
        for (int i = 0; i < n_cols; ++i) a[i] = S::fma(S::broadcast_pair(v + 2 * i), p, a[i]);
      }
      for (int i = 0; i < n_cols; ++i) S::store(acc + (c0 + i) * W, a[i]);
    }
  }

  alignas(64) float max_lanes[W], sum_lanes[W];
  S::store(max_lanes, m);
  S::store(sum_lanes, l);
  for (std::int64_t r = 0; r < t.n_rows; ++r) {
    // Merge the row's even and odd lanes; a lane that saw only masked rows has weight 0.
    const float m_even = max_lanes[2 * r], m_odd = max_lanes[2 * r + 1];
    const float row_max = std::max(m_even, m_odd);
    const float w_even =
        m_even == -std::numeric_limits<float>::infinity() ? 0.0f : std::exp(m_even - row_max);
    const float w_odd =
        m_odd == -std::numeric_limits<float>::infinity() ? 0.0f : std::exp(m_odd - row_max);
    const float row_sum = w_even * sum_lanes[2 * r] + w_odd * sum_lanes[2 * r + 1];
    if (o.partial_max != nullptr) {
      o.partial_max[r] = row_max;
      o.partial_sum[r] = row_sum;
      for (std::int64_t c = 0; c < d; ++c)
        o.partial_acc[r * d + c] = w_even * acc[c * W + 2 * r] + w_odd * acc[c * W + 2 * r + 1];
    } else {
      float* out = output_row(t, o, t.row_begin + r);
      const float inv_sum = 1.0f / row_sum;
      for (std::int64_t c = 0; c < d; ++c)
        out[c] = (w_even * acc[c * W + 2 * r] + w_odd * acc[c * W + 2 * r + 1]) * inv_sum;
    }
  }
}

/// The kernel for tiles of up to 3 vectors of rows: the number of vectors is chosen per tile.
template <class S>
void run_any_tile(const AttentionTile& t, const AttentionTileOut& o, float* scratch) {
  const std::int64_t nv = (t.n_rows + S::kLanes - 1) / S::kLanes;
  if (2 * t.n_rows <= S::kLanes) {
    run_pair_tile<S>(t, o, scratch);
  } else if (nv <= 1) {
    run_tile<S, 1>(t, o, scratch);
  } else if (nv == 2) {
    run_tile<S, 2>(t, o, scratch);
  } else {
    run_tile<S, 3>(t, o, scratch);
  }
}

template <class S>
inline constexpr std::int64_t kTileRows = 3 * S::kLanes;

}  // namespace r1::ops::cpu::attention_detail
