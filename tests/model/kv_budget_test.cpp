// Sizing the KV cache from a GPU's free memory (r1 serve --device cuda, --gpu-memory-fraction):
// the numbers by hand from DeepSeek-R1-Distill-Qwen-1.5B's published config (28 layers, 2 KV
// heads of 128).
#include "model/kv_budget.h"

#include <gtest/gtest.h>

#include "model/kv_cache.h"

namespace r1::model {
namespace {

constexpr std::size_t MiB = 1024 * 1024;
constexpr std::size_t GiB = 1024 * MiB;

io::ModelConfig deepseek_1_5b() {
  io::ModelConfig config;
  config.num_hidden_layers = 28;
  config.num_attention_heads = 12;
  config.num_key_value_heads = 2;
  config.head_dim = 128;
  config.max_position_embeddings = 131072;
  return config;
}

TEST(KvBudget, BytesPerPositionAreEveryLayersKeyAndValueRows) {
  // 28 layers x (key + value) x 256 elements.
  EXPECT_EQ(kv_bytes_per_position(deepseek_1_5b(), DType::bf16), 28u * 2 * 256 * 2);
  EXPECT_EQ(kv_bytes_per_position(deepseek_1_5b(), DType::f32), 28u * 2 * 256 * 4);
}

TEST(KvBudget, KeepsTheRestOfTheFractionAndTheReserveFree) {
  // 80 GiB card, 76 GiB free after 4 GiB of weights; fraction 0.9 keeps 8 GiB free, 1 GiB
  // reserved: 67 GiB for the cache = 67 GiB / 28672 B = 2509093.4 positions -> whole blocks of 32.
  const ops::DeviceMemoryInfo memory{76 * GiB, 80 * GiB};
  const KvBudget budget = kv_budget(memory, 0.9, 1 * GiB, 28672);
  const std::int64_t blocks = static_cast<std::int64_t>((67 * GiB) / (28672 * 32));
  EXPECT_EQ(budget.positions, blocks * KvCache::kBlockTokens);
  EXPECT_EQ(budget.positions % KvCache::kBlockTokens, 0);
  EXPECT_EQ(budget.bytes, static_cast<std::size_t>(budget.positions) * 28672);
  EXPECT_LE(budget.bytes, 67 * GiB);
  EXPECT_GT(budget.bytes + 28672 * 32, 67 * GiB);
  EXPECT_NE(budget.description.find("77824 MiB free of 81920 MiB"), std::string::npos)
      << budget.description;
  EXPECT_NE(budget.description.find("--gpu-memory-fraction 0.9"), std::string::npos);
}

TEST(KvBudget, NothingLeftGivesZeroNotANegativeSize) {
  // 4 GiB free of 24, fraction 0.8 keeps 4.8 GiB free: nothing for the cache.
  const KvBudget budget = kv_budget({4 * GiB, 24 * GiB}, 0.8, 256 * MiB, 28672);
  EXPECT_EQ(budget.positions, 0);
  EXPECT_EQ(budget.bytes, 0u);
  EXPECT_NE(budget.description.find("0 MiB for the KV cache"), std::string::npos)
      << budget.description;
}

}  // namespace
}  // namespace r1::model
