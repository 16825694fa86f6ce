#include "model/transformer.h"

#include <algorithm>

#include "ops/reference_ops.h"
#include "ops/rope.h"
#include "r1/error.h"

namespace r1::model {
namespace {

ops::RopeScaling rope_scaling_of(const io::ModelConfig& config) {
  ops::RopeScaling scaling;
  switch (config.rope_scaling.type) {
    case io::RopeScalingType::none:
      scaling.kind = ops::RopeScaling::Kind::none;
      break;
    case io::RopeScalingType::linear:
      scaling.kind = ops::RopeScaling::Kind::linear;
      break;
    case io::RopeScalingType::llama3:
      scaling.kind = ops::RopeScaling::Kind::llama3;
      break;
  }
  scaling.factor = config.rope_scaling.factor;
  scaling.low_freq_factor = config.rope_scaling.low_freq_factor;
  scaling.high_freq_factor = config.rope_scaling.high_freq_factor;
  scaling.original_max_position_embeddings =
      static_cast<double>(config.rope_scaling.original_max_position_embeddings);
  return scaling;
}

// y = x @ W.T + b for n tokens.
void linear(const std::vector<float>& x, std::int64_t n, const ops::WeightMatrix& w,
            const std::vector<float>& bias, std::vector<float>& y) {
  y.resize(static_cast<std::size_t>(n * w.rows));
  ops::matmul_reference(x.data(), n, w, bias.empty() ? nullptr : bias.data(), y.data());
}

}  // namespace

Transformer::Transformer(const io::ModelConfig& config, ModelWeights weights)
    : config_(config),
      weights_(std::move(weights)),
      inv_freq_(ops::rope_inv_freq(config.head_dim, config.rope_theta, rope_scaling_of(config))) {}

void Transformer::check(const Batch& batch, const KvCache& cache) const {
  const std::size_t n = batch.tokens.size();
  if (batch.positions.size() != n || batch.slots.size() != n || batch.want_logits.size() != n) {
    throw Error(ErrorCode::invalid_argument, "batch arrays differ in length");
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (batch.tokens[i] < 0 || batch.tokens[i] >= config_.vocab_size) {
      throw Error(ErrorCode::invalid_argument, "token id " + std::to_string(batch.tokens[i]) +
                                                   " at batch index " + std::to_string(i) +
                                                   " is outside the vocabulary [0, " +
                                                   std::to_string(config_.vocab_size) + ")");
    }
    if (batch.positions[i] < 0 || batch.positions[i] >= cache.ctx_size()) {
      throw Error(ErrorCode::invalid_argument,
                  "position " + std::to_string(batch.positions[i]) + " is outside the context of " +
                      std::to_string(cache.ctx_size()) + " tokens; raise --ctx-size");
    }
    if (batch.slots[i] < 0 || batch.slots[i] >= cache.n_slots()) {
      throw Error(ErrorCode::invalid_argument, "sequence slot " + std::to_string(batch.slots[i]) +
                                                   " does not exist in the KV cache");
    }
  }
}

void Transformer::forward(const Batch& batch, KvCache& cache, std::vector<float>& logits) {
  check(batch, cache);
  const std::int64_t n = static_cast<std::int64_t>(batch.tokens.size());
  const std::int64_t hidden = config_.hidden_size;
  const std::int64_t n_heads = config_.num_attention_heads;
  const std::int64_t n_kv_heads = config_.num_key_value_heads;
  const std::int64_t head_dim = config_.head_dim;
  const std::int64_t q_dim = n_heads * head_dim;
  const std::int64_t kv_dim = n_kv_heads * head_dim;
  const float eps = static_cast<float>(config_.rms_norm_eps);

  // inputs_embeds = self.embed_tokens(input_ids)
  std::vector<float> x(static_cast<std::size_t>(n * hidden));
  for (std::int64_t t = 0; t < n; ++t) {
    for (std::int64_t i = 0; i < hidden; ++i) {
      x[t * hidden + i] = ops::weight_at(weights_.embed_tokens, batch.tokens[t], i);
    }
  }

  std::vector<float> normed(x.size()), q, k, v, attn(static_cast<std::size_t>(n * q_dim)), out,
      gate, up, act(static_cast<std::size_t>(n * config_.intermediate_size));
  for (std::int64_t l = 0; l < config_.num_hidden_layers; ++l) {
    const LayerWeights& layer = weights_.layers[static_cast<std::size_t>(l)];
    // hidden_states = self.input_layernorm(hidden_states)
    ops::rmsnorm_reference(x.data(), layer.input_norm.data(), n, hidden, eps, normed.data());
    // query/key/value_states = self.{q,k,v}_proj(hidden_states)
    linear(normed, n, layer.q_proj, layer.q_bias, q);
    linear(normed, n, layer.k_proj, layer.k_bias, k);
    linear(normed, n, layer.v_proj, layer.v_bias, v);
    // query_states, key_states = apply_rotary_pos_emb(query_states, key_states, cos, sin)
    for (std::int64_t t = 0; t < n; ++t) {
      ops::rope_reference(q.data() + t * q_dim, &batch.positions[t], 1, n_heads, head_dim,
                          inv_freq_.data());
      ops::rope_reference(k.data() + t * kv_dim, &batch.positions[t], 1, n_kv_heads, head_dim,
                          inv_freq_.data());
    }
    // key_states, value_states = past_key_values.update(key_states, value_states, layer_idx)
    for (std::int64_t t = 0; t < n; ++t) {
      float* keys = cache.keys(batch.slots[t], l) + batch.positions[t] * kv_dim;
      float* values = cache.values(batch.slots[t], l) + batch.positions[t] * kv_dim;
      std::copy_n(k.data() + t * kv_dim, kv_dim, keys);
      std::copy_n(v.data() + t * kv_dim, kv_dim, values);
    }
    // attn_output = softmax(q k^T / sqrt(d) + causal_mask) v, grouped-query
    for (std::int64_t t = 0; t < n; ++t) {
      const ops::AttentionShape shape{1, batch.positions[t] + 1, n_heads, n_kv_heads, head_dim};
      ops::attention_reference(q.data() + t * q_dim, cache.keys(batch.slots[t], l),
                               cache.values(batch.slots[t], l), &batch.positions[t], shape,
                               attn.data() + t * q_dim);
    }
    // attn_output = self.o_proj(attn_output); hidden_states = residual + hidden_states
    linear(attn, n, layer.o_proj, layer.o_bias, out);
    ops::add_reference(x.data(), out.data(), n * hidden);
    // hidden_states = self.post_attention_layernorm(hidden_states)
    ops::rmsnorm_reference(x.data(), layer.post_attention_norm.data(), n, hidden, eps,
                           normed.data());
    // down_proj(act_fn(gate_proj(x)) * up_proj(x)); hidden_states = residual + hidden_states
    linear(normed, n, layer.gate_proj, layer.gate_bias, gate);
    linear(normed, n, layer.up_proj, layer.up_bias, up);
    ops::swiglu_reference(gate.data(), up.data(), config_.intermediate_size, n,
                          config_.intermediate_size, act.data());
    linear(act, n, layer.down_proj, layer.down_bias, out);
    ops::add_reference(x.data(), out.data(), n * hidden);
  }

  // hidden_states = self.norm(hidden_states); logits = self.lm_head(hidden_states[wanted])
  std::vector<float> wanted;
  std::int64_t n_wanted = 0;
  for (std::int64_t t = 0; t < n; ++t) {
    if (!batch.want_logits[t]) continue;
    wanted.resize(static_cast<std::size_t>((n_wanted + 1) * hidden));
    ops::rmsnorm_reference(x.data() + t * hidden, weights_.final_norm.data(), 1, hidden, eps,
                           wanted.data() + n_wanted * hidden);
    ++n_wanted;
  }
  logits.resize(static_cast<std::size_t>(n_wanted * config_.vocab_size));
  if (n_wanted > 0) {
    ops::matmul_reference(wanted.data(), n_wanted, weights_.lm_head, nullptr, logits.data());
  }
}

}  // namespace r1::model
