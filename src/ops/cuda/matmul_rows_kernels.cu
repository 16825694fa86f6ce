// The decode / small-batch product with 16-bit or f32 weights: one warp per weight row, lanes
// reading 8 consecutive elements (16 bytes of bf16 / f16) each, so a warp streams 512 bytes of
// its row per step; up to kTokens tokens per pass share each weight load, and their sums are
// reduced across the warp at the end. Each output is a dot product in fp32 (order: per lane, then
// the warp's butterfly), compared with matmul_reference within a rounding bound.
#include "ops/cuda/device_math.cuh"
#include "ops/cuda/kernels.h"
#include "ops/cuda/launch.h"
#include "r1/error.h"

namespace r1::ops::cuda {
namespace {

constexpr int kWarpsPerBlock = 8;
constexpr int kTokens = 8;  // tokens per pass over a row (blockIdx.y picks the group)
constexpr int kVector = 8;  // elements per lane per load

// 8 consecutive weights widened to fp32 (p aligned to 8 elements).
__device__ __forceinline__ void load8(const float* p, float* out) {
  const float4 a = reinterpret_cast<const float4*>(p)[0];
  const float4 b = reinterpret_cast<const float4*>(p)[1];
  out[0] = a.x, out[1] = a.y, out[2] = a.z, out[3] = a.w;
  out[4] = b.x, out[5] = b.y, out[6] = b.z, out[7] = b.w;
}
__device__ __forceinline__ void load8(const __nv_bfloat16* p, float* out) {
  const uint4 bits = *reinterpret_cast<const uint4*>(p);
  const auto* pairs = reinterpret_cast<const __nv_bfloat162*>(&bits);
  for (int k = 0; k < 4; ++k) {
    const float2 f = __bfloat1622float2(pairs[k]);
    out[2 * k] = f.x, out[2 * k + 1] = f.y;
  }
}
__device__ __forceinline__ void load8(const __half* p, float* out) {
  const uint4 bits = *reinterpret_cast<const uint4*>(p);
  const auto* pairs = reinterpret_cast<const __half2*>(&bits);
  for (int k = 0; k < 4; ++k) {
    const float2 f = __half22float2(pairs[k]);
    out[2 * k] = f.x, out[2 * k + 1] = f.y;
  }
}

// kVectorized: rows and activations aligned for 8-element loads (checked by the launcher);
// otherwise every lane reads single elements.
template <typename T, bool kVectorized>
__global__ void matmul_rows_kernel(StackedRows w, std::int64_t cols, const float* x,
                                   std::int64_t x_stride, std::int64_t n_tokens, const float* bias,
                                   float* y, std::int64_t y_stride) {
  const int lane = threadIdx.x % 32;
  const std::int64_t row =
      blockIdx.x * static_cast<std::int64_t>(kWarpsPerBlock) + threadIdx.x / 32;
  if (row >= stacked_rows(w)) return;
  const std::int64_t t0 = blockIdx.y * static_cast<std::int64_t>(kTokens);
  const int n = static_cast<int>(n_tokens - t0 < kTokens ? n_tokens - t0 : kTokens);
  const T* w_row = stacked_row<T>(w, row, cols);
  const float* x0 = x + t0 * x_stride;
  float acc[kTokens] = {};
  std::int64_t i = 0;
  if constexpr (kVectorized) {
    for (i = lane * kVector; i + kVector <= cols; i += 32 * kVector) {
      float wv[kVector];
      load8(w_row + i, wv);
#pragma unroll
      for (int t = 0; t < kTokens; ++t) {
        if (t >= n) break;
        float xv[kVector];
        load8(x0 + t * x_stride + i, xv);
#pragma unroll
        for (int k = 0; k < kVector; ++k) acc[t] = fmaf(wv[k], xv[k], acc[t]);
      }
    }
    i = cols;  // cols is a multiple of kVector here: every 8-element run had its lane
  }
  for (std::int64_t j = i + lane; j < cols; j += 32) {
    const float wv = to_float(w_row[j]);
#pragma unroll
    for (int t = 0; t < kTokens; ++t) {
      if (t >= n) break;
      acc[t] = fmaf(wv, x0[t * x_stride + j], acc[t]);
    }
  }
#pragma unroll
  for (int t = 0; t < kTokens; ++t) {
    if (t >= n) break;
    const float sum = warp_sum(acc[t]);
    if (lane == 0) y[(t0 + t) * y_stride + row] = sum + (bias != nullptr ? bias[row] : 0.0f);
  }
}

template <typename T>
void launch(const StackedRows& w, std::int64_t cols, const float* x, std::int64_t x_stride,
            std::int64_t n_tokens, const float* bias, float* y, std::int64_t y_stride,
            cudaStream_t stream) {
  const dim3 grid(blocks_for(w.rows(), kWarpsPerBlock), blocks_for(n_tokens, kTokens));
  const dim3 block(32 * kWarpsPerBlock);
  // 8-element loads need every row and every activation row on a 16-byte (f32: 32-byte) line.
  const bool vectorized = wide_loads_fit(w, cols, x, x_stride, kVector, kVector);
  if (vectorized) {
    matmul_rows_kernel<T, true>
        <<<grid, block, 0, stream>>>(w, cols, x, x_stride, n_tokens, bias, y, y_stride);
  } else {
    matmul_rows_kernel<T, false>
        <<<grid, block, 0, stream>>>(w, cols, x, x_stride, n_tokens, bias, y, y_stride);
  }
  check_launch("matmul_rows_kernel");
}

}  // namespace

void matmul_rows(DType type, const StackedRows& w, std::int64_t cols, const float* x,
                 std::int64_t x_stride, std::int64_t n_tokens, const float* bias, float* y,
                 std::int64_t y_stride, cudaStream_t stream) {
  if (w.rows() == 0 || n_tokens == 0) return;
  switch (type) {
    case DType::f32:
      return launch<float>(w, cols, x, x_stride, n_tokens, bias, y, y_stride, stream);
    case DType::f16:
      return launch<__half>(w, cols, x, x_stride, n_tokens, bias, y, y_stride, stream);
    case DType::bf16:
      return launch<__nv_bfloat16>(w, cols, x, x_stride, n_tokens, bias, y, y_stride, stream);
    case DType::q8_0:
      return matmul_q8_0(w, cols, x, x_stride, n_tokens, bias, y, y_stride, stream);
    default:
      throw Error(ErrorCode::unsupported,
                  std::string("the CUDA row product takes f32, f16, bf16 and q8_0 weights, not ") +
                      dtype_cli_name(type));
  }
}

}  // namespace r1::ops::cuda
