// RMSNorm (and the residual add fused before it): one block per row; the sum of squares in fp32
// over the block, then weight * (x * rsqrt(mean + eps)) as Qwen2RMSNorm (rmsnorm_reference).
#include "ops/cuda/device_math.cuh"
#include "ops/cuda/kernels.h"
#include "ops/cuda/launch.h"

namespace r1::ops::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void rmsnorm_kernel(const float* x, const float* weight, std::int64_t dim, float eps,
                               float* out) {
  __shared__ float scratch[32];
  const float* row = x + blockIdx.x * dim;
  float* out_row = out + blockIdx.x * dim;
  float sum_squares = 0.0f;
  for (std::int64_t i = threadIdx.x; i < dim; i += blockDim.x) sum_squares += row[i] * row[i];
  sum_squares = block_sum(sum_squares, scratch);
  const float scale = 1.0f / sqrtf(sum_squares / static_cast<float>(dim) + eps);
  for (std::int64_t i = threadIdx.x; i < dim; i += blockDim.x)
    out_row[i] = weight[i] * (row[i] * scale);
}

// x += residual as it is read (kept in x), then as rmsnorm_kernel: each thread reads back only
// the elements it wrote, so the numbers are those of add_kernel then rmsnorm_kernel.
__global__ void add_rmsnorm_kernel(float* x, const float* y, const float* weight, std::int64_t dim,
                                   float eps, float* out) {
  __shared__ float scratch[32];
  float* row = x + blockIdx.x * dim;
  const float* add_row = y + blockIdx.x * dim;
  float* out_row = out + blockIdx.x * dim;
  float sum_squares = 0.0f;
  for (std::int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
    const float v = row[i] + add_row[i];
    row[i] = v;
    sum_squares += v * v;
  }
  sum_squares = block_sum(sum_squares, scratch);
  const float scale = 1.0f / sqrtf(sum_squares / static_cast<float>(dim) + eps);
  for (std::int64_t i = threadIdx.x; i < dim; i += blockDim.x)
    out_row[i] = weight[i] * (row[i] * scale);
}

}  // namespace

void add_rmsnorm(float* x, const float* y, const float* weight, std::int64_t n, std::int64_t dim,
                 float eps, float* out, cudaStream_t stream) {
  if (n == 0) return;
  add_rmsnorm_kernel<<<static_cast<unsigned>(n), kThreads, 0, stream>>>(x, y, weight, dim, eps,
                                                                        out);
  check_launch("add_rmsnorm_kernel");
}

void rmsnorm(const float* x, const float* weight, std::int64_t n, std::int64_t dim, float eps,
             float* out, cudaStream_t stream) {
  if (n == 0) return;
  rmsnorm_kernel<<<static_cast<unsigned>(n), kThreads, 0, stream>>>(x, weight, dim, eps, out);
  check_launch("rmsnorm_kernel");
}

}  // namespace r1::ops::cuda
