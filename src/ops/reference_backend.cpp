// The Backend over the scalar reference ops: slow, single-threaded, obviously right.
#include <algorithm>
#include <vector>

#include "ops/backend.h"
#include "ops/rope.h"

namespace r1::ops {
namespace {

class ReferenceBackend final : public Backend {
 public:
  std::string describe() const override { return "reference (scalar, 1 thread)"; }

  void linear(const float* x, std::int64_t n_tokens, const Linear& w, float* y) override {
    linear_reference(x, n_tokens, w, y);
  }

  void embed(const WeightMatrix& table, const std::int32_t* ids, std::int64_t n,
             float* out) override {
    for (std::int64_t t = 0; t < n; ++t) dequantize_row(table, ids[t], out + t * table.cols);
  }

  void rmsnorm(const float* x, const float* weight, std::int64_t n, std::int64_t dim, float eps,
               float* out) override {
    rmsnorm_reference(x, weight, n, dim, eps, out);
  }

  void rope(float* x, std::int64_t row_stride, const std::int32_t* positions, std::int64_t n,
            std::int64_t n_heads, std::int64_t head_dim, const float* inv_freq,
            RopeLayout layout) override {
    for (std::int64_t t = 0; t < n; ++t) {
      rope_reference(x + t * row_stride, positions + t, 1, n_heads, head_dim, inv_freq, layout);
    }
  }

  void attention(std::span<const AttentionCall> calls) override {
    for (const AttentionCall& call : calls) {
      // The pages are gathered into contiguous fp32 rows first: the reference computes in fp32.
      const std::int64_t kv_dim = call.shape.n_kv_heads * call.shape.head_dim;
      std::vector<float> keys(static_cast<std::size_t>(call.shape.n_kv * kv_dim)),
          values(keys.size());
      for (std::int64_t j = 0; j < call.shape.n_kv; ++j) {
        const std::int64_t page = j / call.page_rows, row = j % call.page_rows;
        const WeightMatrix k{call.kv_type, call.k_pages[page], call.page_rows, kv_dim};
        const WeightMatrix v{call.kv_type, call.v_pages[page], call.page_rows, kv_dim};
        dequantize_row(k, row, keys.data() + j * kv_dim);
        dequantize_row(v, row, values.data() + j * kv_dim);
      }
      attention_reference(call.q, keys.data(), values.data(), call.q_positions, call.shape,
                          call.out);
    }
  }

  void swiglu(const float* gate_up, std::int64_t n, std::int64_t ff, float* out) override {
    swiglu_reference(gate_up, gate_up + ff, 2 * ff, n, ff, out);
  }

  void add(float* x, const float* y, std::int64_t n) override { add_reference(x, y, n); }
};

}  // namespace

std::unique_ptr<Backend> make_reference_backend() {
  return std::make_unique<ReferenceBackend>();
}

}  // namespace r1::ops
