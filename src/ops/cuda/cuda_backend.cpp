#include "ops/cuda/cuda_backend.h"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>

#include "ops/cuda/cuda_device.h"
#include "ops/cuda/cuda_memory.h"
#include "ops/cuda/device_buffer.h"
#include "ops/cuda/kernels.h"
#include "r1/error.h"

namespace r1::ops {
namespace {

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(const cuda::DeviceInfo& device) : device_(device) {}

  std::string describe() const override {
    return "cuda:" + std::to_string(device_.index) + " " + device_.name + " (sm_" +
           std::to_string(device_.compute_major) + std::to_string(device_.compute_minor) + ")";
  }

  Memory& memory() override { return memory_; }

  void keep_resident(const void* host, std::size_t bytes) override { resident(host, bytes); }

  // The parts (q | k | v, gate | up) in one launch when they share an element type.
  void linear(const float* x, std::int64_t n_tokens, const Linear& w, float* y) override {
    const float* bias = w.bias.empty() ? nullptr : resident_floats(w.bias.data(), w.bias.size());
    std::int64_t first = 0;
    std::size_t p = 0;
    while (p < w.parts.size()) {
      const DType type = w.parts[p].type;
      cuda::StackedRows stacked;
      for (; p < w.parts.size() && w.parts[p].type == type; ++p) {
        const WeightMatrix& part = w.parts[p];
        if (!cuda_backend_supports(part.type) || part.layout != WeightLayout::rows) {
          throw Error(ErrorCode::unsupported,
                      std::string("the CUDA backend computes with f32, f16, bf16 and q8_0 "
                                  "matrices so far, not ") +
                          dtype_cli_name(part.type) + "; use --device cpu for this model");
        }
        if (!stacked.add(resident(part.data, row_bytes(part) * part.rows), part.rows)) break;
      }
      const float* stacked_bias = bias != nullptr ? bias + first : nullptr;
      if (cuda::use_tensor_cores(type, n_tokens)) {
        cuda::matmul_tensor_cores(type, stacked, w.cols, x, w.cols, n_tokens, stacked_bias,
                                  y + first, w.rows, nullptr);
      } else {
        cuda::matmul_rows(type, stacked, w.cols, x, w.cols, n_tokens, stacked_bias, y + first,
                          w.rows, nullptr);
      }
      first += stacked.rows();
    }
  }

  void embed(const WeightMatrix& table, const std::int32_t* ids, std::int64_t n,
             float* out) override {
    cuda::embed(table.type, resident(table.data, row_bytes(table) * table.rows), table.cols, ids, n,
                out, nullptr);
  }

  void rmsnorm(const float* x, const float* weight, std::int64_t n, std::int64_t dim, float eps,
               float* out) override {
    cuda::rmsnorm(x, resident_floats(weight, dim), n, dim, eps, out, nullptr);
  }

  void rope(float* x, std::int64_t row_stride, const std::int32_t* positions, std::int64_t n,
            std::int64_t n_heads, std::int64_t head_dim, const float* inv_freq,
            RopeLayout layout) override {
    cuda::rope(x, row_stride, positions, n, n_heads, head_dim,
               resident_floats(inv_freq, head_dim / 2), layout, nullptr);
  }

  // All the calls' queries in one launch. The page tables are host arrays of device pointers:
  // every call's key and value tables are gathered into one host array, and a reference per
  // query (its q and output rows, its tables, its position) into another; each goes up in one
  // queued copy (staged: the host arrays may change as soon as this returns).
  void attention(std::span<const AttentionCall> calls) override {
    if (calls.empty()) return;
    tables_.clear();
    table_offsets_.clear();
    std::int64_t n_queries = 0;
    for (const AttentionCall& call : calls) {
      const std::int64_t n_pages = (call.shape.n_kv + call.page_rows - 1) / call.page_rows;
      table_offsets_.push_back(tables_.size());
      tables_.insert(tables_.end(), call.k_pages, call.k_pages + n_pages);
      tables_.insert(tables_.end(), call.v_pages, call.v_pages + n_pages);
      n_queries += call.shape.n_q;
    }
    const std::size_t table_bytes = tables_.size() * sizeof(void*);
    if (page_tables_.size() < table_bytes) page_tables_ = cuda::DeviceBytes(2 * table_bytes);
    memory_.upload(page_tables_.data(), tables_.data(), table_bytes);
    const auto* device_tables = static_cast<const void* const*>(page_tables_.data());

    queries_.clear();
    std::int64_t max_keys = 0;
    const AttentionShape& first = calls.front().shape;
    for (std::size_t c = 0; c < calls.size(); ++c) {
      const AttentionCall& call = calls[c];
      const AttentionShape& s = call.shape;
      if (s.n_heads != first.n_heads || s.n_kv_heads != first.n_kv_heads ||
          s.head_dim != first.head_dim || call.page_rows != calls.front().page_rows ||
          call.kv_type != calls.front().kv_type) {
        throw Error(ErrorCode::invalid_argument,
                    "CUDA attention: the calls of one launch must share heads, head_dim, page "
                    "size and cache type");
      }
      const std::int64_t n_pages = (s.n_kv + call.page_rows - 1) / call.page_rows;
      const std::int64_t q_stride = s.q_stride != 0 ? s.q_stride : s.n_heads * s.head_dim;
      const std::int64_t out_stride = s.out_stride != 0 ? s.out_stride : s.n_heads * s.head_dim;
      for (std::int64_t i = 0; i < s.n_q; ++i) {
        queries_.push_back({call.q + i * q_stride, call.out + i * out_stride,
                            device_tables + table_offsets_[c],
                            device_tables + table_offsets_[c] + n_pages, call.q_positions + i});
      }
      max_keys = std::max(max_keys, s.n_kv);
    }
    const std::size_t query_bytes = queries_.size() * sizeof(cuda::AttentionQuery);
    if (query_refs_.size() < query_bytes) query_refs_ = cuda::DeviceBytes(2 * query_bytes);
    memory_.upload(query_refs_.data(), queries_.data(), query_bytes);
    cuda::attention_queries(static_cast<const cuda::AttentionQuery*>(query_refs_.data()), n_queries,
                            max_keys,
                            {first.n_heads, first.n_kv_heads, first.head_dim,
                             calls.front().page_rows, calls.front().kv_type},
                            nullptr);
  }

  void swiglu(const float* gate_up, std::int64_t n, std::int64_t ff, float* out) override {
    cuda::swiglu(gate_up, n, ff, out, nullptr);
  }

  void add(float* x, const float* y, std::int64_t n) override { cuda::add(x, y, n, nullptr); }

  void add_rmsnorm(float* x, const float* y, const float* weight, std::int64_t n, std::int64_t dim,
                   float eps, float* out) override {
    cuda::add_rmsnorm(x, y, resident_floats(weight, dim), n, dim, eps, out, nullptr);
  }

 private:
  // The device copy of `bytes` from `host`, made on first sight (keep_resident makes them all at
  // load); a longer view of the same start is copied again.
  const void* resident(const void* host, std::size_t bytes) {
    auto it = resident_.find(host);
    if (it == resident_.end() || it->second.size() < bytes) {
      cuda::DeviceBytes copy(bytes);
      copy.upload(host, bytes);
      it = resident_.insert_or_assign(host, std::move(copy)).first;
    }
    return it->second.data();
  }
  const float* resident_floats(const float* host, std::size_t n) {
    return static_cast<const float*>(resident(host, n * sizeof(float)));
  }

  cuda::DeviceInfo device_;
  cuda::CudaMemory memory_;
  std::unordered_map<const void*, cuda::DeviceBytes> resident_;
  cuda::DeviceBytes page_tables_;
  std::vector<const void*> tables_;            // attention()'s page tables, gathered
  std::vector<std::size_t> table_offsets_;     // where each call's start in tables_
  std::vector<cuda::AttentionQuery> queries_;  // attention()'s queries
  cuda::DeviceBytes query_refs_;               // ... on the device
};

}  // namespace

std::unique_ptr<Backend> make_cuda_backend(std::optional<int> index) {
  return std::make_unique<CudaBackend>(cuda::select_device(index));
}

bool cuda_backend_supports(DType type) {
  return type == DType::f32 || type == DType::f16 || type == DType::bf16 || type == DType::q8_0;
}

}  // namespace r1::ops
