// `r1 make-random-model`: complete Hugging Face checkpoints (config.json, model.safetensors,
// generation_config.json, tokenizer files) of real or tiny shapes with seeded random weights,
// identical on every machine. Tests and benchmarks use them where the real weights can't be had.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/dtype.h"
#include "r1/random.h"

namespace r1::model {

enum class RandomPreset {
  deepseek_r1_distill_qwen_1_5b,  // the published config.json: 28 layers, hidden 1536, ...
  qwen2_tiny,                     // qwen2, 3 layers, hidden 64, 4 heads / 2 kv heads of 16
  llama_tiny,                     // llama, same sizes, llama3 rope scaling, tied embeddings
};

/// "deepseek-r1-distill-qwen-1.5b", "qwen2-tiny", "llama-tiny".
std::optional<RandomPreset> parse_random_preset(std::string_view name);
std::vector<std::string> random_preset_names();

/// config.json text of a preset, with torch_dtype matching `dtype`.
std::string random_preset_config_json(RandomPreset preset, io::DType dtype);

struct RandomCheckpointOptions {
  RandomPreset preset = RandomPreset::qwen2_tiny;
  io::DType dtype = io::DType::bf16;
  std::uint64_t seed = 0;
  std::filesystem::path out_dir;
};

/// Writes the checkpoint folder (created if missing). Matrices and biases are normal(0, 0.02),
/// norm weights 1. Each tensor draws from its own stream seeded by (seed, tensor name), so a
/// tensor's values do not depend on the others.
void write_random_checkpoint(const RandomCheckpointOptions& options);

/// Standard-normal numbers from integers only (no libm): the sum of eight 16-bit uniforms, centred
/// and scaled to unit variance (Irwin–Hall), from xoshiro256** seeded by splitmix64.
class PortableNormal {
 public:
  explicit PortableNormal(std::uint64_t seed) : rng_(seed) {}
  double next();

 private:
  Xoshiro256StarStar rng_;
};

}  // namespace r1::model
