#include "model/hf_tensor_names.h"

namespace r1::model {

std::vector<ExpectedTensor> hf_checkpoint_tensors(const io::ModelConfig& config, io::DType dtype) {
  const std::int64_t hidden = config.hidden_size;
  const std::int64_t q_dim = config.num_attention_heads * config.head_dim;
  const std::int64_t kv_dim = config.num_key_value_heads * config.head_dim;
  const std::int64_t ff = config.intermediate_size;
  std::vector<ExpectedTensor> tensors;
  auto add = [&](std::string name, std::vector<std::int64_t> shape, TensorRole role) {
    tensors.push_back({io::TensorSpec{std::move(name), dtype, std::move(shape)}, role});
  };
  add("model.embed_tokens.weight", {config.vocab_size, hidden}, TensorRole::matrix);
  for (std::int64_t layer = 0; layer < config.num_hidden_layers; ++layer) {
    const std::string prefix = "model.layers." + std::to_string(layer) + ".";
    add(prefix + "input_layernorm.weight", {hidden}, TensorRole::norm);
    add(prefix + "self_attn.q_proj.weight", {q_dim, hidden}, TensorRole::matrix);
    if (config.qkv_bias) add(prefix + "self_attn.q_proj.bias", {q_dim}, TensorRole::bias);
    add(prefix + "self_attn.k_proj.weight", {kv_dim, hidden}, TensorRole::matrix);
    if (config.qkv_bias) add(prefix + "self_attn.k_proj.bias", {kv_dim}, TensorRole::bias);
    add(prefix + "self_attn.v_proj.weight", {kv_dim, hidden}, TensorRole::matrix);
    if (config.qkv_bias) add(prefix + "self_attn.v_proj.bias", {kv_dim}, TensorRole::bias);
    add(prefix + "self_attn.o_proj.weight", {hidden, q_dim}, TensorRole::matrix);
    if (config.o_proj_bias) add(prefix + "self_attn.o_proj.bias", {hidden}, TensorRole::bias);
    add(prefix + "post_attention_layernorm.weight", {hidden}, TensorRole::norm);
    add(prefix + "mlp.gate_proj.weight", {ff, hidden}, TensorRole::matrix);
    if (config.mlp_bias) add(prefix + "mlp.gate_proj.bias", {ff}, TensorRole::bias);
    add(prefix + "mlp.up_proj.weight", {ff, hidden}, TensorRole::matrix);
    if (config.mlp_bias) add(prefix + "mlp.up_proj.bias", {ff}, TensorRole::bias);
    add(prefix + "mlp.down_proj.weight", {hidden, ff}, TensorRole::matrix);
    if (config.mlp_bias) add(prefix + "mlp.down_proj.bias", {hidden}, TensorRole::bias);
  }
  add("model.norm.weight", {hidden}, TensorRole::norm);
  if (!config.tie_word_embeddings) {
    add("lm_head.weight", {config.vocab_size, hidden}, TensorRole::matrix);
  }
  return tensors;
}

}  // namespace r1::model
