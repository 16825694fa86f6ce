// The model description in a Hugging Face config.json, for the Qwen2 and Llama architectures.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace r1::io {

/// Transformer families r1 runs. They differ only in where biases are and in their defaults.
enum class ModelArchitecture { qwen2, llama };

/// The config.json model_type spelling ("qwen2", "llama").
const char* architecture_name(ModelArchitecture architecture);

/// How rotary position frequencies are rescaled for longer contexts.
enum class RopeScalingType {
  none,    // inv_freq = theta^(-2i/d)
  linear,  // positions divided by factor
  llama3,  // Llama 3.1's piecewise frequency scaling
};

/// rope_scaling as transformers reads it; fields unused by the type keep their defaults.
struct RopeScaling {
  RopeScalingType type = RopeScalingType::none;
  double factor = 1.0;
  double low_freq_factor = 1.0;                       // llama3
  double high_freq_factor = 1.0;                      // llama3
  std::int64_t original_max_position_embeddings = 0;  // llama3
};

/// Everything the forward pass needs from config.json, validated and with transformers' defaults
/// applied.
struct ModelConfig {
  ModelArchitecture architecture = ModelArchitecture::qwen2;
  std::int64_t vocab_size = 0;
  std::int64_t hidden_size = 0;
  std::int64_t intermediate_size = 0;
  std::int64_t num_hidden_layers = 0;
  std::int64_t num_attention_heads = 0;
  std::int64_t num_key_value_heads = 0;  // default: num_attention_heads (no grouping)
  std::int64_t head_dim = 0;             // default: hidden_size / num_attention_heads
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  std::int64_t max_position_embeddings = 0;
  bool tie_word_embeddings = false;  // lm_head reuses embed_tokens
  bool qkv_bias = false;             // q/k/v projections have biases (always for qwen2)
  bool o_proj_bias = false;          // o_proj has a bias (llama attention_bias)
  bool mlp_bias = false;             // gate/up/down have biases (llama mlp_bias)
  std::optional<std::int64_t> bos_token_id;
  std::vector<std::int64_t> eos_token_ids;  // empty when the config names none
  std::string torch_dtype;                  // "bfloat16", "float16", "float32" or empty
};

/// Parses and validates config.json text. `origin` names it in errors (usually the path). Throws
/// Error(invalid_file) for malformed or inconsistent values and Error(unsupported) for other
/// architectures, rope scaling types, activations or sliding-window attention; messages name the
/// field, the value and what is supported.
ModelConfig parse_model_config(std::string_view json_text, const std::string& origin);

}  // namespace r1::io
