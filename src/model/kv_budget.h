// How many KV-cache positions fit in what a GPU has left after the weights: `r1 serve --device
// cuda` sizes its block pool from this and --gpu-memory-fraction (as vLLM's
// --gpu-memory-utilization), instead of failing mid-request when the device fills up.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/dtype.h"
#include "io/hf_config.h"
#include "ops/memory.h"

namespace r1::model {

/// Bytes one position takes in a KV cache of `type`: every layer's key and value rows.
std::size_t kv_bytes_per_position(const io::ModelConfig& config, DType type);

/// What a device leaves for the KV cache.
struct KvBudget {
  std::size_t bytes = 0;       // for the cache: 0 when nothing is left
  std::int64_t positions = 0;  // whole blocks of KvCache::kBlockTokens positions
  std::string description;     // the arithmetic in words, for messages
};

/// The process may use `fraction` (0, 1] of the device's total memory: of what is free now, all
/// but (1 - fraction) x total (kept for other processes and headroom) and `reserve` bytes (the
/// buffers allocated later: logits, page tables) go to the KV cache.
KvBudget kv_budget(const ops::DeviceMemoryInfo& memory, double fraction, std::size_t reserve,
                   std::size_t bytes_per_position);

}  // namespace r1::model
