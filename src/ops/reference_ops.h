// Scalar reference implementations of the ops the model is written against. They are the
// fallback and the test oracle for every fast kernel (SIMD, quantized, CUDA): same signature,
// plain loops, fp32 accumulation. Shapes are given as [rows, cols] of row-major buffers.
#pragma once

#include <cstdint>

#include "ops/weights.h"

namespace r1::ops {

/// y[t, o] = sum_i x[t, i] * w[o, i] + (bias ? bias[o] : 0), x [n_tokens, w.cols],
/// y [n_tokens, w.rows]. Like torch.nn.functional.linear with fp32 accumulation.
void matmul_reference(const float* x, std::int64_t n_tokens, const WeightMatrix& w,
                      const float* bias, float* y);

/// y [n_tokens, w.rows] = x [n_tokens, w.cols] W^T + b over the stacked parts of `w`.
void linear_reference(const float* x, std::int64_t n_tokens, const Linear& w, float* y);

/// out[t] = x[t] * rsqrt(mean(x[t]^2) + eps) * weight, x and out [n_tokens, dim] (Qwen2RMSNorm).
void rmsnorm_reference(const float* x, const float* weight, std::int64_t n_tokens, std::int64_t dim,
                       float eps, float* out);

/// out[t, j] = silu(gate[t * stride + j]) * up[t * stride + j], out [n_tokens, ff]. With separate
/// projections gate and up are [n_tokens, ff] (stride ff); with the fused gate_up projection they
/// point into one [n_tokens, 2 ff] buffer (up = gate + ff, stride 2 ff).
void swiglu_reference(const float* gate, const float* up, std::int64_t stride,
                      std::int64_t n_tokens, std::int64_t ff, float* out);

/// x[i] += y[i] (residual connections).
void add_reference(float* x, const float* y, std::int64_t n);

/// Causal grouped-query attention of one sequence.
/// q [n_q, n_heads, head_dim] (rows q_stride floats apart); k, v [n_kv, n_kv_heads, head_dim]
/// hold the sequence's cache from position 0; query i sits at position q_positions[i] and attends
/// to cache rows 0..q_positions[i]. Query head h reads kv head h / (n_heads / n_kv_heads).
/// Softmax in fp32 with scale 1/sqrt(head_dim). out [n_q, n_heads, head_dim] (rows out_stride
/// floats apart). A stride of 0 means n_heads * head_dim (contiguous rows).
struct AttentionShape {
  std::int64_t n_q = 0;
  std::int64_t n_kv = 0;
  std::int64_t n_heads = 0;
  std::int64_t n_kv_heads = 0;
  std::int64_t head_dim = 0;
  std::int64_t q_stride = 0;
  std::int64_t out_stride = 0;
};
void attention_reference(const float* q, const float* k, const float* v,
                         const std::int32_t* q_positions, const AttentionShape& shape, float* out);

}  // namespace r1::ops
