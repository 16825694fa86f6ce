#include "model/transformer.h"

#include <algorithm>
#include <limits>
#include <string>

#include "ops/rope.h"
#include "r1/error.h"

namespace r1::model {

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

namespace {

std::size_t buffer(std::int64_t width) {
  return static_cast<std::size_t>(Transformer::kMaxChunkTokens * width);
}

}  // namespace

Transformer::Transformer(const io::ModelConfig& config, ModelWeights weights,
                         std::unique_ptr<ops::Backend> backend)
    : config_(config),
      weights_(std::move(weights)),
      backend_(std::move(backend)),
      inv_freq_(ops::rope_inv_freq(config.head_dim, config.rope_theta, rope_scaling_of(config))) {
  // llama.cpp's rope_freqs divide the frequencies (Llama 3.1 scaling stored in a GGUF file).
  for (std::size_t i = 0; i < weights_.rope_freq_factors.size() && i < inv_freq_.size(); ++i)
    inv_freq_[i] /= weights_.rope_freq_factors[i];
  const std::int64_t q_dim = config.num_attention_heads * config.head_dim;
  const std::int64_t kv_dim = config.num_key_value_heads * config.head_dim;
  ops::Memory& memory = backend_->memory();
  ws_.x = memory.allocate_floats(buffer(config.hidden_size));
  ws_.normed = memory.allocate_floats(buffer(config.hidden_size));
  ws_.qkv = memory.allocate_floats(buffer(q_dim + 2 * kv_dim));
  ws_.attn = memory.allocate_floats(buffer(q_dim));
  ws_.out = memory.allocate_floats(buffer(config.hidden_size));
  ws_.gate_up = memory.allocate_floats(buffer(2 * config.intermediate_size));
  ws_.act = memory.allocate_floats(buffer(config.intermediate_size));
  ws_.wanted = memory.allocate_floats(buffer(config.hidden_size));
  if (!memory.host_visible()) {
    ws_.ids = memory.allocate(kMaxChunkTokens * sizeof(std::int32_t));
    ws_.positions = memory.allocate(kMaxChunkTokens * sizeof(std::int32_t));
  }
  ws_.calls.reserve(kMaxChunkTokens);
}

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

void Transformer::reserve(const Batch& batch, KvCache& cache) const {
  // Each slot's positions of this batch, [first, last], become writable before anything runs.
  std::vector<std::pair<std::int32_t, std::int32_t>> range(
      static_cast<std::size_t>(cache.n_slots()), {std::numeric_limits<std::int32_t>::max(), -1});
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto& [first, last] = range[static_cast<std::size_t>(batch.slots[i])];
    first = std::min(first, batch.positions[i]);
    last = std::max(last, batch.positions[i]);
  }
  for (std::int32_t slot = 0; slot < cache.n_slots(); ++slot) {
    const auto [first, last] = range[static_cast<std::size_t>(slot)];
    if (last < 0) continue;
    if (!cache.reserve(slot, first, last + 1)) {
      throw Error(ErrorCode::limit_exceeded,
                  "the KV cache has no free blocks for positions " + std::to_string(first) + ".." +
                      std::to_string(last) + " of sequence slot " + std::to_string(slot) + " (" +
                      std::to_string(cache.n_blocks()) + " blocks of " +
                      std::to_string(KvCache::kBlockTokens) +
                      " positions in all); give the cache more room");
    }
  }
}

void Transformer::forward(const Batch& batch, KvCache& cache, std::vector<float>& logits) {
  check(batch, cache);
  reserve(batch, cache);
  const auto n_wanted = static_cast<std::size_t>(
      std::count(batch.want_logits.begin(), batch.want_logits.end(), true));
  logits.resize(n_wanted * static_cast<std::size_t>(config_.vocab_size));
  const auto n = static_cast<std::int64_t>(batch.size());
  for (std::int64_t first = 0; first < n; first += kMaxChunkTokens) {
    forward_chunk(batch, first, std::min(kMaxChunkTokens, n - first), cache, logits);
  }
}

void Transformer::emit(std::string_view name, std::int64_t first, std::int64_t n, std::int64_t dim,
                       const float* data) {
  if (!trace_) return;
  ops::Memory& memory = backend_->memory();
  if (!memory.host_visible()) {
    ws_.traced.resize(static_cast<std::size_t>(n * dim));
    memory.download(ws_.traced.data(), data, ws_.traced.size() * sizeof(float));
    data = ws_.traced.data();
  }
  trace_(TraceTensor{name, first, n, dim, data});
}

const std::int32_t* Transformer::to_backend(const std::int32_t* host, std::int64_t n,
                                            std::shared_ptr<std::uint8_t>& buffer) {
  ops::Memory& memory = backend_->memory();
  if (memory.host_visible()) return host;
  memory.upload(buffer.get(), host, static_cast<std::size_t>(n) * sizeof(std::int32_t));
  return reinterpret_cast<const std::int32_t*>(buffer.get());
}

// Logits of the chunk's wanted tokens go to `logits` after those of earlier chunks.
void Transformer::forward_chunk(const Batch& batch, std::int64_t first, std::int64_t n,
                                KvCache& cache, std::vector<float>& logits) {
  ops::Backend& be = *backend_;
  const std::int64_t hidden = config_.hidden_size;
  const std::int64_t n_heads = config_.num_attention_heads;
  const std::int64_t n_kv_heads = config_.num_key_value_heads;
  const std::int64_t head_dim = config_.head_dim;
  const std::int64_t q_dim = n_heads * head_dim;
  const std::int64_t kv_dim = n_kv_heads * head_dim;
  const std::int64_t qkv_dim = q_dim + 2 * kv_dim;
  const std::int64_t ff = config_.intermediate_size;
  const float eps = static_cast<float>(config_.rms_norm_eps);
  ops::Memory& memory = be.memory();
  const std::int32_t* host_positions = batch.positions.data() + first;
  const std::int32_t* slots = batch.slots.data() + first;
  // The ops read ids and positions in the backend's memory; the cache bookkeeping on the host.
  const std::int32_t* ids = to_backend(batch.tokens.data() + first, n, ws_.ids);
  const std::int32_t* positions = to_backend(host_positions, n, ws_.positions);
  float* x = ws_.x.get();              // [n, hidden] residual stream
  float* normed = ws_.normed.get();    // [n, hidden]
  float* qkv = ws_.qkv.get();          // [n, q_dim + 2 kv_dim] = q | k | v per token
  float* attn = ws_.attn.get();        // [n, q_dim]
  float* out = ws_.out.get();          // [n, hidden]
  float* gate_up = ws_.gate_up.get();  // [n, 2 ff] = gate | up per token
  float* act = ws_.act.get();          // [n, ff]

  // inputs_embeds = self.embed_tokens(input_ids)
  be.embed(weights_.embed_tokens, ids, n, x);

  // hidden_states = self.input_layernorm(hidden_states)   (layer 0's; the later layers' come
  // with the residual add before them)
  be.rmsnorm(x, weights_.layers.front().input_norm.data(), n, hidden, eps, normed);
  for (std::int64_t l = 0; l < config_.num_hidden_layers; ++l) {
    const LayerWeights& layer = weights_.layers[static_cast<std::size_t>(l)];
    const std::string prefix = trace_ ? "layer." + std::to_string(l) + "." : std::string();
    // query/key/value_states = self.{q,k,v}_proj(hidden_states)   (one fused product)
    be.linear(normed, n, layer.qkv_proj, qkv);
    // query_states, key_states = apply_rotary_pos_emb(query_states, key_states, cos, sin)
    // (one call: the key heads follow the query heads in each row, and both turn by the same
    // angles)
    be.rope(qkv, qkv_dim, positions, n, n_heads + n_kv_heads, head_dim, inv_freq_.data(),
            weights_.rope_layout);
    // key_states, value_states = past_key_values.update(key_states, value_states, layer_idx)
    cache.store_rows(l, std::span(slots, static_cast<std::size_t>(n)),
                     std::span(host_positions, static_cast<std::size_t>(n)), qkv + q_dim,
                     qkv + q_dim + kv_dim, qkv_dim);
    // attn_output = softmax(q k^T / sqrt(d) + causal_mask) v, grouped-query; one call per run of
    // tokens of the same sequence
    ws_.calls.clear();
    for (std::int64_t t = 0; t < n;) {
      std::int64_t end = t + 1;
      while (end < n && slots[end] == slots[t] &&
             host_positions[end] == host_positions[end - 1] + 1)
        ++end;
      ops::AttentionCall call;
      call.q = qkv + t * qkv_dim;
      call.k_pages = cache.key_pages(slots[t], l);
      call.v_pages = cache.value_pages(slots[t], l);
      call.page_rows = KvCache::kBlockTokens;
      call.kv_type = cache.type();
      call.q_positions = positions + t;
      call.out = attn + t * q_dim;
      call.shape = {end - t, host_positions[end - 1] + 1, n_heads, n_kv_heads, head_dim, qkv_dim,
                    q_dim};
      ws_.calls.push_back(call);
      t = end;
    }
    be.attention(ws_.calls);
    // attn_output = self.o_proj(attn_output)
    be.linear(attn, n, layer.o_proj, out);
    emit(prefix + "attn_out", first, n, hidden, out);
    // hidden_states = residual + hidden_states
    // hidden_states = self.post_attention_layernorm(hidden_states)   (one call)
    be.add_rmsnorm(x, out, layer.post_attention_norm.data(), n, hidden, eps, normed);
    // down_proj(act_fn(gate_proj(x)) * up_proj(x))   (gate and up in one fused product)
    be.linear(normed, n, layer.gate_up_proj, gate_up);
    be.swiglu(gate_up, n, ff, act);
    be.linear(act, n, layer.down_proj, out);
    // hidden_states = residual + hidden_states, and the next layer's input_layernorm with it
    if (l + 1 < config_.num_hidden_layers) {
      const LayerWeights& next = weights_.layers[static_cast<std::size_t>(l + 1)];
      be.add_rmsnorm(x, out, next.input_norm.data(), n, hidden, eps, normed);
    } else {
      be.add(x, out, n * hidden);
    }
    emit(prefix + "out", first, n, hidden, x);
  }

  // hidden_states = self.norm(hidden_states); logits = self.lm_head(hidden_states[wanted])
  // The wanted rows gathered, one copy per run of consecutive wanted tokens (a whole prompt
  // scored for perplexity is one copy).
  std::int64_t n_wanted = 0;
  for (std::int64_t t = 0; t < n;) {
    if (!batch.want_logits[static_cast<std::size_t>(first + t)]) {
      ++t;
      continue;
    }
    std::int64_t end = t + 1;
    while (end < n && batch.want_logits[static_cast<std::size_t>(first + end)]) ++end;
    memory.copy(normed + n_wanted * hidden, x + t * hidden,
                static_cast<std::size_t>((end - t) * hidden) * sizeof(float));
    n_wanted += end - t;
    t = end;
  }
  if (n_wanted == 0) return;
  be.rmsnorm(normed, weights_.final_norm.data(), n_wanted, hidden, eps, ws_.wanted.get());
  emit("norm.out", first, n_wanted, hidden, ws_.wanted.get());
  std::int64_t earlier = 0;
  for (std::int64_t t = 0; t < first; ++t)
    earlier += batch.want_logits[static_cast<std::size_t>(t)];
  float* chunk_logits = logits.data() + earlier * config_.vocab_size;
  if (memory.host_visible()) {
    be.linear(ws_.wanted.get(), n_wanted, weights_.lm_head, chunk_logits);
    return;
  }
  // Elsewhere the logits are computed there and copied out (sized for the largest chunk seen).
  const auto floats = static_cast<std::size_t>(n_wanted * config_.vocab_size);
  if (ws_.logits_floats < floats) {
    ws_.logits = memory.allocate_floats(floats);
    ws_.logits_floats = floats;
  }
  be.linear(ws_.wanted.get(), n_wanted, weights_.lm_head, ws_.logits.get());
  memory.download(chunk_logits, ws_.logits.get(), floats * sizeof(float));
}

}  // namespace r1::model
