// `r1 make-random-model`'s checkpoints: complete, in Hugging Face's names and shapes, readable by
// our strict safetensors reader, deterministic per seed. (That transformers loads them is checked
// by tools/reference scripts, which build their fixtures from these checkpoints.)
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "core/file.h"
#include "core/half.h"
#include "io/checkpoint_files.h"
#include "io/hf_config.h"
#include "model/hf_tensor_names.h"
#include "model/random_checkpoint.h"
#include "test_paths.h"

namespace r1::model {
namespace {

std::filesystem::path temp_dir(const std::string& name) {
  const auto dir = test::scratch_dir("random_checkpoint_" + name);
  std::filesystem::remove_all(dir);
  return dir;
}

float element(const io::TensorView& t, std::size_t i) {
  if (t.dtype == io::DType::f32) {
    float value;
    std::memcpy(&value, t.data + 4 * i, 4);
    return value;
  }
  std::uint16_t bits;
  std::memcpy(&bits, t.data + 2 * i, 2);
  return t.dtype == io::DType::bf16 ? bf16_to_f32(bits) : f16_to_f32(bits);
}

TEST(RandomCheckpoint, TinyPresetsAreCompleteAndStatisticallySound) {
  for (const auto& [preset, dtype] : {std::pair{RandomPreset::qwen2_tiny, io::DType::f32},
                                      std::pair{RandomPreset::llama_tiny, io::DType::bf16},
                                      std::pair{RandomPreset::qwen2_tiny, io::DType::f16}}) {
    const auto dir = temp_dir("complete");
    write_random_checkpoint({preset, dtype, 3, dir});
    for (const char* file : {"config.json", "generation_config.json", "tokenizer.json",
                             "tokenizer_config.json", "model.safetensors"}) {
      EXPECT_TRUE(std::filesystem::exists(dir / file)) << file;
    }
    const io::ModelConfig config =
        io::parse_model_config(read_text_file(dir / "config.json"), "config.json");
    const io::CheckpointFiles files = io::CheckpointFiles::open(dir);
    const auto expected = hf_checkpoint_tensors(config, dtype);
    EXPECT_EQ(files.tensors().size(), expected.size());
    for (const auto& tensor : expected) {
      const io::TensorView& view = files.at(tensor.spec.name);
      EXPECT_EQ(view.shape, tensor.spec.shape) << tensor.spec.name;
      EXPECT_EQ(view.dtype, dtype) << tensor.spec.name;
      const std::size_t n = view.element_count();
      if (tensor.role == TensorRole::norm) {
        for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(element(view, i), 1.0f) << tensor.spec.name;
        continue;
      }
      // normal(0, 0.02): the sample mean and std of n values stay within 6 standard errors.
      double sum = 0, sum_squares = 0;
      for (std::size_t i = 0; i < n; ++i) {
        const double v = element(view, i);
        sum += v;
        sum_squares += v * v;
      }
      const double mean = sum / n;
      const double std = std::sqrt(sum_squares / n - mean * mean);
      EXPECT_LT(std::abs(mean), 6 * 0.02 / std::sqrt(double(n))) << tensor.spec.name;
      EXPECT_LT(std::abs(std - 0.02), 6 * 0.02 / std::sqrt(2.0 * n) + 1e-4) << tensor.spec.name;
    }
    std::filesystem::remove_all(dir);
  }
}

TEST(RandomCheckpoint, SameSeedSameBytesOtherSeedOtherBytes) {
  const auto a = temp_dir("a"), b = temp_dir("b"), c = temp_dir("c");
  write_random_checkpoint({RandomPreset::qwen2_tiny, io::DType::bf16, 42, a});
  write_random_checkpoint({RandomPreset::qwen2_tiny, io::DType::bf16, 42, b});
  write_random_checkpoint({RandomPreset::qwen2_tiny, io::DType::bf16, 43, c});
  const std::string bytes_a = read_text_file(a / "model.safetensors");
  EXPECT_EQ(bytes_a, read_text_file(b / "model.safetensors"));
  EXPECT_NE(bytes_a, read_text_file(c / "model.safetensors"));
  for (const auto& dir : {a, b, c}) std::filesystem::remove_all(dir);
}

TEST(RandomCheckpoint, RealShapeConfigIsThePublishedOne) {
  const io::ModelConfig config = io::parse_model_config(
      random_preset_config_json(RandomPreset::deepseek_r1_distill_qwen_1_5b, io::DType::bf16),
      "preset");
  EXPECT_EQ(config.num_hidden_layers, 28);
  EXPECT_EQ(config.hidden_size, 1536);
  EXPECT_EQ(config.intermediate_size, 8960);
  EXPECT_EQ(config.num_attention_heads, 12);
  EXPECT_EQ(config.num_key_value_heads, 2);
  EXPECT_EQ(config.vocab_size, 151936);
  EXPECT_FALSE(config.tie_word_embeddings);
  // 1.78 B parameters: embed + lm_head 2 * 151936 * 1536, 28 layers of attention and MLP.
  std::int64_t parameters = 0;
  for (const auto& t : hf_checkpoint_tensors(config, io::DType::bf16)) {
    std::int64_t n = 1;
    for (auto d : t.spec.shape) n *= d;
    parameters += n;
  }
  EXPECT_EQ(parameters, 1777088000);
}

TEST(PortableNormal, UnitVarianceAndBoundedTails) {
  PortableNormal normal(123);
  double sum = 0, sum_squares = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double v = normal.next();
    sum += v;
    sum_squares += v * v;
    ASSERT_LT(std::abs(v), 5.0);  // Irwin-Hall of 8 is bounded by sqrt(24) = 4.9
  }
  EXPECT_LT(std::abs(sum / n), 6.0 / std::sqrt(double(n)));
  EXPECT_NEAR(sum_squares / n, 1.0, 6.0 * std::sqrt(2.0 / n));
}

}  // namespace
}  // namespace r1::model
