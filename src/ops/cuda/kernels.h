// The model's ops as CUDA kernels. Every pointer is device memory; every call is queued on
// `stream` and returns at once. Each op computes what its scalar reference in ops/reference_ops.h
// (or ops/rope.h) computes, in fp32, and is tested against it (tests/cuda/).
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "core/dtype.h"
#include "ops/rope.h"

namespace r1::ops::cuda {

/// out[t] = x[t] * rsqrt(mean(x[t]^2) + eps) * weight, x and out [n, dim] (rmsnorm_reference).
void rmsnorm(const float* x, const float* weight, std::int64_t n, std::int64_t dim, float eps,
             float* out, cudaStream_t stream);

/// x[t] += y[t], then out[t] = rmsnorm(x[t]) as rmsnorm computes it, in one kernel.
void add_rmsnorm(float* x, const float* y, const float* weight, std::int64_t n, std::int64_t dim,
                 float eps, float* out, cudaStream_t stream);

/// x[i] += y[i].
void add(float* x, const float* y, std::int64_t n, cudaStream_t stream);

/// out [n, ff] = silu(gate) * up with gate_up [n, 2 ff] = gate | up (swiglu_reference).
void swiglu(const float* gate_up, std::int64_t n, std::int64_t ff, float* out, cudaStream_t stream);

/// dst[i] = src[i] for i < n, converted to `type` (f32, f16 or bf16, round to nearest even): a
/// KV-cache row.
void convert_floats(const float* src, std::int64_t n, DType type, void* dst, cudaStream_t stream);

/// dst_rows[r][i] = src[r * src_stride + i] for r < n_rows, i < n, converted as convert_floats
/// does; dst_rows a device array of n_rows device pointers: a batch's KV rows in one launch.
void convert_rows(const float* src, std::int64_t src_stride, std::int64_t n, DType type,
                  void* const* dst_rows, std::int64_t n_rows, cudaStream_t stream);

/// Rotates n rows of n_heads heads in place, rows row_stride floats apart (rope_reference);
/// positions [n] and inv_freq [head_dim / 2] in device memory.
void rope(float* x, std::int64_t row_stride, const std::int32_t* positions, std::int64_t n,
          std::int64_t n_heads, std::int64_t head_dim, const float* inv_freq, RopeLayout layout,
          cudaStream_t stream);

/// out [n, cols] = rows ids[0..n) of a table of f32, f16, bf16 or q8_0, as fp32.
void embed(DType type, const void* table, std::int64_t cols, const std::int32_t* ids,
           std::int64_t n, float* out, cudaStream_t stream);

/// Weight matrices of one element type stacked by rows, as the fused q | k | v and gate | up
/// projections are (separate tensors in the checkpoint): rows [ends[p - 1], ends[p]) are part
/// p's, each part row-major with the same number of columns. One launch covers all parts.
struct StackedRows {
  static constexpr int kMaxParts = 4;
  const void* parts[kMaxParts] = {};
  std::int64_t ends[kMaxParts] = {};  // cumulative row counts
  int n_parts = 0;

  std::int64_t rows() const { return n_parts == 0 ? 0 : ends[n_parts - 1]; }
  /// Appends a part of `rows` rows; false when kMaxParts are there already.
  bool add(const void* w, std::int64_t rows) {
    if (n_parts == kMaxParts) return false;
    parts[n_parts] = w;
    ends[n_parts] = this->rows() + rows;
    ++n_parts;
    return true;
  }
  static StackedRows one(const void* w, std::int64_t rows) {
    StackedRows s;
    s.add(w, rows);
    return s;
  }
};

/// y[t * y_stride + r] = sum_i x[t * x_stride + i] * w[r, i] (+ bias[r] when bias is not null)
/// for r < w.rows(), t < n_tokens; the weights f32, f16, bf16 or q8_0, accumulated in fp32
/// (matmul_reference). One warp per row, up to 8 tokens per pass over the row: the decode and
/// small-batch product (larger batches: matmul_tensor_cores).
void matmul_rows(DType type, const StackedRows& w, std::int64_t cols, const float* x,
                 std::int64_t x_stride, std::int64_t n_tokens, const float* bias, float* y,
                 std::int64_t y_stride, cudaStream_t stream);
inline void matmul_rows(DType type, const void* w, std::int64_t rows, std::int64_t cols,
                        const float* x, std::int64_t x_stride, std::int64_t n_tokens,
                        const float* bias, float* y, std::int64_t y_stride, cudaStream_t stream) {
  matmul_rows(type, StackedRows::one(w, rows), cols, x, x_stride, n_tokens, bias, y, y_stride,
              stream);
}

/// matmul_rows for q8_0 weights as the file stores them (ggml's 34-byte blocks), dequantized in
/// registers (q8_0_kernels.cu); cols a multiple of 32. matmul_rows sends q8_0 here.
void matmul_q8_0(const StackedRows& w, std::int64_t cols, const float* x, std::int64_t x_stride,
                 std::int64_t n_tokens, const float* bias, float* y, std::int64_t y_stride,
                 cudaStream_t stream);

/// embed for a q8_0 table (embed sends it here).
void embed_q8_0(const void* table, std::int64_t cols, const std::int32_t* ids, std::int64_t n,
                float* out, cudaStream_t stream);

/// The same product on tensor cores for f16 / bf16 weights, with the activations rounded to the
/// weights' type first (as transformers computes a 16-bit model) and fp32 sums: prefill and
/// batched decode, where matmul_rows would read every weight row once per 8 tokens. Its oracle is
/// matmul_reference on the rounded activations.
void matmul_tensor_cores(DType type, const StackedRows& w, std::int64_t cols, const float* x,
                         std::int64_t x_stride, std::int64_t n_tokens, const float* bias, float* y,
                         std::int64_t y_stride, cudaStream_t stream);
inline void matmul_tensor_cores(DType type, const void* w, std::int64_t rows, std::int64_t cols,
                                const float* x, std::int64_t x_stride, std::int64_t n_tokens,
                                const float* bias, float* y, std::int64_t y_stride,
                                cudaStream_t stream) {
  matmul_tensor_cores(type, StackedRows::one(w, rows), cols, x, x_stride, n_tokens, bias, y,
                      y_stride, stream);
}

/// Tokens up to which matmul_rows takes a product in one pass over the weights; more go to the
/// tensor cores when the weights are 16-bit.
inline constexpr std::int64_t kRowProductTokens = 8;

/// Whether a product of `n_tokens` tokens with `type` weights goes to matmul_tensor_cores.
inline bool use_tensor_cores(DType type, std::int64_t n_tokens) {
  return n_tokens > kRowProductTokens && (type == DType::bf16 || type == DType::f16);
}

/// Largest head_dim the attention kernel takes.
inline constexpr std::int64_t kMaxHeadDim = 256;

/// One query row of an attention launch, all pointers device memory: its q row (heads of
/// head_dim), where its output row goes, its sequence's key / value page tables (device arrays
/// of device pointers to pages of page_rows positions) and its position (it attends to keys
/// 0..position).
struct AttentionQuery {
  const float* q;
  float* out;
  const void* const* k_pages;
  const void* const* v_pages;
  const std::int32_t* position;
};

/// What the queries of one launch share.
struct AttentionLayout {
  std::int64_t n_heads, n_kv_heads, head_dim, page_rows;
  DType kv_type;
};

/// Causal grouped-query attention (attention_reference) of n_queries queries of any number of
/// sequences in one launch; `queries` a device array. max_keys: the most keys any of them sees
/// (position + 1), for splitting long caches into runs of keys. Throws Error(unsupported) for a
/// head_dim over kMaxHeadDim or a kv_type it does not read.
void attention_queries(const AttentionQuery* queries, std::int64_t n_queries, std::int64_t max_keys,
                       const AttentionLayout& layout, cudaStream_t stream);

}  // namespace r1::ops::cuda
