// The Qwen2 / Llama decoder forward pass, written once against the ops, in the order of
// transformers' modeling_qwen2.py / modeling_llama.py.
#pragma once

#include <cstdint>
#include <vector>

#include "io/hf_config.h"
#include "model/kv_cache.h"
#include "model/model_weights.h"

namespace r1::model {

/// Tokens of one forward call. Several sequences may share it (continuous batching): each token
/// carries its position and the KV-cache slot of its sequence. Prefill is a run of consecutive
/// positions, decode a single token per sequence.
struct Batch {
  std::vector<std::int32_t> tokens;
  std::vector<std::int32_t> positions;
  std::vector<std::int32_t> slots;
  std::vector<bool> want_logits;  // which tokens' next-token logits to return

  void add(std::int32_t token, std::int32_t position, std::int32_t slot, bool logits) {
    tokens.push_back(token);
    positions.push_back(position);
    slots.push_back(slot);
    want_logits.push_back(logits);
  }
};

class Transformer {
 public:
  Transformer(const io::ModelConfig& config, ModelWeights weights);

  /// Runs the batch, storing its keys and values in `cache`, and writes the logits of every token
  /// with want_logits, in batch order, to `logits` ([n_wanted, vocab_size]). Tokens of one slot
  /// must come in increasing positions, and a slot's earlier positions must already be cached.
  /// Throws Error(invalid_argument) for an id, position or slot out of range.
  void forward(const Batch& batch, KvCache& cache, std::vector<float>& logits);

  const io::ModelConfig& config() const { return config_; }
  const ModelWeights& weights() const { return weights_; }

 private:
  void check(const Batch& batch, const KvCache& cache) const;

  io::ModelConfig config_;
  ModelWeights weights_;
  std::vector<float> inv_freq_;
};

}  // namespace r1::model
