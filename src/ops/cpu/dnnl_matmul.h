// bf16 matrix products on oneDNN (Debian's libdnnl: brgemm kernels on AMX tiles or AVX512-BF16)
// for prefill-sized batches, where the matrix units give an order of magnitude over FMA code. The
// weights stay in their mapped [rows, cols] layout (oneDNN's "ba" for B = W^T); activations are
// rounded to bf16, as transformers computes a bf16 model.
#pragma once

#include <cstdint>
#include <map>
#include <memory>

namespace r1::ops::cpu {

class DnnlMatmul {
 public:
  /// Whether this build has oneDNN and the processor has AMX-BF16 or AVX512-BF16.
  static bool available();

  /// One per calling thread (of r1's pool): its own stream and primitive cache; oneDNN runs with
  /// a single OpenMP thread inside each call.
  DnnlMatmul();
  ~DnnlMatmul();
  DnnlMatmul(const DnnlMatmul&) = delete;
  DnnlMatmul& operator=(const DnnlMatmul&) = delete;

  /// y[t * y_stride + r] = sum_i x[t, i] * w[r, i] for r < n_rows, t < n_tokens, with w bf16
  /// [n_rows, cols] and x bf16 [n_tokens, cols] (row-major), fp32 accumulation and output.
  void bf16_rows(const std::uint16_t* w, std::int64_t n_rows, std::int64_t cols,
                 const std::uint16_t* x, std::int64_t n_tokens, float* y, std::int64_t y_stride);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace r1::ops::cpu
