// The Qwen2 / Llama decoder forward pass, written once against the backend ops, in the order of
// transformers' modeling_qwen2.py / modeling_llama.py.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "io/hf_config.h"
#include "model/kv_cache.h"
#include "model/model_weights.h"
#include "ops/backend.h"

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
  std::size_t size() const { return tokens.size(); }
};

/// A named intermediate of the forward pass, for comparing with a reference dump: `name` is
/// "layer.N.attn_out" (o_proj output), "layer.N.out" (hidden state after layer N, what
/// transformers' output_hidden_states[N + 1] holds before the last layer) or "norm.out" (the
/// final norm of the tokens whose logits are wanted). `data` is [n_tokens, dim] for the tokens
/// first_token .. first_token + n_tokens of the batch (for "norm.out": of its wanted tokens).
struct TraceTensor {
  std::string_view name;
  std::int64_t first_token = 0;
  std::int64_t n_tokens = 0;
  std::int64_t dim = 0;
  const float* data = nullptr;
};
using TraceFn = std::function<void(const TraceTensor&)>;

/// The rope frequency scaling of a config, as the rope op takes it.
ops::RopeScaling rope_scaling_of(const io::ModelConfig& config);

class Transformer {
 public:
  /// Tokens computed together; longer batches are run in chunks of this many, so the activation
  /// buffers stay small (about 100 KB per token for the 1.5B model).
  static constexpr std::int64_t kMaxChunkTokens = 512;

  Transformer(const io::ModelConfig& config, ModelWeights weights,
              std::unique_ptr<ops::Backend> backend);

  /// Runs the batch, storing its keys and values in `cache`, and writes the logits of every token
  /// with want_logits, in batch order, to `logits` ([n_wanted, vocab_size]). Tokens of one slot
  /// must come in increasing positions, and a slot's earlier positions must already be cached.
  /// Throws Error(invalid_argument) for an id, position or slot out of range.
  void forward(const Batch& batch, KvCache& cache, std::vector<float>& logits);

  /// Calls `trace` with the named intermediates of every later forward (empty: none).
  void set_trace(TraceFn trace) { trace_ = std::move(trace); }

  const io::ModelConfig& config() const { return config_; }
  const ModelWeights& weights() const { return weights_; }
  ops::Backend& backend() { return *backend_; }

 private:
  void check(const Batch& batch, const KvCache& cache) const;
  void reserve(const Batch& batch, KvCache& cache) const;
  void forward_chunk(const Batch& batch, std::int64_t first, std::int64_t n, KvCache& cache,
                     std::vector<float>& logits);
  void emit(std::string_view name, std::int64_t first, std::int64_t n, std::int64_t dim,
            const float* data);
  // The chunk's int32 values in the backend's memory (a copy in `buffer` unless host-visible).
  const std::int32_t* to_backend(const std::int32_t* host, std::int64_t n,
                                 std::shared_ptr<std::uint8_t>& buffer);

  io::ModelConfig config_;
  ModelWeights weights_;
  std::unique_ptr<ops::Backend> backend_;
  std::vector<float> inv_freq_;
  TraceFn trace_;

  // Activations of one chunk, allocated once in the backend's memory: [kMaxChunkTokens, width]
  // floats each; ids and positions hold the chunk's token ids and positions there when that
  // memory is not the host's (else the batch's own arrays are passed).
  struct Workspace {
    std::shared_ptr<float> x, normed, qkv, attn, out, gate_up, act;
    std::shared_ptr<std::uint8_t> ids, positions;
    std::vector<ops::AttentionCall> calls;
    std::shared_ptr<float> wanted;  // final-normed rows of the tokens whose logits are wanted
    std::shared_ptr<float> logits;  // [n_wanted, vocab] when the memory is not the host's
    std::size_t logits_floats = 0;
    std::vector<float> traced;  // a traced tensor copied to the host
  } ws_;
};

}  // namespace r1::model
