// The forward pass touches activations and the KV cache only through the backend's memory
// (ops/memory.h), as a GPU backend needs: a backend whose memory is not host-visible, and whose
// ops insist that every activation, id, position and cache page they are handed was allocated
// there, gives the same logits as the host path, bit for bit (both compute with the reference ops).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "model/loaded_model.h"
#include "model/random_checkpoint.h"
#include "ops/backend.h"
#include "test_paths.h"

namespace r1::model {
namespace {

// Host memory that says it is not host-visible, remembers what it handed out and counts copies.
class TrackingMemory final : public ops::Memory {
 public:
  bool host_visible() const override { return false; }
  std::shared_ptr<std::uint8_t> allocate(std::size_t bytes) override {
    auto block = host_.allocate(bytes);
    ranges_.push_back({block.get(), block.get() + bytes});
    return block;
  }
  void copy(void* dst, const void* src, std::size_t bytes) override {
    EXPECT_TRUE(owns(dst) && owns(src)) << "copy outside this memory";
    ++copies;
    host_.copy(dst, src, bytes);
  }
  void upload(void* dst, const void* host, std::size_t bytes) override {
    EXPECT_TRUE(owns(dst)) << "upload to memory allocated elsewhere";
    ++uploads;
    host_.upload(dst, host, bytes);
  }
  void download(void* host, const void* src, std::size_t bytes) override {
    EXPECT_TRUE(owns(src)) << "download from memory allocated elsewhere";
    ++downloads;
    host_.download(host, src, bytes);
  }
  void store_converted(const float* src, std::int64_t n, DType type, void* dst) override {
    EXPECT_TRUE(owns(src) && owns(dst)) << "KV store outside this memory";
    host_.store_converted(src, n, type, dst);
  }
  void store_converted_rows(const float* src, std::int64_t src_stride, std::int64_t n, DType type,
                            std::span<void* const> dst_rows) override {
    ++row_stores;
    ops::Memory::store_converted_rows(src, src_stride, n, type, dst_rows);  // checks each row
  }
  bool owns(const void* p) const {
    const auto* b = static_cast<const std::uint8_t*>(p);
    return std::any_of(ranges_.begin(), ranges_.end(),
                       [&](const auto& r) { return b >= r.first && b < r.second; });
  }
  int copies = 0, uploads = 0, downloads = 0, row_stores = 0;

 private:
  ops::Memory& host_ = ops::host_memory();
  std::vector<std::pair<const std::uint8_t*, const std::uint8_t*>> ranges_;
};

// The reference ops, after checking that every pointer other than a weight lies in `memory`.
class CheckingBackend final : public ops::Backend {
 public:
  std::string describe() const override { return "checking"; }
  ops::Memory& memory() override { return memory_; }

  void linear(const float* x, std::int64_t n, const ops::Linear& w, float* y) override {
    expect_owned({x, y}, "linear");
    reference_->linear(x, n, w, y);
  }
  void embed(const ops::WeightMatrix& table, const std::int32_t* ids, std::int64_t n,
             float* out) override {
    expect_owned({ids, out}, "embed");
    reference_->embed(table, ids, n, out);
  }
  void rmsnorm(const float* x, const float* weight, std::int64_t n, std::int64_t dim, float eps,
               float* out) override {
    expect_owned({x, out}, "rmsnorm");
    reference_->rmsnorm(x, weight, n, dim, eps, out);
  }
  void rope(float* x, std::int64_t row_stride, const std::int32_t* positions, std::int64_t n,
            std::int64_t n_heads, std::int64_t head_dim, const float* inv_freq,
            ops::RopeLayout layout) override {
    expect_owned({x, positions}, "rope");
    reference_->rope(x, row_stride, positions, n, n_heads, head_dim, inv_freq, layout);
  }
  void attention(std::span<const ops::AttentionCall> calls) override {
    for (const ops::AttentionCall& c : calls) {
      expect_owned({c.q, c.out, c.q_positions}, "attention");
      for (std::int64_t p = 0; p * c.page_rows < c.shape.n_kv; ++p)
        expect_owned({c.k_pages[p], c.v_pages[p]}, "attention cache page");
    }
    reference_->attention(calls);
  }
  void swiglu(const float* gate_up, std::int64_t n, std::int64_t ff, float* out) override {
    expect_owned({gate_up, out}, "swiglu");
    reference_->swiglu(gate_up, n, ff, out);
  }
  void add(float* x, const float* y, std::int64_t n) override {
    expect_owned({x, y}, "add");
    reference_->add(x, y, n);
  }

  TrackingMemory memory_;

 private:
  void expect_owned(std::initializer_list<const void*> pointers, const char* op) {
    for (const void* p : pointers) EXPECT_TRUE(memory_.owns(p)) << op << " got a host pointer";
  }
  std::unique_ptr<ops::Backend> reference_ = ops::make_reference_backend();
};

// Views of the same weights for a second Transformer (the first model keeps the mapping).
ModelWeights views_of(const ModelWeights& w) {
  ModelWeights copy;
  copy.embed_tokens = w.embed_tokens;
  copy.layers = w.layers;
  copy.final_norm = w.final_norm;
  copy.lm_head = w.lm_head;
  copy.rope_layout = w.rope_layout;
  copy.rope_freq_factors = w.rope_freq_factors;
  return copy;
}

TEST(BackendMemory, ForwardPassGoesThroughTheBackendsMemoryOnly) {
  const auto folder = test::scratch_dir("backend_memory_qwen2");
  std::filesystem::remove_all(folder);
  write_random_checkpoint({*parse_random_preset("qwen2-tiny"), io::DType::bf16, 7, folder});
  LoadOptions options;
  options.backend = BackendKind::reference;
  auto host_model = load_model(folder, options);
  auto backend = std::make_unique<CheckingBackend>();
  CheckingBackend& checking = *backend;
  Transformer device_model(host_model->config, views_of(host_model->transformer->weights()),
                           std::move(backend));

  // Two sequences prefilled together (one wants every position's logits), then a decode step
  // of both; the second sequence shares the first's first block (copy on write when written).
  auto run = [&](Transformer& t, KvCache& cache, std::vector<std::vector<float>>& traced) {
    t.set_trace([&](const TraceTensor& tensor) {
      if (tensor.name == "layer.1.out" || tensor.name == "norm.out")
        traced.emplace_back(tensor.data, tensor.data + tensor.n_tokens * tensor.dim);
    });
    std::vector<float> all;
    Batch prefill;
    for (std::int32_t i = 0; i < 40; ++i) prefill.add(100 + 3 * i, i, 0, true);
    std::vector<float> logits;
    t.forward(prefill, cache, logits);
    all.insert(all.end(), logits.begin(), logits.end());
    cache.share(0, 1, 20);
    Batch next;
    next.add(7, 40, 0, true);
    for (std::int32_t i = 20; i < 26; ++i) next.add(50 + i, i, 1, i == 25);
    t.forward(next, cache, logits);
    all.insert(all.end(), logits.begin(), logits.end());
    return all;
  };
  KvCache host_cache(host_model->config, 2, 64, DType::bf16);
  KvCache device_cache(host_model->config, 2, 64, DType::bf16, 0, checking.memory());
  std::vector<std::vector<float>> host_traced, device_traced;
  const auto expected = run(*host_model->transformer, host_cache, host_traced);
  const auto got = run(device_model, device_cache, device_traced);
  ASSERT_EQ(got.size(), expected.size());
  EXPECT_EQ(got, expected);
  EXPECT_EQ(device_traced, host_traced);
  // ids and positions of each forward uploaded; logits and traced tensors downloaded. Copied
  // within the memory: the shared block written by the second sequence (copy on write) and the
  // wanted rows, a run at a time (prefill: the 40 in one run; decode: tokens 0 and 6, two runs).
  EXPECT_EQ(checking.memory_.uploads, 4);
  EXPECT_GE(checking.memory_.downloads, 2 + static_cast<int>(device_traced.size()));
  EXPECT_EQ(checking.memory_.copies, 1 + 1 + 2);
  // The KV rows of a forward: one call for the keys and one for the values per layer.
  EXPECT_EQ(checking.memory_.row_stores, 2 * 2 * host_model->config.num_hidden_layers);
  std::filesystem::remove_all(folder);
}

}  // namespace
}  // namespace r1::model
