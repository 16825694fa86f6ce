// Keys and values of every layer for a fixed number of sequence slots, in f32, bf16 or f16.
// Layout per slot and layer: [ctx_size, n_kv_heads * head_dim], so one sequence's cache of one
// layer is contiguous from position 0 (what the attention op reads).
#pragma once

#include <cstdint>
#include <vector>

#include "core/dtype.h"
#include "io/hf_config.h"

namespace r1::model {

class KvCache {
 public:
  /// Allocates n_slots sequences of ctx_size positions of `type` (f32, bf16 or f16). Throws
  /// Error(invalid_argument) when ctx_size exceeds the model's max_position_embeddings or is not
  /// positive, or for another type.
  KvCache(const io::ModelConfig& config, std::int32_t n_slots, std::int32_t ctx_size,
          DType type = DType::f32);

  std::int32_t n_slots() const { return n_slots_; }
  std::int32_t ctx_size() const { return ctx_size_; }
  std::int64_t kv_dim() const { return kv_dim_; }
  DType type() const { return type_; }

  /// [ctx_size, kv_dim] keys / values of (slot, layer), elements of type().
  void* keys(std::int32_t slot, std::int64_t layer);
  void* values(std::int32_t slot, std::int64_t layer);

  /// Stores one position's key and value rows (fp32, converted to type()).
  void store(std::int32_t slot, std::int64_t layer, std::int32_t position, const float* key,
             const float* value);

  /// Copies the keys and values of positions [begin, end) of every layer from one slot to
  /// another (n > 1 completions of one prompt compute it once).
  void copy_positions(std::int32_t from_slot, std::int32_t to_slot, std::int32_t begin,
                      std::int32_t end);

  /// Bytes held (for memory reports).
  std::size_t bytes() const { return storage_.size(); }

 private:
  std::size_t offset(std::int32_t slot, std::int64_t layer, int which) const;
  std::int64_t n_layers_;
  std::int64_t kv_dim_;
  std::int32_t n_slots_;
  std::int32_t ctx_size_;
  DType type_;
  std::vector<std::uint8_t> storage_;
};

/// The cache type a model computes with unless told otherwise: its matrices' element type (f32,
/// bf16 or f16, as transformers keeps a model's cache in its dtype), f16 for quantized models (as
/// llama.cpp does).
inline DType default_kv_type(DType matrix_type) {
  return is_quantized(matrix_type) ? DType::f16 : matrix_type;
}

}  // namespace r1::model
