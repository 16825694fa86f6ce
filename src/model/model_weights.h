// The weights of a Qwen2 / Llama checkpoint bound by name to the places the forward pass reads
// them, with every tensor's name, dtype and shape checked. Matrices stay views into the mapped
// files; q/k/v and gate/up are fused into one linear layer each (stacked views, no copy); small
// vectors (norm weights, biases) are converted to fp32 once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/hf_config.h"
#include "model/weight_source.h"
#include "ops/rope.h"
#include "ops/weights.h"

namespace r1::model {

/// Bytes on a 64-byte boundary (cache lines, 512-bit loads), for matrices made at load; with
/// huge_pages, on a 2 MiB boundary with Linux asked for transparent huge pages (madvise), so
/// that streaming over them crosses a page every 2 MiB, not every 4 KiB (fewer TLB misses, and
/// the hardware prefetchers stop at page boundaries).
class AlignedBytes {
 public:
  explicit AlignedBytes(std::size_t size, bool huge_pages = false);
  std::uint8_t* data() { return data_.get(); }
  const std::uint8_t* data() const { return data_.get(); }
  std::size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(std::uint8_t* p) const;
  };
  std::unique_ptr<std::uint8_t[], Free> data_;
  std::size_t size_ = 0;
};

struct LayerWeights {
  std::vector<float> input_norm;  // [hidden]
  ops::Linear qkv_proj;           // [q_dim + 2 kv_dim, hidden]: q_proj | k_proj | v_proj (+ biases)
  ops::Linear o_proj;             // [hidden, q_dim]
  std::vector<float> post_attention_norm;  // [hidden]
  ops::Linear gate_up_proj;                // [2 intermediate, hidden]: gate_proj | up_proj
  ops::Linear down_proj;                   // [hidden, intermediate]
};

struct ModelWeights {
  ops::WeightMatrix embed_tokens;  // [vocab, hidden]
  std::vector<LayerWeights> layers;
  std::vector<float> final_norm;                // [hidden]
  ops::Linear lm_head;                          // [vocab, hidden]; the embedding when tied
  std::vector<std::string> unexpected_tensors;  // in the files but not used (reported, not fatal)
  ops::RopeLayout rope_layout = ops::RopeLayout::rotate_half;  // interleaved for llama GGUF q/k
  std::vector<float> rope_freq_factors;  // [head_dim / 2] inv_freq divisors (llama3 GGUF), or empty
  std::vector<std::vector<std::uint8_t>>
      owned;                          // matrices quantized at load (the views point here)
  std::vector<AlignedBytes> packed;  // matrices repacked for the CPU kernels (pack_weights.h)

  /// Calls fn(part) for every part of the layer matrices and the lm_head (not the embedding).
  template <typename Fn>
  void for_each_matrix(Fn&& fn) {
    each_matrix(*this, fn);
  }
  template <typename Fn>
  void for_each_matrix(Fn&& fn) const {
    each_matrix(*this, fn);
  }

  /// Bytes of weights one decode step reads (every layer matrix and the lm_head; one embedding row
  /// is negligible).
  std::size_t bytes_per_token() const;

  /// The dtypes of those matrices, most bytes first, joined by '+' ("q5_k+q6_k" for llama.cpp's
  /// Q5_K_M, "bf16" for a checkpoint): what r1 bench names the model by.
  std::string matrix_types() const;

 private:
  template <typename Self, typename Fn>
  static void each_matrix(Self& self, Fn& fn) {
    for (auto& layer : self.layers) {
      for (auto* linear : {&layer.qkv_proj, &layer.o_proj, &layer.gate_up_proj, &layer.down_proj}) {
        for (auto& part : linear->parts) fn(part);
      }
    }
    for (auto& part : self.lm_head.parts) fn(part);
  }
};

/// Binds and checks every tensor the config implies. Throws Error(invalid_file) naming the tensor
/// with expected vs actual dtype and dims, or listing the missing tensors.
ModelWeights bind_weights(const WeightSource& source, const io::ModelConfig& config);

}  // namespace r1::model
