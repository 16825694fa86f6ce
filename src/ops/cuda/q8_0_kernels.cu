// q8_0 weights on the GPU as the file has them (ggml's blocks of 32 int8 and an fp16 scale, 34
// bytes, rows of cols / 32 blocks), dequantized in registers: the row product with fp32
// activations (a warp per row, each lane a block in turn, holding its 32 weights for up to 8
// tokens; y = sum over blocks of d * sum_i q_i x_i, the dequantized weights' product up to the
// order of the sums) and the embedding lookup. A block starts on 2 bytes only, so it is read as
// 17 halfwords.
#include <cuda_fp16.h>

#include "ops/cuda/device_math.cuh"
#include "ops/cuda/kernels.h"
#include "ops/cuda/launch.h"
#include "r1/error.h"

namespace r1::ops::cuda {
namespace {

constexpr int kBlockElements = 32;
constexpr int kBlockBytes = 34;
constexpr int kWarpsPerBlock = 8;
constexpr int kTokens = 8;  // tokens per pass over a row (blockIdx.y picks the group)

// The scale and 32 weights of the block at p.
__device__ __forceinline__ float load_block(const std::uint8_t* p, float* q) {
  const auto* halves = reinterpret_cast<const std::uint16_t*>(p);
  const float d = __half2float(__ushort_as_half(halves[0]));
#pragma unroll
  for (int k = 0; k < 16; ++k) {
    const std::uint16_t pair = halves[1 + k];
    q[2 * k] = static_cast<float>(static_cast<std::int8_t>(pair & 0xff));
    q[2 * k + 1] = static_cast<float>(static_cast<std::int8_t>(pair >> 8));
  }
  return d;
}

// kVectorized: activation rows on 16 bytes with a stride of a multiple of 4 floats.
template <bool kVectorized>
__global__ void matmul_q8_0_kernel(StackedRows w, std::int64_t cols, const float* x,
                                   std::int64_t x_stride, std::int64_t n_tokens, const float* bias,
                                   float* y, std::int64_t y_stride) {
  const int lane = threadIdx.x % 32;
  const std::int64_t row =
      blockIdx.x * static_cast<std::int64_t>(kWarpsPerBlock) + threadIdx.x / 32;
  if (row >= stacked_rows(w)) return;
  const std::int64_t t0 = blockIdx.y * static_cast<std::int64_t>(kTokens);
  const int n = static_cast<int>(n_tokens - t0 < kTokens ? n_tokens - t0 : kTokens);
  const std::int64_t nb = cols / kBlockElements;
  const std::uint8_t* w_row = stacked_row<std::uint8_t>(w, row, nb * kBlockBytes);
  const float* x0 = x + t0 * x_stride;
  float acc[kTokens] = {};
  for (std::int64_t b = lane; b < nb; b += 32) {
    float q[kBlockElements];
    const float d = load_block(w_row + b * kBlockBytes, q);
#pragma unroll
    for (int t = 0; t < kTokens; ++t) {
      if (t >= n) break;
      const float* xb = x0 + t * x_stride + b * kBlockElements;
      float sum = 0.0f;
      if constexpr (kVectorized) {
#pragma unroll
        for (int k = 0; k < kBlockElements; k += 4) {
          const float4 v = *reinterpret_cast<const float4*>(xb + k);
          sum = fmaf(q[k], v.x, sum);
          sum = fmaf(q[k + 1], v.y, sum);
          sum = fmaf(q[k + 2], v.z, sum);
          sum = fmaf(q[k + 3], v.w, sum);
        }
      } else {
#pragma unroll
        for (int k = 0; k < kBlockElements; ++k) sum = fmaf(q[k], xb[k], sum);
      }
      acc[t] = fmaf(d, sum, acc[t]);
    }
  }
#pragma unroll
  for (int t = 0; t < kTokens; ++t) {
    if (t >= n) break;
    const float sum = warp_sum(acc[t]);
    if (lane == 0) y[(t0 + t) * y_stride + row] = sum + (bias != nullptr ? bias[row] : 0.0f);
  }
}

__global__ void embed_q8_0_kernel(const std::uint8_t* table, std::int64_t cols,
                                  const std::int32_t* ids, float* out) {
  const std::int64_t nb = cols / kBlockElements;
  const std::uint8_t* row = table + static_cast<std::int64_t>(ids[blockIdx.x]) * nb * kBlockBytes;
  float* out_row = out + blockIdx.x * cols;
  for (std::int64_t i = threadIdx.x; i < cols; i += blockDim.x) {
    const std::uint8_t* block = row + (i / kBlockElements) * kBlockBytes;
    const float d = __half2float(__ushort_as_half(*reinterpret_cast<const std::uint16_t*>(block)));
    out_row[i] = d * static_cast<float>(static_cast<std::int8_t>(block[2 + i % kBlockElements]));
  }
}

void check_columns(std::int64_t cols) {
  if (cols % kBlockElements != 0) {
    throw Error(ErrorCode::invalid_argument,
                "q8_0 rows hold a multiple of 32 columns, not " + std::to_string(cols));
  }
}

}  // namespace

void matmul_q8_0(const StackedRows& w, std::int64_t cols, const float* x, std::int64_t x_stride,
                 std::int64_t n_tokens, const float* bias, float* y, std::int64_t y_stride,
                 cudaStream_t stream) {
  if (w.rows() == 0 || n_tokens == 0) return;
  check_columns(cols);
  const dim3 grid(blocks_for(w.rows(), kWarpsPerBlock), blocks_for(n_tokens, kTokens));
  const dim3 block(32 * kWarpsPerBlock);
  if (aligned(x, 16) && x_stride % 4 == 0) {
    matmul_q8_0_kernel<true>
        <<<grid, block, 0, stream>>>(w, cols, x, x_stride, n_tokens, bias, y, y_stride);
  } else {
    matmul_q8_0_kernel<false>
        <<<grid, block, 0, stream>>>(w, cols, x, x_stride, n_tokens, bias, y, y_stride);
  }
  check_launch("matmul_q8_0_kernel");
}

void embed_q8_0(const void* table, std::int64_t cols, const std::int32_t* ids, std::int64_t n,
                float* out, cudaStream_t stream) {
  if (n == 0) return;
  check_columns(cols);
  embed_q8_0_kernel<<<static_cast<unsigned>(n), 256, 0, stream>>>(
      static_cast<const std::uint8_t*>(table), cols, ids, out);
  check_launch("embed_q8_0_kernel");
}

}  // namespace r1::ops::cuda
