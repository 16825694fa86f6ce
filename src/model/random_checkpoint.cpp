#include "model/random_checkpoint.h"

#include <cmath>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "assets/embedded_assets.h"
#include "core/half.h"
#include "io/hf_config.h"
#include "model/hf_tensor_names.h"
#include "r1/error.h"
#include "r1/random.h"

namespace r1::model {
namespace {

constexpr double kWeightStd = 0.02;  // transformers' initializer_range for these models

const char* torch_dtype_name(io::DType dtype) {
  switch (dtype) {
    case io::DType::f32:
      return "float32";
    case io::DType::f16:
      return "float16";
    case io::DType::bf16:
      return "bfloat16";
    default:  // random checkpoints are safetensors: element types only
      break;
  }
  return "float32";
}

// 64-bit FNV-1a of a tensor name, mixed into the seed of that tensor's stream.
std::uint64_t name_hash(std::string_view name) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : name) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

nlohmann::ordered_json tiny_config(RandomPreset preset) {
  const bool llama = preset == RandomPreset::llama_tiny;
  nlohmann::ordered_json config;
  config["architectures"] = {llama ? "LlamaForCausalLM" : "Qwen2ForCausalLM"};
  config["model_type"] = llama ? "llama" : "qwen2";
  config["hidden_size"] = 64;
  config["intermediate_size"] = 160;
  config["num_hidden_layers"] = 3;
  config["num_attention_heads"] = 4;
  config["num_key_value_heads"] = 2;
  config["head_dim"] = 16;
  config["hidden_act"] = "silu";
  config["max_position_embeddings"] = llama ? 131072 : 4096;  // llama3 scaling extends 8192
  config["vocab_size"] = 151936;  // the DeepSeek-R1-Distill-Qwen tokenizer's padded vocabulary
  config["bos_token_id"] = 151646;
  config["eos_token_id"] = 151643;
  config["initializer_range"] = kWeightStd;
  config["use_cache"] = true;
  if (llama) {
    config["rms_norm_eps"] = 1e-5;
    config["rope_theta"] = 500000.0;
    config["rope_scaling"] = {{"rope_type", "llama3"},
                              {"factor", 8.0},
                              {"low_freq_factor", 1.0},
                              {"high_freq_factor", 4.0},
                              {"original_max_position_embeddings", 8192}};
    config["tie_word_embeddings"] = true;
    config["attention_bias"] = false;
    config["mlp_bias"] = false;
  } else {
    config["rms_norm_eps"] = 1e-6;
    config["rope_theta"] = 10000.0;
    config["tie_word_embeddings"] = false;
    config["use_sliding_window"] = false;
    config["sliding_window"] = 4096;
    config["max_window_layers"] = 3;
    config["attention_dropout"] = 0.0;
  }
  return config;
}

void write_text(const std::filesystem::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!out) throw Error(ErrorCode::io_error, "cannot write " + path.string());
}

// Appends `count` values of one tensor to the writer in chunks, converted to its dtype.
void write_tensor_values(io::SafetensorsWriter& writer, const ExpectedTensor& tensor,
                         std::uint64_t seed) {
  std::size_t count = 1;
  for (std::int64_t dim : tensor.spec.shape) count *= static_cast<std::size_t>(dim);
  PortableNormal normal(seed ^ name_hash(tensor.spec.name));
  constexpr std::size_t kChunk = 1 << 20;
  std::vector<std::byte> buffer;
  for (std::size_t done = 0; done < count; done += kChunk) {
    const std::size_t n = std::min(kChunk, count - done);
    buffer.resize(n * io::dtype_size(tensor.spec.dtype));
    for (std::size_t i = 0; i < n; ++i) {
      const float value =
          tensor.role == TensorRole::norm ? 1.0f : static_cast<float>(normal.next() * kWeightStd);
      switch (tensor.spec.dtype) {
        case io::DType::f32:
          std::memcpy(&buffer[i * 4], &value, 4);
          break;
        case io::DType::f16: {
          const std::uint16_t bits = f32_to_f16(value);
          std::memcpy(&buffer[i * 2], &bits, 2);
          break;
        }
        case io::DType::bf16: {
          const std::uint16_t bits = f32_to_bf16(value);
          std::memcpy(&buffer[i * 2], &bits, 2);
          break;
        }
        default:
          throw Error(ErrorCode::invalid_argument,
                      std::string("random checkpoints are f32, f16 or bf16, not ") +
                          dtype_cli_name(tensor.spec.dtype));
      }
    }
    writer.append(buffer);
  }
}

}  // namespace

double PortableNormal::next() {
  std::uint64_t sum = 0;
  for (int draw = 0; draw < 2; ++draw) {
    const std::uint64_t bits = rng_.next();
    for (int part = 0; part < 4; ++part) sum += (bits >> (16 * part)) & 0xFFFF;
  }
  // Eight uniforms on {0..65535}: mean 8 * 32767.5, variance 8 * (65536^2 - 1) / 12. sqrt is
  // correctly rounded in IEEE arithmetic, so this is the same number everywhere.
  static const double inverse_std = 1.0 / std::sqrt(8.0 * (65536.0 * 65536.0 - 1.0) / 12.0);
  return (static_cast<double>(sum) - 8.0 * 32767.5) * inverse_std;
}

std::optional<RandomPreset> parse_random_preset(std::string_view name) {
  if (name == "deepseek-r1-distill-qwen-1.5b") return RandomPreset::deepseek_r1_distill_qwen_1_5b;
  if (name == "qwen2-tiny") return RandomPreset::qwen2_tiny;
  if (name == "llama-tiny") return RandomPreset::llama_tiny;
  return std::nullopt;
}

std::vector<std::string> random_preset_names() {
  return {"deepseek-r1-distill-qwen-1.5b", "qwen2-tiny", "llama-tiny"};
}

std::string random_preset_config_json(RandomPreset preset, io::DType dtype) {
  nlohmann::ordered_json config =
      preset == RandomPreset::deepseek_r1_distill_qwen_1_5b
          ? nlohmann::ordered_json::parse(assets::deepseek_file("config.json"))
          : tiny_config(preset);
  config["torch_dtype"] = torch_dtype_name(dtype);
  return config.dump(2) + "\n";
}

void write_random_checkpoint(const RandomCheckpointOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.out_dir, ec);
  if (ec) {
    throw Error(ErrorCode::io_error,
                "cannot create " + options.out_dir.string() + ": " + ec.message());
  }
  const std::string config_text = random_preset_config_json(options.preset, options.dtype);
  const io::ModelConfig config =
      io::parse_model_config(config_text, (options.out_dir / "config.json").string());
  write_text(options.out_dir / "config.json", config_text);
  for (const char* name : {"generation_config.json", "tokenizer.json", "tokenizer_config.json"}) {
    write_text(options.out_dir / name, assets::deepseek_file(name));
  }
  const std::vector<ExpectedTensor> tensors = hf_checkpoint_tensors(config, options.dtype);
  std::vector<io::TensorSpec> specs;
  for (const auto& tensor : tensors) specs.push_back(tensor.spec);
  io::SafetensorsWriter writer(options.out_dir / "model.safetensors", specs);
  for (const auto& tensor : tensors) write_tensor_values(writer, tensor, options.seed);
  writer.finish();
}

}  // namespace r1::model
