#include "io/hf_config.h"

#include <nlohmann/json.hpp>

#include "io/json_fields.h"
#include "r1/error.h"

namespace r1::io {
namespace {

using nlohmann::json;
namespace jf = json_fields;

constexpr const char* kSupportedTypes = "qwen2, llama";
constexpr const char* kSupportedArchitectures = "Qwen2ForCausalLM, LlamaForCausalLM";
// Far above any real model; keeps size arithmetic downstream (products of two sizes) in range.
constexpr std::int64_t kMaxDimension = std::int64_t(1) << 24;

[[noreturn]] void unsupported(const std::string& origin, const std::string& what) {
  throw Error(ErrorCode::unsupported, origin + ": " + what);
}

ModelArchitecture parse_architecture(const json& config, const std::string& origin) {
  const std::optional<std::string> model_type = jf::get_string(config, "model_type", origin);
  if (!model_type) {
    throw Error(ErrorCode::invalid_file,
                origin + ": no \"model_type\" field (supported: " + kSupportedTypes + ")");
  }
  ModelArchitecture architecture;
  if (*model_type == "qwen2") {
    architecture = ModelArchitecture::qwen2;
  } else if (*model_type == "llama") {
    architecture = ModelArchitecture::llama;
  } else {
    unsupported(origin,
                "model_type '" + *model_type + "' is not supported; supported: " + kSupportedTypes);
  }
  const auto architectures = config.find("architectures");
  if (architectures != config.end() && !architectures->is_null()) {
    if (!architectures->is_array()) {
      jf::fail(origin, "architectures", "must be a list of class names", *architectures);
    }
    for (const json& name : *architectures) {
      if (!name.is_string()) {
        jf::fail(origin, "architectures", "must be a list of class names", *architectures);
      }
      const std::string text = name.get<std::string>();
      if (text != "Qwen2ForCausalLM" && text != "LlamaForCausalLM") {
        unsupported(origin, "architecture '" + text +
                                "' is not supported; supported: " + kSupportedArchitectures);
      }
    }
  }
  return architecture;
}

// rope_scaling (transformers 4) or rope_parameters (transformers 5); the type may be spelled
// "rope_type" or, in older files, "type".
RopeScaling parse_rope_scaling(const json& config, const std::string& origin) {
  RopeScaling scaling;
  const char* field = config.contains("rope_parameters") ? "rope_parameters" : "rope_scaling";
  const auto it = config.find(field);
  if (it == config.end() || it->is_null()) return scaling;
  if (!it->is_object()) jf::fail(origin, field, "must be an object or null", *it);
  const json& rope = *it;
  std::optional<std::string> type = jf::get_string(rope, "rope_type", origin);
  if (!type) type = jf::get_string(rope, "type", origin);
  if (!type || *type == "default") {
    if (rope.contains("factor")) jf::fail(origin, field, "has a factor but no rope_type", rope);
    return scaling;
  }
  const std::optional<double> partial = jf::get_number(rope, "partial_rotary_factor", origin);
  if (partial && *partial != 1.0) {
    unsupported(origin, "partial rotary embeddings (partial_rotary_factor " +
                            std::to_string(*partial) + ") are not implemented");
  }
  auto required_number = [&](const char* name) {
    const std::optional<double> value = jf::get_number(rope, name, origin);
    if (!value || *value <= 0) {
      jf::fail(origin, std::string(field) + "." + name, "must be a positive number",
               rope.contains(name) ? rope.at(name) : json());
    }
    return *value;
  };
  if (*type == "linear") {
    scaling.type = RopeScalingType::linear;
    scaling.factor = required_number("factor");
  } else if (*type == "llama3") {
    scaling.type = RopeScalingType::llama3;
    scaling.factor = required_number("factor");
    scaling.low_freq_factor = required_number("low_freq_factor");
    scaling.high_freq_factor = required_number("high_freq_factor");
    const std::optional<std::int64_t> original =
        jf::get_int(rope, "original_max_position_embeddings", origin);
    if (!original || *original <= 0) {
      jf::fail(origin, std::string(field) + ".original_max_position_embeddings",
               "must be a positive integer",
               rope.contains("original_max_position_embeddings")
                   ? rope.at("original_max_position_embeddings")
                   : json());
    }
    scaling.original_max_position_embeddings = *original;
    if (scaling.high_freq_factor <= scaling.low_freq_factor) {
      jf::fail(origin, std::string(field) + ".high_freq_factor",
               "must be larger than low_freq_factor", rope);
    }
  } else {
    unsupported(origin, "rope scaling type '" + *type +
                            "' is not implemented; supported: none, linear, llama3");
  }
  return scaling;
}

std::int64_t required_size(const json& config, const char* field, const std::string& origin) {
  const std::optional<std::int64_t> value = jf::get_int(config, field, origin);
  if (!value) {
    throw Error(ErrorCode::invalid_file, origin + ": required field '" + field + "' is missing");
  }
  if (*value <= 0 || *value > kMaxDimension) {
    jf::fail(origin, field, "must be between 1 and " + std::to_string(kMaxDimension), *value);
  }
  return *value;
}

std::int64_t optional_size(const json& config, const char* field, std::int64_t fallback,
                           const std::string& origin) {
  if (!jf::get_int(config, field, origin)) return fallback;
  return required_size(config, field, origin);
}

void check_token_ids(const std::vector<std::int64_t>& ids, const char* field,
                     const ModelConfig& model, const std::string& origin) {
  for (std::int64_t id : ids) {
    if (id >= model.vocab_size) {
      jf::fail(origin, field,
               "names a token id outside the vocabulary of " + std::to_string(model.vocab_size),
               id);
    }
  }
}

}  // namespace

const char* architecture_name(ModelArchitecture architecture) {
  switch (architecture) {
    case ModelArchitecture::qwen2:
      return "qwen2";
    case ModelArchitecture::llama:
      return "llama";
  }
  return "?";
}

ModelConfig parse_model_config(std::string_view json_text, const std::string& origin) {
  const json config = jf::parse_object(json_text, origin);
  ModelConfig model;
  model.architecture = parse_architecture(config, origin);
  const bool is_llama = model.architecture == ModelArchitecture::llama;

  const std::optional<std::string> activation = jf::get_string(config, "hidden_act", origin);
  if (activation && *activation != "silu") {
    unsupported(origin, "hidden_act '" + *activation + "' is not implemented; supported: silu");
  }
  if (jf::get_bool(config, "use_sliding_window", origin).value_or(false)) {
    unsupported(origin, "sliding-window attention is not implemented (use_sliding_window is true)");
  }

  model.vocab_size = required_size(config, "vocab_size", origin);
  model.hidden_size = required_size(config, "hidden_size", origin);
  model.intermediate_size = required_size(config, "intermediate_size", origin);
  model.num_hidden_layers = required_size(config, "num_hidden_layers", origin);
  model.num_attention_heads = required_size(config, "num_attention_heads", origin);
  model.num_key_value_heads =
      optional_size(config, "num_key_value_heads", model.num_attention_heads, origin);
  if (model.num_attention_heads % model.num_key_value_heads != 0) {
    jf::fail(origin, "num_key_value_heads",
             "must divide num_attention_heads (" + std::to_string(model.num_attention_heads) + ")",
             model.num_key_value_heads);
  }
  if (jf::get_int(config, "head_dim", origin)) {
    model.head_dim = required_size(config, "head_dim", origin);
  } else {
    if (model.hidden_size % model.num_attention_heads != 0) {
      jf::fail(origin, "num_attention_heads",
               "must divide hidden_size (" + std::to_string(model.hidden_size) +
                   ") when head_dim is not given",
               model.num_attention_heads);
    }
    model.head_dim = model.hidden_size / model.num_attention_heads;
  }
  if (model.head_dim % 2 != 0) {
    jf::fail(origin, "head_dim", "must be even for rotary embeddings", model.head_dim);
  }

  model.rms_norm_eps = jf::get_number(config, "rms_norm_eps", origin).value_or(1e-6);
  if (model.rms_norm_eps <= 0)
    jf::fail(origin, "rms_norm_eps", "must be positive", model.rms_norm_eps);
  model.rope_scaling = parse_rope_scaling(config, origin);
  std::optional<double> theta;
  if (const auto parameters = config.find("rope_parameters");
      parameters != config.end() && parameters->is_object()) {
    theta = jf::get_number(*parameters, "rope_theta", origin);
  }
  if (!theta) theta = jf::get_number(config, "rope_theta", origin);
  model.rope_theta = theta.value_or(10000.0);
  if (model.rope_theta <= 0) jf::fail(origin, "rope_theta", "must be positive", model.rope_theta);
  // transformers' defaults when the field is absent: Qwen2Config 32768, LlamaConfig 2048.
  model.max_position_embeddings =
      optional_size(config, "max_position_embeddings", is_llama ? 2048 : 32768, origin);

  model.tie_word_embeddings = jf::get_bool(config, "tie_word_embeddings", origin).value_or(false);
  if (is_llama) {
    const bool attention_bias = jf::get_bool(config, "attention_bias", origin).value_or(false);
    model.qkv_bias = attention_bias;
    model.o_proj_bias = attention_bias;
    model.mlp_bias = jf::get_bool(config, "mlp_bias", origin).value_or(false);
  } else {
    model.qkv_bias = true;  // Qwen2Attention always has q/k/v biases and none on o_proj.
  }

  // LlamaConfig defaults bos/eos to 1/2 when the keys are absent (an explicit null means none).
  if (is_llama && !config.contains("bos_token_id")) {
    model.bos_token_id = 1;
  } else {
    const std::vector<std::int64_t> bos = jf::get_token_ids(config, "bos_token_id", origin);
    if (bos.size() > 1)
      jf::fail(origin, "bos_token_id", "must be one token id", config.at("bos_token_id"));
    if (!bos.empty()) model.bos_token_id = bos.front();
  }
  if (is_llama && !config.contains("eos_token_id")) {
    model.eos_token_ids = {2};
  } else {
    model.eos_token_ids = jf::get_token_ids(config, "eos_token_id", origin);
  }
  if (model.bos_token_id) check_token_ids({*model.bos_token_id}, "bos_token_id", model, origin);
  check_token_ids(model.eos_token_ids, "eos_token_id", model, origin);

  // transformers 5 writes "dtype"; earlier versions "torch_dtype".
  std::optional<std::string> dtype = jf::get_string(config, "torch_dtype", origin);
  if (!dtype) dtype = jf::get_string(config, "dtype", origin);
  model.torch_dtype = dtype.value_or("");
  return model;
}

}  // namespace r1::io
