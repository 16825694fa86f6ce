// Tile loops of the quantized products (include only from x86 kernel files, after
// avx2_common.h). A kernel policy K supplies the per-block preparation of weights (W) and
// activations (A) and the integer work; the loops share each prepared weight block across the
// tile's tokens and each prepared activation block across its rows, and keep every (row, token)
// output's float accumulation in the scalar reference's order.
#pragma once

#include <algorithm>
#include <vector>

namespace r1::quant::x86 {
namespace {

/// Tokens whose prepared activations are kept while every row tile passes over them.
constexpr std::int64_t kTokenChunk = 32;

/// 32-element types: R rows x T tokens = 8 (row, token) pairs, one float lane each. K provides
/// WBlock, ABlock, W prep_w(const WBlock&), A prep_a(const ABlock&), __m256i dot(W, A) (whose
/// lanes sum to the block's integer sum), float wd(const WBlock&), ad(const ABlock&) and
/// __m256 step(acc, sumi, dx, dy) (the reference's float update, lane-wise).
template <class K, int R, int T>
void legacy_tiles(const typename K::WBlock* w, std::int64_t n_rows, std::int64_t nb,
                  const typename K::ABlock* a, std::int64_t n_tokens, float* y,
                  std::int64_t y_stride) {
  static_assert(R * T == 8);
  for (std::int64_t t0 = 0; t0 < n_tokens; t0 += kTokenChunk) {
    const std::int64_t t_end = std::min(n_tokens, t0 + kTokenChunk);
    for (std::int64_t r0 = 0; r0 < n_rows; r0 += R) {
      const typename K::WBlock* rows[R];
      for (int r = 0; r < R; ++r) rows[r] = w + std::min(r0 + r, n_rows - 1) * nb;
      for (std::int64_t tt = t0; tt < t_end; tt += T) {
        const typename K::ABlock* toks[T];
        for (int t = 0; t < T; ++t) toks[t] = a + std::min(tt + t, t_end - 1) * nb;
        __m256 acc = _mm256_setzero_ps();
        for (std::int64_t i = 0; i < nb; ++i) {
          typename K::A ap[T];
          float dy[T];
          for (int t = 0; t < T; ++t) {
            ap[t] = K::prep_a(toks[t][i]);
            dy[t] = K::ad(toks[t][i]);
          }
          __m256i v[8];
          alignas(32) float dxs[8];
          alignas(32) float dys[8];
          for (int r = 0; r < R; ++r) {
            const typename K::W wp = K::prep_w(rows[r][i]);
            const float dx = K::wd(rows[r][i]);
            for (int t = 0; t < T; ++t) {
              v[r * T + t] = K::dot(wp, ap[t]);
              dxs[r * T + t] = dx;
              dys[r * T + t] = dy[t];
            }
          }
          acc = K::step(acc, _mm256_cvtepi32_ps(hsum8_epi32(v)), _mm256_load_ps(dxs),
                        _mm256_load_ps(dys));
        }
        alignas(32) float out[8];
        _mm256_store_ps(out, acc);
        for (int r = 0; r < R && r0 + r < n_rows; ++r) {
          for (int t = 0; t < T && tt + t < t_end; ++t) y[(tt + t) * y_stride + r0 + r] = out[r * T + t];
        }
      }
    }
  }
}

/// K-quants: tiles of 4 rows x T tokens, each pair with the reference's 8 float partial sums
/// and its scalar min term. K provides WBlock, W prep_w(const WBlock&), A prep_a(const
/// BlockQ8K&) and void accumulate(const W&, const A&, const BlockQ8K&, __m256* sums, float*
/// sumf) (one block's float update, in the reference's order).
template <class K, int T>
void k_tiles(const typename K::WBlock* w, std::int64_t n_rows, std::int64_t nb, const BlockQ8K* a,
             std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  constexpr int R = 4;
  thread_local std::vector<typename K::A> acts;
  thread_local std::vector<typename K::W> weights;
  acts.resize(static_cast<std::size_t>(kTokenChunk * nb));
  weights.resize(static_cast<std::size_t>(R * nb));
  for (std::int64_t t0 = 0; t0 < n_tokens; t0 += kTokenChunk) {
    const std::int64_t t_end = std::min(n_tokens, t0 + kTokenChunk);
    for (std::int64_t t = t0; t < t_end; ++t) {
      for (std::int64_t i = 0; i < nb; ++i) acts[(t - t0) * nb + i] = K::prep_a(a[t * nb + i]);
    }
    for (std::int64_t r0 = 0; r0 < n_rows; r0 += R) {
      for (int r = 0; r < R; ++r) {
        const typename K::WBlock* row = w + std::min(r0 + r, n_rows - 1) * nb;
        for (std::int64_t i = 0; i < nb; ++i) weights[r * nb + i] = K::prep_w(row[i]);
      }
      for (std::int64_t tt = t0; tt < t_end; tt += T) {
        std::int64_t tok[T];
        for (int t = 0; t < T; ++t) tok[t] = std::min(tt + t, t_end - 1);
        __m256 sums[R][T];
        float sumf[R][T];
        for (int r = 0; r < R; ++r) {
          for (int t = 0; t < T; ++t) {
            sums[r][t] = _mm256_setzero_ps();
            sumf[r][t] = 0.0f;
          }
        }
        for (std::int64_t i = 0; i < nb; ++i) {
          for (int t = 0; t < T; ++t) {
            const typename K::A& ap = acts[(tok[t] - t0) * nb + i];
            const BlockQ8K& ab = a[tok[t] * nb + i];
            for (int r = 0; r < R; ++r) {
              K::accumulate(weights[r * nb + i], ap, ab, &sums[r][t], &sumf[r][t]);
            }
          }
        }
        for (int r = 0; r < R && r0 + r < n_rows; ++r) {
          for (int t = 0; t < T && tt + t < t_end; ++t) {
            alignas(32) float lane_sums[8];
            _mm256_store_ps(lane_sums, sums[r][t]);
            float s = sumf[r][t];
            for (float l : lane_sums) s += l;
            y[(tt + t) * y_stride + r0 + r] = s;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace r1::quant::x86
