// Small device helpers shared by the kernels: element conversion and warp / block sums.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

namespace r1::ops::cuda {

__device__ __forceinline__ float to_float(float v) {
  return v;
}
__device__ __forceinline__ float to_float(__nv_bfloat16 v) {
  return __bfloat162float(v);
}
__device__ __forceinline__ float to_float(__half v) {
  return __half2float(v);
}

/// Rows of stacked weight matrices, on the device (StackedRows::rows() is host code).
template <typename Stacked>
__device__ __forceinline__ std::int64_t stacked_rows(const Stacked& w) {
  return w.n_parts == 0 ? 0 : w.ends[w.n_parts - 1];
}

/// Row `row` of stacked weight matrices (kernels.h: StackedRows) of `cols` elements of T.
template <typename T, typename Stacked>
__device__ __forceinline__ const T* stacked_row(const Stacked& w, std::int64_t row,
                                                std::int64_t cols) {
  std::int64_t start = 0;
#pragma unroll
  for (int p = 0; p < Stacked::kMaxParts; ++p) {
    if (p + 1 == w.n_parts || row < w.ends[p])
      return static_cast<const T*>(w.parts[p]) + (row - start) * cols;
    start = w.ends[p];
  }
  return nullptr;  // unreachable: row < w.rows()
}

/// Sum over the 32 lanes of a warp, every lane gets it (butterfly).
__device__ __forceinline__ float warp_sum(float v) {
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

__device__ __forceinline__ float warp_max(float v) {
  for (int offset = 16; offset > 0; offset /= 2)
    v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
  return v;
}

/// Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets it.
/// `scratch` holds 32 floats of shared memory.
__device__ __forceinline__ float block_sum(float v, float* scratch) {
  const int lane = threadIdx.x % 32;
  const int warp = threadIdx.x / 32;
  v = warp_sum(v);
  __syncthreads();  // scratch may still be read by an earlier call
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  const int n_warps = blockDim.x / 32;
  v = lane < n_warps ? scratch[lane] : 0.0f;
  return warp_sum(v);
}

}  // namespace r1::ops::cuda
