#include "ops/reference_ops.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace r1::ops {

void matmul_reference(const float* x, std::int64_t n_tokens, const WeightMatrix& w,
                      const float* bias, float* y) {
  for (std::int64_t t = 0; t < n_tokens; ++t) {
    const float* row_x = x + t * w.cols;
    for (std::int64_t o = 0; o < w.rows; ++o) {
      float sum = 0.0f;
      for (std::int64_t i = 0; i < w.cols; ++i) sum += row_x[i] * weight_at(w, o, i);
      y[t * w.rows + o] = sum + (bias != nullptr ? bias[o] : 0.0f);
    }
  }
}

void linear_reference(const float* x, std::int64_t n_tokens, const Linear& w, float* y) {
  // Each weight row is decoded to floats once (quantized rows as ggml dequantizes them), then
  // dotted with every token in fp32.
  std::vector<float> row(static_cast<std::size_t>(w.cols));
  std::int64_t first_row = 0;
  for (const WeightMatrix& part : w.parts) {
    for (std::int64_t o = 0; o < part.rows; ++o) {
      dequantize_row(part, o, row.data());
      const std::int64_t out_row = first_row + o;
      for (std::int64_t t = 0; t < n_tokens; ++t) {
        const float* row_x = x + t * w.cols;
        float sum = 0.0f;
        for (std::int64_t i = 0; i < w.cols; ++i)
          sum += row_x[i] * row[static_cast<std::size_t>(i)];
        y[t * w.rows + out_row] = sum + (w.bias.empty() ? 0.0f : w.bias[out_row]);
      }
    }
    first_row += part.rows;
  }
}

void rmsnorm_reference(const float* x, const float* weight, std::int64_t n_tokens, std::int64_t dim,
                       float eps, float* out) {
  for (std::int64_t t = 0; t < n_tokens; ++t) {
    const float* row = x + t * dim;
    float sum_squares = 0.0f;
    for (std::int64_t i = 0; i < dim; ++i) sum_squares += row[i] * row[i];
    // hidden_states * torch.rsqrt(variance + eps), then weight * hidden_states
    const float scale = 1.0f / std::sqrt(sum_squares / static_cast<float>(dim) + eps);
    for (std::int64_t i = 0; i < dim; ++i) out[t * dim + i] = weight[i] * (row[i] * scale);
  }
}

void swiglu_reference(const float* gate, const float* up, std::int64_t stride,
                      std::int64_t n_tokens, std::int64_t ff, float* out) {
  for (std::int64_t t = 0; t < n_tokens; ++t) {
    const float* g = gate + t * stride;
    const float* u = up + t * stride;
    for (std::int64_t j = 0; j < ff; ++j) {
      const float silu = g[j] / (1.0f + std::exp(-g[j]));  // x * sigmoid(x)
      out[t * ff + j] = silu * u[j];
    }
  }
}

void add_reference(float* x, const float* y, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) x[i] += y[i];
}

void attention_reference(const float* q, const float* k, const float* v,
                         const std::int32_t* q_positions, const AttentionShape& shape, float* out) {
  const std::int64_t group = shape.n_heads / shape.n_kv_heads;
  const std::int64_t d = shape.head_dim;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const std::int64_t q_stride = shape.q_stride != 0 ? shape.q_stride : shape.n_heads * d;
  const std::int64_t out_stride = shape.out_stride != 0 ? shape.out_stride : shape.n_heads * d;
  std::vector<float> scores(static_cast<std::size_t>(shape.n_kv));
  for (std::int64_t i = 0; i < shape.n_q; ++i) {
    const std::int64_t visible = std::min<std::int64_t>(q_positions[i] + 1, shape.n_kv);
    for (std::int64_t h = 0; h < shape.n_heads; ++h) {
      const float* qh = q + i * q_stride + h * d;
      const std::int64_t kv_head = h / group;
      float max_score = -std::numeric_limits<float>::infinity();
      for (std::int64_t j = 0; j < visible; ++j) {
        const float* kj = k + (j * shape.n_kv_heads + kv_head) * d;
        float dot = 0.0f;
        for (std::int64_t c = 0; c < d; ++c) dot += qh[c] * kj[c];
        scores[j] = dot * scale;
        max_score = std::max(max_score, scores[j]);
      }
      float total = 0.0f;
      for (std::int64_t j = 0; j < visible; ++j) {
        scores[j] = std::exp(scores[j] - max_score);
        total += scores[j];
      }
      float* oh = out + i * out_stride + h * d;
      for (std::int64_t c = 0; c < d; ++c) oh[c] = 0.0f;
      for (std::int64_t j = 0; j < visible; ++j) {
        const float weight = scores[j] / total;
        const float* vj = v + (j * shape.n_kv_heads + kv_head) * d;
        for (std::int64_t c = 0; c < d; ++c) oh[c] += weight * vj[c];
      }
    }
  }
}

}  // namespace r1::ops
