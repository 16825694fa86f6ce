#include "model/kv_budget.h"

#include <cstdio>

#include "model/kv_cache.h"

namespace r1::model {

std::size_t kv_bytes_per_position(const io::ModelConfig& config, DType type) {
  const auto kv_dim = static_cast<std::size_t>(config.num_key_value_heads * config.head_dim);
  return 2 * static_cast<std::size_t>(config.num_hidden_layers) * kv_dim * dtype_size(type);
}

namespace {
std::string mib(double bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.0f MiB", bytes / (1024.0 * 1024.0));
  return text;
}
}  // namespace

KvBudget kv_budget(const ops::DeviceMemoryInfo& memory, double fraction, std::size_t reserve,
                   std::size_t bytes_per_position) {
  const double kept = (1.0 - fraction) * static_cast<double>(memory.total_bytes);
  const double left = static_cast<double>(memory.free_bytes) - kept - static_cast<double>(reserve);
  KvBudget budget;
  if (left > 0 && bytes_per_position > 0) {
    const auto block_bytes = bytes_per_position * static_cast<std::size_t>(KvCache::kBlockTokens);
    const auto blocks = static_cast<std::int64_t>(left / static_cast<double>(block_bytes));
    budget.positions = blocks * KvCache::kBlockTokens;
    budget.bytes = static_cast<std::size_t>(blocks) * block_bytes;
  }
  char fraction_text[32];
  std::snprintf(fraction_text, sizeof(fraction_text), "%g", fraction);
  budget.description = mib(static_cast<double>(memory.free_bytes)) + " free of " +
                       mib(static_cast<double>(memory.total_bytes)) + " after the weights, " +
                       mib(kept) + " kept free (--gpu-memory-fraction " + fraction_text + "), " +
                       mib(static_cast<double>(reserve)) +
                       " for other buffers: " + mib(left > 0 ? left : 0) +
                       " for the KV cache = " + std::to_string(budget.positions) +
                       " positions of " + std::to_string(bytes_per_position) + " bytes";
  return budget;
}

}  // namespace r1::model
