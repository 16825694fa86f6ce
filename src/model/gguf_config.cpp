#include "model/gguf_config.h"

#include <string>

#include "r1/error.h"

namespace r1::model {

io::ModelConfig model_config_from_gguf(const io::GgufFile& file) {
  const io::GgufMetadata& meta = file.metadata();
  const std::string arch(file.architecture());
  io::ModelConfig config;
  if (arch == "qwen2") {
    config.architecture = io::ModelArchitecture::qwen2;
  } else if (arch == "llama") {
    config.architecture = io::ModelArchitecture::llama;
  } else {
    throw Error(ErrorCode::unsupported, file.origin() + ": general.architecture is '" + arch +
                                            "'; r1 runs qwen2 and llama models");
  }
  auto key = [&](const char* name) { return arch + "." + name; };
  auto count = [&](const char* name) {
    const auto value = static_cast<std::int64_t>(meta.get_uint(key(name)));
    if (value <= 0 || value > (std::int64_t{1} << 24)) {
      throw Error(ErrorCode::invalid_file, file.origin() + ": " + key(name) + " is " +
                                               std::to_string(value) + ", not a usable size");
    }
    return value;
  };
  config.num_hidden_layers = count("block_count");
  config.hidden_size = count("embedding_length");
  config.intermediate_size = count("feed_forward_length");
  config.num_attention_heads = count("attention.head_count");
  config.num_key_value_heads = meta.contains(key("attention.head_count_kv"))
                                   ? count("attention.head_count_kv")
                                   : config.num_attention_heads;
  config.head_dim = meta.contains(key("attention.key_length"))
                        ? count("attention.key_length")
                        : config.hidden_size / config.num_attention_heads;
  config.max_position_embeddings = count("context_length");
  config.rms_norm_eps = meta.get_float(key("attention.layer_norm_rms_epsilon"));
  config.rope_theta =
      meta.contains(key("rope.freq_base")) ? meta.get_float(key("rope.freq_base")) : 10000.0;
  if (config.num_attention_heads % config.num_key_value_heads != 0 || config.head_dim % 2 != 0) {
    throw Error(ErrorCode::invalid_file,
                file.origin() + ": " + std::to_string(config.num_attention_heads) +
                    " attention heads cannot share " + std::to_string(config.num_key_value_heads) +
                    " kv heads of dimension " + std::to_string(config.head_dim));
  }
  if (meta.contains(key("rope.scaling.type"))) {
    const std::string type(meta.get_string(key("rope.scaling.type")));
    if (type == "linear") {
      config.rope_scaling.type = io::RopeScalingType::linear;
      config.rope_scaling.factor = meta.get_float(key("rope.scaling.factor"));
    } else if (type != "none") {
      throw Error(ErrorCode::unsupported, file.origin() + ": " + key("rope.scaling.type") +
                                              " is '" + type + "'; r1 supports none and linear");
    }
  }
  const io::GgufTensorView* embed = file.find("token_embd.weight");
  if (embed == nullptr || embed->shape.size() != 2) {
    throw Error(ErrorCode::invalid_file, file.origin() + " has no 2-D token_embd.weight");
  }
  config.vocab_size = embed->shape[0];
  config.tie_word_embeddings = file.find("output.weight") == nullptr;
  config.qkv_bias = file.find("blk.0.attn_q.bias") != nullptr;
  config.o_proj_bias = file.find("blk.0.attn_output.bias") != nullptr;
  config.mlp_bias = file.find("blk.0.ffn_up.bias") != nullptr;
  if (config.architecture == io::ModelArchitecture::qwen2 && !config.qkv_bias) {
    throw Error(ErrorCode::invalid_file,
                file.origin() + ": a qwen2 model needs q/k/v biases (blk.0.attn_q.bias)");
  }
  if (meta.contains("tokenizer.ggml.bos_token_id"))
    config.bos_token_id = static_cast<std::int64_t>(meta.get_uint("tokenizer.ggml.bos_token_id"));
  for (const char* name : {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"}) {
    if (!meta.contains(name)) continue;
    const auto id = static_cast<std::int64_t>(meta.get_uint(name));
    if (config.eos_token_ids.empty() || config.eos_token_ids.front() != id)
      config.eos_token_ids.push_back(id);
  }
  return config;
}

}  // namespace r1::model
