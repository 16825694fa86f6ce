// Rotary embeddings in place: one block per (token, head), one thread per rotated pair; the
// angle is the fp32 product position * inv_freq and cos / sin are the accurate fp32 functions,
// as rope_reference (and torch) compute them.
#include "ops/cuda/kernels.h"
#include "ops/cuda/launch.h"

namespace r1::ops::cuda {
namespace {

__global__ void rope_kernel(float* x, std::int64_t row_stride, const std::int32_t* positions,
                            std::int64_t n_heads, std::int64_t head_dim, const float* inv_freq,
                            bool interleaved) {
  const std::int64_t t = blockIdx.x / n_heads;
  const std::int64_t h = blockIdx.x % n_heads;
  const std::int64_t half = head_dim / 2;
  float* head = x + t * row_stride + h * head_dim;
  for (std::int64_t i = threadIdx.x; i < half; i += blockDim.x) {
    const float angle = static_cast<float>(positions[t]) * inv_freq[i];
    float sin_a, cos_a;
    sincosf(angle, &sin_a, &cos_a);
    const std::int64_t lo = interleaved ? 2 * i : i;
    const std::int64_t hi = interleaved ? 2 * i + 1 : i + half;
    const float x1 = head[lo];
    const float x2 = head[hi];
    head[lo] = x1 * cos_a - x2 * sin_a;
    head[hi] = x2 * cos_a + x1 * sin_a;
  }
}

}  // namespace

void rope(float* x, std::int64_t row_stride, const std::int32_t* positions, std::int64_t n,
          std::int64_t n_heads, std::int64_t head_dim, const float* inv_freq, RopeLayout layout,
          cudaStream_t stream) {
  if (n * n_heads == 0) return;
  const int threads = head_dim / 2 >= 64 ? 64 : 32;
  rope_kernel<<<static_cast<unsigned>(n * n_heads), threads, 0, stream>>>(
      x, row_stride, positions, n_heads, head_dim, inv_freq, layout == RopeLayout::interleaved);
  check_launch("rope_kernel");
}

}  // namespace r1::ops::cuda
