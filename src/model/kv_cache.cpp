#include "model/kv_cache.h"

#include <cstring>
#include <string>

#include "core/half.h"
#include "r1/error.h"

namespace r1::model {

KvCache::KvCache(const io::ModelConfig& config, std::int32_t n_slots, std::int32_t ctx_size,
                 DType type)
    : n_layers_(config.num_hidden_layers),
      kv_dim_(config.num_key_value_heads * config.head_dim),
      n_slots_(n_slots),
      ctx_size_(ctx_size),
      type_(type) {
  if (ctx_size <= 0 || ctx_size > config.max_position_embeddings) {
    throw Error(ErrorCode::invalid_argument,
                "context size " + std::to_string(ctx_size) + " must be between 1 and the model's " +
                    "max_position_embeddings " + std::to_string(config.max_position_embeddings));
  }
  if (n_slots <= 0) throw Error(ErrorCode::invalid_argument, "a KV cache needs at least one slot");
  if (is_quantized(type)) {
    throw Error(ErrorCode::invalid_argument,
                std::string("the KV cache holds f32, bf16 or f16, not ") + dtype_cli_name(type));
  }
  storage_.resize(static_cast<std::size_t>(n_slots) * n_layers_ * 2 * ctx_size * kv_dim_ *
                  dtype_size(type));
}

std::size_t KvCache::offset(std::int32_t slot, std::int64_t layer, int which) const {
  return static_cast<std::size_t>(
             ((static_cast<std::int64_t>(slot) * n_layers_ + layer) * 2 + which) * ctx_size_ *
             kv_dim_) *
         dtype_size(type_);
}

void* KvCache::keys(std::int32_t slot, std::int64_t layer) {
  return storage_.data() + offset(slot, layer, 0);
}

void* KvCache::values(std::int32_t slot, std::int64_t layer) {
  return storage_.data() + offset(slot, layer, 1);
}

void KvCache::store(std::int32_t slot, std::int64_t layer, std::int32_t position, const float* key,
                    const float* value) {
  const std::size_t row = static_cast<std::size_t>(position * kv_dim_) * dtype_size(type_);
  for (int which = 0; which < 2; ++which) {
    const float* from = which == 0 ? key : value;
    std::uint8_t* to = storage_.data() + offset(slot, layer, which) + row;
    if (type_ == DType::f32) {
      std::memcpy(to, from, static_cast<std::size_t>(kv_dim_) * 4);
      continue;
    }
    auto* half = reinterpret_cast<std::uint16_t*>(to);
    for (std::int64_t i = 0; i < kv_dim_; ++i)
      half[i] = type_ == DType::bf16 ? f32_to_bf16(from[i]) : f32_to_f16(from[i]);
  }
}

void KvCache::copy_positions(std::int32_t from_slot, std::int32_t to_slot, std::int32_t begin,
                             std::int32_t end) {
  if (from_slot < 0 || from_slot >= n_slots_ || to_slot < 0 || to_slot >= n_slots_ || begin < 0 ||
      end > ctx_size_ || begin > end) {
    throw Error(ErrorCode::invalid_argument,
                "KV copy of positions [" + std::to_string(begin) + ", " + std::to_string(end) +
                    ") from slot " + std::to_string(from_slot) + " to slot " +
                    std::to_string(to_slot) + " is out of range");
  }
  if (from_slot == to_slot || begin == end) return;
  const std::size_t row = static_cast<std::size_t>(kv_dim_) * dtype_size(type_);
  for (std::int64_t layer = 0; layer < n_layers_; ++layer) {
    for (int which = 0; which < 2; ++which) {
      std::memcpy(storage_.data() + offset(to_slot, layer, which) + row * begin,
                  storage_.data() + offset(from_slot, layer, which) + row * begin,
                  row * static_cast<std::size_t>(end - begin));
    }
  }
}

}  // namespace r1::model
