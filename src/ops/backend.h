// The backend boundary: the few ops the model is written against. The reference backend runs the
// scalar oracle (ops/reference_ops.h); the CPU backend runs threaded SIMD kernels; a CUDA backend
// slots in the same way. The model never calls a kernel directly.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "ops/attention_call.h"
#include "ops/memory.h"
#include "ops/reference_ops.h"
#include "ops/rope.h"
#include "ops/weights.h"

namespace r1::ops {

class Backend {
 public:
  virtual ~Backend() = default;

  /// "reference", "cpu avx512 x2 threads", ... for logs and benchmarks.
  virtual std::string describe() const = 0;

  /// y [n_tokens, w.rows] = x [n_tokens, w.cols] W^T + b.
  virtual void linear(const float* x, std::int64_t n_tokens, const Linear& w, float* y) = 0;

  /// out [n, table.cols] = rows ids[0..n) of the embedding table, as fp32.
  virtual void embed(const WeightMatrix& table, const std::int32_t* ids, std::int64_t n,
                     float* out) = 0;

  /// out[t] = x[t] * rsqrt(mean(x[t]^2) + eps) * weight, x and out [n, dim].
  virtual void rmsnorm(const float* x, const float* weight, std::int64_t n, std::int64_t dim,
                       float eps, float* out) = 0;

  /// Rotates n rows of n_heads heads in place (rows row_stride floats apart); see
  /// rope_reference for the layouts.
  virtual void rope(float* x, std::int64_t row_stride, const std::int32_t* positions,
                    std::int64_t n, std::int64_t n_heads, std::int64_t head_dim,
                    const float* inv_freq, RopeLayout layout) = 0;

  /// Causal grouped-query attention of every call (one per sequence in the batch).
  virtual void attention(std::span<const AttentionCall> calls) = 0;

  /// out [n, ff] = silu(gate) * up, with gate_up [n, 2 ff] = gate | up (the fused projection).
  virtual void swiglu(const float* gate_up, std::int64_t n, std::int64_t ff, float* out) = 0;

  /// x[i] += y[i].
  virtual void add(float* x, const float* y, std::int64_t n) = 0;

  /// x[t] += y[t], then out[t] = rmsnorm(x[t]) (x, y, out [n, dim]): the residual add and the
  /// norm that follows it, in one pass where the backend fuses them (add, then rmsnorm, by
  /// default; the same numbers either way).
  virtual void add_rmsnorm(float* x, const float* y, const float* weight, std::int64_t n,
                           std::int64_t dim, float eps, float* out) {
    add(x, y, n * dim);
    rmsnorm(x, weight, n, dim, eps, out);
  }

  /// The memory every pointer the ops take lives in (activations, KV cache); the host's unless
  /// the backend computes elsewhere.
  virtual Memory& memory() { return host_memory(); }

  /// Weights and constants the ops will be handed (`bytes` from `host`, which stay valid and
  /// unchanged): a backend that computes elsewhere copies them there now, at load time, so that
  /// running out of memory shows then; the host backends read them in place.
  virtual void keep_resident(const void* host, std::size_t bytes) {
    (void)host;
    (void)bytes;
  }

  /// Runs body(0) .. body(n - 1), independent host-side work between forward passes (sampling
  /// each sequence of a batch), on the backend's threads where it has them.
  virtual void for_each_index(std::int64_t n, const std::function<void(std::int64_t)>& body) {
    for (std::int64_t i = 0; i < n; ++i) body(i);
  }
};

/// The scalar reference ops, one thread: the test oracle.
std::unique_ptr<Backend> make_reference_backend();

}  // namespace r1::ops
