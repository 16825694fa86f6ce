// Host-side helpers of the kernel launchers: grid sizes and the launch check.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "ops/cuda/cuda_device.h"

namespace r1::ops::cuda {

inline unsigned blocks_for(std::int64_t items, std::int64_t per_block) {
  return static_cast<unsigned>((items + per_block - 1) / per_block);
}

/// Throws with the kernel's name when its launch was refused.
inline void check_launch(const char* kernel) {
  check_cuda(cudaGetLastError(), kernel);
}

}  // namespace r1::ops::cuda
