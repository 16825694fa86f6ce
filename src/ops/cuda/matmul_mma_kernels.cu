// The prefill and batched-decode product on tensor cores (WMMA, sm_80+): y = x · wᵀ for 16-bit
// weights with the activations rounded to the weights' type, as transformers computes a bf16 or
// f16 model, and the products summed in fp32. A block of 4 warps owns a tile of 64 tokens x 64
// weight rows, each warp 32 x 32 of it as 2 x 2 fragments of 16 x 16; K advances 32 columns at a
// time through shared memory (activations converted on the way in), so each weight row is read
// once per 64 tokens instead of once per 8 (matmul_rows). Outputs go through shared memory to
// honour any y_stride, bias and ragged edge. The scalar oracle is matmul_reference on the rounded
// activations (tests/cuda/cuda_ops_test.cpp).
#include <mma.h>

#include "ops/cuda/device_math.cuh"
#include "ops/cuda/kernels.h"
#include "ops/cuda/launch.h"
#include "r1/error.h"

namespace r1::ops::cuda {
namespace {

constexpr int kTileTokens = 64;
constexpr int kTileRows = 64;
constexpr int kTileK = 32;
constexpr int kThreads = 128;    // 4 warps, 2 x 2 over the tile
constexpr int kLd = kTileK + 8;  // shared rows padded (16 bytes) against bank conflicts
constexpr int kLdOut = kTileRows + 4;

__device__ __forceinline__ __nv_bfloat16 from_float(float v, __nv_bfloat16) {
  return __float2bfloat16_rn(v);
}
__device__ __forceinline__ __half from_float(float v, __half) {
  return __float2half_rn(v);
}

// kVectorized: activation rows start on 16 bytes and hold a multiple of 8 columns, weight rows
// likewise (checked by the launcher), so full tiles load as float4 / uint4; edges go element by
// element with zeros past them.
template <typename T, bool kVectorized>
__global__ void __launch_bounds__(kThreads)
    matmul_mma_kernel(StackedRows w, std::int64_t cols, const float* x, std::int64_t x_stride,
                      std::int64_t n_tokens, const float* bias, float* y, std::int64_t y_stride) {
  namespace wmma = nvcuda::wmma;
  __shared__ __align__(32) T a_tile[kTileTokens * kLd];
  __shared__ __align__(32) T b_tile[kTileRows * kLd];
  __shared__ __align__(32) float out_tile[kTileTokens * kLdOut];

  const std::int64_t rows = stacked_rows(w);
  const std::int64_t t0 = static_cast<std::int64_t>(blockIdx.y) * kTileTokens;
  const std::int64_t r0 = static_cast<std::int64_t>(blockIdx.x) * kTileRows;
  const int warp = threadIdx.x / 32;
  const int warp_token = (warp / 2) * 32;
  const int warp_row = (warp % 2) * 32;

  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[2][2];
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.0f);

  for (std::int64_t k0 = 0; k0 < cols; k0 += kTileK) {
    // Activations: 64 tokens x 32 columns, 4 floats per step.
    for (int unit = threadIdx.x; unit < kTileTokens * kTileK / 4; unit += kThreads) {
      const int t = unit / (kTileK / 4);
      const int k = (unit % (kTileK / 4)) * 4;
      const std::int64_t token = t0 + t, col = k0 + k;
      float v[4];
      if (kVectorized && token < n_tokens && col + 4 <= cols) {
        const float4 f = *reinterpret_cast<const float4*>(x + token * x_stride + col);
        v[0] = f.x, v[1] = f.y, v[2] = f.z, v[3] = f.w;
      } else {
        for (int j = 0; j < 4; ++j)
          v[j] = token < n_tokens && col + j < cols ? x[token * x_stride + col + j] : 0.0f;
      }
      for (int j = 0; j < 4; ++j) a_tile[t * kLd + k + j] = from_float(v[j], T{});
    }
    // Weights: 64 rows x 32 columns, 8 elements (16 bytes) per step.
    for (int unit = threadIdx.x; unit < kTileRows * kTileK / 8; unit += kThreads) {
      const int r = unit / (kTileK / 8);
      const int k = (unit % (kTileK / 8)) * 8;
      const std::int64_t row = r0 + r, col = k0 + k;
      T* dst = b_tile + r * kLd + k;
      const T* w_row = row < rows ? stacked_row<T>(w, row, cols) : nullptr;
      if (kVectorized && row < rows && col + 8 <= cols) {
        *reinterpret_cast<uint4*>(dst) = *reinterpret_cast<const uint4*>(w_row + col);
      } else {
        for (int j = 0; j < 8; ++j)
          dst[j] = row < rows && col + j < cols ? w_row[col + j] : from_float(0.0f, T{});
      }
    }
    __syncthreads();
    for (int kk = 0; kk < kTileK; kk += 16) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> a[2];
      // Column-major B of K x N = the weight rows as stored (row n, K contiguous).
      wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::col_major> b[2];
      for (int i = 0; i < 2; ++i)
        wmma::load_matrix_sync(a[i], a_tile + (warp_token + 16 * i) * kLd + kk, kLd);
      for (int j = 0; j < 2; ++j)
        wmma::load_matrix_sync(b[j], b_tile + (warp_row + 16 * j) * kLd + kk, kLd);
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j) wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
    }
    __syncthreads();  // the tiles are refilled next
  }

  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j)
      wmma::store_matrix_sync(out_tile + (warp_token + 16 * i) * kLdOut + warp_row + 16 * j,
                              acc[i][j], kLdOut, wmma::mem_row_major);
  __syncthreads();
  for (int unit = threadIdx.x; unit < kTileTokens * kTileRows; unit += kThreads) {
    const int t = unit / kTileRows;
    const int r = unit % kTileRows;
    const std::int64_t token = t0 + t, row = r0 + r;
    if (token < n_tokens && row < rows)
      y[token * y_stride + row] = out_tile[t * kLdOut + r] + (bias != nullptr ? bias[row] : 0.0f);
  }
}

template <typename T>
void launch(const StackedRows& w, std::int64_t cols, const float* x, std::int64_t x_stride,
            std::int64_t n_tokens, const float* bias, float* y, std::int64_t y_stride,
            cudaStream_t stream) {
  const dim3 grid(blocks_for(w.rows(), kTileRows), blocks_for(n_tokens, kTileTokens));
  const bool vectorized = wide_loads_fit(w, cols, x, x_stride, 8, 4);
  if (vectorized) {
    matmul_mma_kernel<T, true>
        <<<grid, kThreads, 0, stream>>>(w, cols, x, x_stride, n_tokens, bias, y, y_stride);
  } else {
    matmul_mma_kernel<T, false>
        <<<grid, kThreads, 0, stream>>>(w, cols, x, x_stride, n_tokens, bias, y, y_stride);
  }
  check_launch("matmul_mma_kernel");
}

}  // namespace

void matmul_tensor_cores(DType type, const StackedRows& w, std::int64_t cols, const float* x,
                         std::int64_t x_stride, std::int64_t n_tokens, const float* bias, float* y,
                         std::int64_t y_stride, cudaStream_t stream) {
  if (w.rows() == 0 || n_tokens == 0) return;
  switch (type) {
    case DType::f16:
      return launch<__half>(w, cols, x, x_stride, n_tokens, bias, y, y_stride, stream);
    case DType::bf16:
      return launch<__nv_bfloat16>(w, cols, x, x_stride, n_tokens, bias, y, y_stride, stream);
    default:
      throw Error(ErrorCode::unsupported,
                  std::string("the tensor-core product takes f16 and bf16 weights, not ") +
                      dtype_cli_name(type));
  }
}

}  // namespace r1::ops::cuda
