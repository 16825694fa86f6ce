#include "model/kv_cache.h"

#include "r1/error.h"

namespace r1::model {

KvCache::KvCache(const io::ModelConfig& config, std::int32_t n_slots, std::int32_t ctx_size)
    : n_layers_(config.num_hidden_layers),
      kv_dim_(config.num_key_value_heads * config.head_dim),
      n_slots_(n_slots),
      ctx_size_(ctx_size) {
  if (ctx_size <= 0 || ctx_size > config.max_position_embeddings) {
    throw Error(ErrorCode::invalid_argument,
                "context size " + std::to_string(ctx_size) + " must be between 1 and the model's " +
                    "max_position_embeddings " + std::to_string(config.max_position_embeddings));
  }
  if (n_slots <= 0) throw Error(ErrorCode::invalid_argument, "a KV cache needs at least one slot");
  storage_.resize(static_cast<std::size_t>(n_slots) * n_layers_ * 2 * ctx_size * kv_dim_);
}

std::int64_t KvCache::offset(std::int32_t slot, std::int64_t layer, int which) const {
  return ((static_cast<std::int64_t>(slot) * n_layers_ + layer) * 2 + which) * ctx_size_ * kv_dim_;
}

float* KvCache::keys(std::int32_t slot, std::int64_t layer) {
  return storage_.data() + offset(slot, layer, 0);
}

float* KvCache::values(std::int32_t slot, std::int64_t layer) {
  return storage_.data() + offset(slot, layer, 1);
}

}  // namespace r1::model
