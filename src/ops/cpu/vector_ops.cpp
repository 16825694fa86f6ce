#include "ops/cpu/vector_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/half.h"

// Each function is compiled for AVX-512, AVX2 and the baseline; the loader picks the best clone
// for this processor. `omp simd` (with -fopenmp-simd, no OpenMP runtime) lets the compiler
// vectorize the float reductions.
#if defined(__x86_64__) && !defined(__clang__)
#define R1_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define R1_CLONES
#endif

namespace r1::ops::cpu {

R1_CLONES void rmsnorm_row(const float* x, const float* weight, std::int64_t dim, float eps,
                           float* out) {
  float sum_squares = 0.0f;
#pragma omp simd reduction(+ : sum_squares)
  for (std::int64_t i = 0; i < dim; ++i) sum_squares += x[i] * x[i];
  const float scale = 1.0f / std::sqrt(sum_squares / static_cast<float>(dim) + eps);
#pragma omp simd
  for (std::int64_t i = 0; i < dim; ++i) out[i] = weight[i] * (x[i] * scale);
}

R1_CLONES void rope_row(float* x, std::int64_t n_heads, std::int64_t head_dim, const float* cos_a,
                        const float* sin_a, RopeLayout layout) {
  const std::int64_t half = head_dim / 2;
  if (layout == RopeLayout::interleaved) {
    for (std::int64_t h = 0; h < n_heads; ++h) {
      float* head = x + h * head_dim;
      for (std::int64_t i = 0; i < half; ++i) {
        const float x1 = head[2 * i];
        const float x2 = head[2 * i + 1];
        head[2 * i] = x1 * cos_a[i] - x2 * sin_a[i];
        head[2 * i + 1] = x2 * cos_a[i] + x1 * sin_a[i];
      }
    }
    return;
  }
  for (std::int64_t h = 0; h < n_heads; ++h) {
    float* lo = x + h * head_dim;
    float* hi = lo + half;
#pragma omp simd
    for (std::int64_t i = 0; i < half; ++i) {
      const float x1 = lo[i];
      const float x2 = hi[i];
      lo[i] = x1 * cos_a[i] - x2 * sin_a[i];
      hi[i] = x2 * cos_a[i] + x1 * sin_a[i];
    }
  }
}

R1_CLONES void swiglu_row(const float* gate, const float* up, std::int64_t ff, float* out) {
  for (std::int64_t j = 0; j < ff; ++j) out[j] = gate[j] / (1.0f + std::exp(-gate[j])) * up[j];
}

// Row `j`'s slice of kv head `kv_head` as floats: the cache itself for f32, else widened into
// `buffer` (head_dim floats).
inline const float* kv_row(const void* base, std::int64_t j, std::int64_t kv_stride,
                           std::int64_t offset, std::int64_t d, DType type, float* buffer) {
  if (type == DType::f32) return static_cast<const float*>(base) + j * kv_stride + offset;
  const auto* half = static_cast<const std::uint16_t*>(base) + j * kv_stride + offset;
  if (type == DType::bf16) {
    for (std::int64_t c = 0; c < d; ++c) {
      const std::uint32_t word = std::uint32_t(half[c]) << 16;
      std::memcpy(buffer + c, &word, 4);
    }
  } else {
    for (std::int64_t c = 0; c < d; ++c) buffer[c] = f16_to_f32(half[c]);
  }
  return buffer;
}

R1_CLONES void attention_query(const float* q, const void* k, const void* v, DType kv_type,
                               std::int64_t visible, std::int64_t kv_head,
                               const AttentionShape& shape, float* scores, float* out) {
  // The `group` query heads that share this kv head are done together, so each key and value
  // row is loaded once for all of them. scores: [group, visible].
  const std::int64_t d = shape.head_dim;
  const std::int64_t group = shape.n_heads / shape.n_kv_heads;
  const std::int64_t kv_stride = shape.n_kv_heads * d;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const float* q0 = q + kv_head * group * d;
  float row[512];  // head_dim <= 512 (checked by the backend)
  for (std::int64_t j = 0; j < visible; ++j) {
    const float* kj = kv_row(k, j, kv_stride, kv_head * d, d, kv_type, row);
    for (std::int64_t g = 0; g < group; ++g) {
      const float* qh = q0 + g * d;
      float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
      for (std::int64_t c = 0; c < d; ++c) dot += qh[c] * kj[c];
      scores[g * visible + j] = dot * scale;
    }
  }
  for (std::int64_t g = 0; g < group; ++g) {
    float* s = scores + g * visible;
    float max_score = -std::numeric_limits<float>::infinity();
    for (std::int64_t j = 0; j < visible; ++j) max_score = std::max(max_score, s[j]);
    float total = 0.0f;
    for (std::int64_t j = 0; j < visible; ++j) {
      s[j] = std::exp(s[j] - max_score);
      total += s[j];
    }
    const float inv_total = 1.0f / total;
    for (std::int64_t j = 0; j < visible; ++j) s[j] *= inv_total;
    float* oh = out + (kv_head * group + g) * d;
#pragma omp simd
    for (std::int64_t c = 0; c < d; ++c) oh[c] = 0.0f;
  }
  for (std::int64_t j = 0; j < visible; ++j) {
    const float* vj = kv_row(v, j, kv_stride, kv_head * d, d, kv_type, row);
    for (std::int64_t g = 0; g < group; ++g) {
      const float weight = scores[g * visible + j];
      float* oh = out + (kv_head * group + g) * d;
#pragma omp simd
      for (std::int64_t c = 0; c < d; ++c) oh[c] += weight * vj[c];
    }
  }
}

R1_CLONES void round_to_bf16(const float* x, std::int64_t n, std::uint16_t* out) {
  // f32_to_bf16 (round to nearest even, NaN kept quiet) without branches, so it vectorizes.
  for (std::int64_t i = 0; i < n; ++i) {
    std::uint32_t word;
    std::memcpy(&word, x + i, sizeof word);
    const std::uint32_t rounded = (word + 0x7FFFu + ((word >> 16) & 1u)) >> 16;
    const std::uint32_t quiet_nan = (word >> 16) | 0x0040u;
    out[i] = static_cast<std::uint16_t>((word & 0x7FFFFFFFu) > 0x7F800000u ? quiet_nan : rounded);
  }
}

}  // namespace r1::ops::cpu
