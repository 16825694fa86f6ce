// Element-wise ops: the residual add and SwiGLU over the fused gate | up rows.
#include "ops/cuda/kernels.h"
#include "ops/cuda/launch.h"

namespace r1::ops::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void add_kernel(float* x, const float* y, std::int64_t n) {
  const std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
  if (i < n) x[i] += y[i];
}

// One thread per output element of [n, ff]; gate at row * 2ff + j, up at row * 2ff + ff + j.
__global__ void swiglu_kernel(const float* gate_up, std::int64_t n, std::int64_t ff, float* out) {
  const std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
  if (i >= n * ff) return;
  const std::int64_t t = i / ff;
  const std::int64_t j = i - t * ff;
  const float g = gate_up[t * 2 * ff + j];
  const float u = gate_up[t * 2 * ff + ff + j];
  out[i] = g / (1.0f + expf(-g)) * u;  // silu(g) * u, silu(x) = x * sigmoid(x)
}

}  // namespace

void add(float* x, const float* y, std::int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  add_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream>>>(x, y, n);
  check_launch("add_kernel");
}

void swiglu(const float* gate_up, std::int64_t n, std::int64_t ff, float* out,
            cudaStream_t stream) {
  if (n * ff == 0) return;
  swiglu_kernel<<<blocks_for(n * ff, kThreads), kThreads, 0, stream>>>(gate_up, n, ff, out);
  check_launch("swiglu_kernel");
}

}  // namespace r1::ops::cuda
