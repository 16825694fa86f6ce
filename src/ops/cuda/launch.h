// Host-side helpers of the kernel launchers: grid sizes and the launch check.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "ops/cuda/cuda_device.h"

namespace r1::ops::cuda {

inline unsigned blocks_for(std::int64_t items, std::int64_t per_block) {
  return static_cast<unsigned>((items + per_block - 1) / per_block);
}

inline bool aligned(const void* p, std::size_t bytes) {
  return reinterpret_cast<std::uintptr_t>(p) % bytes == 0;
}

/// Whether a product may load its operands 16 bytes at a time: activation rows (x, x_stride
/// floats apart) and every weight part start on 16 bytes, the columns a multiple of
/// `cols_multiple` and the stride of `stride_multiple`. `Stacked` is kernels.h's StackedRows.
template <typename Stacked>
bool wide_loads_fit(const Stacked& w, std::int64_t cols, const float* x, std::int64_t x_stride,
                    std::int64_t cols_multiple, std::int64_t stride_multiple) {
  bool fit = cols % cols_multiple == 0 && aligned(x, 16) && x_stride % stride_multiple == 0;
  for (int p = 0; p < w.n_parts; ++p) fit = fit && aligned(w.parts[p], 16);
  return fit;
}

/// Throws with the kernel's name when its launch was refused.
inline void check_launch(const char* kernel) {
  check_cuda(cudaGetLastError(), kernel);
}

}  // namespace r1::ops::cuda
