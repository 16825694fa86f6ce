// Keys and values of every layer for a fixed number of sequence slots, fp32.
// Layout per slot and layer: [ctx_size, n_kv_heads * head_dim], so one sequence's cache of one
// layer is contiguous from position 0 (what the attention op reads).
#pragma once

#include <cstdint>
#include <vector>

#include "io/hf_config.h"

namespace r1::model {

class KvCache {
 public:
  /// Allocates n_slots sequences of ctx_size positions. Throws Error(invalid_argument) when
  /// ctx_size exceeds the model's max_position_embeddings or is not positive.
  KvCache(const io::ModelConfig& config, std::int32_t n_slots, std::int32_t ctx_size);

  std::int32_t n_slots() const { return n_slots_; }
  std::int32_t ctx_size() const { return ctx_size_; }
  std::int64_t kv_dim() const { return kv_dim_; }

  /// [ctx_size, kv_dim] keys / values of (slot, layer).
  float* keys(std::int32_t slot, std::int64_t layer);
  float* values(std::int32_t slot, std::int64_t layer);

  /// Bytes held (for memory reports).
  std::size_t bytes() const { return storage_.size() * sizeof(float); }

 private:
  std::int64_t offset(std::int32_t slot, std::int64_t layer, int which) const;
  std::int64_t n_layers_;
  std::int64_t kv_dim_;
  std::int32_t n_slots_;
  std::int32_t ctx_size_;
  std::vector<float> storage_;
};

}  // namespace r1::model
