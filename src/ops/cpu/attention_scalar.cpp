// The blocked attention kernel in plain loops, row by row: the same online softmax over blocks of
// cache rows as the SIMD kernels, and their reference in tests (itself checked against
// attention_reference). Also the split-K merge and the dispatch by instruction set.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/half.h"
#include "ops/cpu/attention_kernels.h"

namespace r1::ops::cpu {
namespace {

constexpr float kMinusInf = -std::numeric_limits<float>::infinity();

const float* query_row(const AttentionTile& t, std::int64_t f) {
  return t.q + (f / t.group) * t.q_stride + (t.kv_head * t.group + f % t.group) * t.head_dim;
}

float* output_row(const AttentionTile& t, const AttentionTileOut& o, std::int64_t f) {
  return o.out + (f / t.group) * o.out_stride + (t.kv_head * t.group + f % t.group) * t.head_dim;
}

// Cache row j of the tile's kv head as floats: the cache itself for f32, else widened into
// `buffer`.
const float* cache_row(const AttentionTile& t, const void* const* pages, std::int64_t j,
                       float* buffer) {
  const void* base = cache_row_start(t, pages, j);
  const std::int64_t offset = t.kv_head * t.head_dim;
  if (t.kv_type == DType::f32) return static_cast<const float*>(base) + offset;
  const auto* half = static_cast<const std::uint16_t*>(base) + offset;
  for (std::int64_t c = 0; c < t.head_dim; ++c)
    buffer[c] = t.kv_type == DType::bf16 ? bf16_to_f32(half[c]) : f16_to_f32(half[c]);
  return buffer;
}

}  // namespace

void attention_tile_scalar(const AttentionTile& t, const AttentionTileOut& o, float* scratch) {
  const std::int64_t d = t.head_dim;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  float* acc = scratch;                     // [d]
  float* scores = acc + d;                  // [kAttentionKvBlock]
  float* row = scores + kAttentionKvBlock;  // [d] a widened cache row
  for (std::int64_t r = 0; r < t.n_rows; ++r) {
    const std::int64_t f = t.row_begin + r;
    const float* q = query_row(t, f);
    const std::int64_t end = std::min<std::int64_t>(
        t.kv_end, std::min<std::int64_t>(t.positions[f / t.group] + 1, t.n_kv));
    float max_score = kMinusInf, sum = 0.0f;
    std::fill(acc, acc + d, 0.0f);
    for (std::int64_t j0 = t.kv_begin; j0 < end; j0 += kAttentionKvBlock) {
      const std::int64_t nb = std::min(kAttentionKvBlock, end - j0);
      float block_max = max_score;
      for (std::int64_t j = 0; j < nb; ++j) {
        const float* k = cache_row(t, t.k_pages, j0 + j, row);
        float dot = 0.0f;
        for (std::int64_t c = 0; c < d; ++c) dot += q[c] * k[c];
        scores[j] = dot * scale;
        block_max = std::max(block_max, scores[j]);
      }
      // Earlier sums were taken relative to the old max: rescale them to the new one.
      const float alpha = std::exp(max_score - block_max);
      sum *= alpha;
      for (std::int64_t c = 0; c < d; ++c) acc[c] *= alpha;
      for (std::int64_t j = 0; j < nb; ++j) {
        const float p = std::exp(scores[j] - block_max);
        sum += p;
        const float* v = cache_row(t, t.v_pages, j0 + j, row);
        for (std::int64_t c = 0; c < d; ++c) acc[c] += p * v[c];
      }
      max_score = block_max;
    }
    if (o.partial_max != nullptr) {
      o.partial_max[r] = max_score;
      o.partial_sum[r] = sum;
      std::copy(acc, acc + d, o.partial_acc + r * d);
    } else {
      float* out = output_row(t, o, f);
      const float inv_sum = 1.0f / sum;
      for (std::int64_t c = 0; c < d; ++c) out[c] = acc[c] * inv_sum;
    }
  }
}

void attention_merge_partials(const AttentionTile& t, int n_parts, const float* partial_max,
                              const float* partial_sum, const float* partial_acc,
                              const AttentionTileOut& o) {
  const std::int64_t d = t.head_dim;
  for (std::int64_t r = 0; r < t.n_rows; ++r) {
    float max_score = kMinusInf;
    for (int p = 0; p < n_parts; ++p)
      max_score = std::max(max_score, partial_max[p * t.n_rows + r]);
    float* out = output_row(t, o, t.row_begin + r);
    std::fill(out, out + d, 0.0f);
    float sum = 0.0f;
    for (int p = 0; p < n_parts; ++p) {
      const float part_max = partial_max[p * t.n_rows + r];
      if (part_max == kMinusInf) continue;  // a part this row sees nothing of
      const float weight = std::exp(part_max - max_score);
      sum += weight * partial_sum[p * t.n_rows + r];
      const float* acc = partial_acc + (p * t.n_rows + r) * d;
      for (std::int64_t c = 0; c < d; ++c) out[c] += weight * acc[c];
    }
    const float inv_sum = 1.0f / sum;
    for (std::int64_t c = 0; c < d; ++c) out[c] *= inv_sum;
  }
}

std::size_t attention_scratch_floats(std::int64_t head_dim) {
  // The SIMD kernels' tiles of up to 48 rows: queries and output transposed ([d][48] each),
  // scores [block][48], widened key and value rows [block][d] (attention_tile.h).
  constexpr std::int64_t kRows = 48;
  return static_cast<std::size_t>(2 * head_dim * kRows + kAttentionKvBlock * kRows +
                                  2 * kAttentionKvBlock * head_dim);
}

AttentionKernel attention_kernel(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::avx512:
      return attention_kernel_avx512();
    case CpuIsa::avx2:
      return attention_kernel_avx2();
    case CpuIsa::scalar:
      break;
  }
  return {&attention_tile_scalar, kScalarAttentionTileRows};
}

}  // namespace r1::ops::cpu
