// Causal grouped-query attention over a paged KV cache, one block per (query head, query): its
// warps take the keys in turn (key j to warp j % warps), each keeping an online softmax (running
// max, sum of exponentials, weighted sum of values) in fp32, and the block merges the warps'
// partial results at the end. Lane l holds dimensions l, l + 32, ... of the head.
// Not split across blocks along the sequence yet (flash-decoding's split-K for long contexts).
#include <cmath>

#include "ops/cuda/device_math.cuh"
#include "ops/cuda/kernels.h"
#include "ops/cuda/launch.h"
#include "r1/error.h"

namespace r1::ops::cuda {
namespace {

constexpr int kWarps = 4;
constexpr int kDimsPerLane = static_cast<int>(kMaxHeadDim / 32);

struct Args {
  const float* q;
  const void* const* k_pages;
  const void* const* v_pages;
  std::int64_t page_rows;
  const std::int32_t* q_positions;
  float* out;
  std::int64_t n_heads, n_kv_heads, head_dim, q_stride, out_stride;
  float scale;
};

template <typename KV>
__global__ void attention_kernel(Args a) {
  __shared__ float warp_max_score[kWarps];
  __shared__ float warp_sum_exp[kWarps];
  __shared__ float warp_values[kWarps][kMaxHeadDim];
  const int lane = threadIdx.x % 32;
  const int warp = threadIdx.x / 32;
  const std::int64_t h = blockIdx.x;
  const std::int64_t query = blockIdx.y;
  const std::int64_t kv_head = h / (a.n_heads / a.n_kv_heads);
  const std::int64_t kv_width = a.n_kv_heads * a.head_dim;
  const float* q = a.q + query * a.q_stride + h * a.head_dim;
  const std::int64_t n_keys = static_cast<std::int64_t>(a.q_positions[query]) + 1;

  float qv[kDimsPerLane];
  float acc[kDimsPerLane];
#pragma unroll
  for (int j = 0; j < kDimsPerLane; ++j) {
    const std::int64_t d = lane + 32 * j;
    qv[j] = d < a.head_dim ? q[d] : 0.0f;
    acc[j] = 0.0f;
  }
  float max_score = -INFINITY;
  float sum_exp = 0.0f;
  for (std::int64_t key = warp; key < n_keys; key += kWarps) {
    const std::int64_t page = key / a.page_rows;
    const std::int64_t offset = (key - page * a.page_rows) * kv_width + kv_head * a.head_dim;
    const KV* k = static_cast<const KV*>(a.k_pages[page]) + offset;
    const KV* v = static_cast<const KV*>(a.v_pages[page]) + offset;
    float partial = 0.0f;
#pragma unroll
    for (int j = 0; j < kDimsPerLane; ++j) {
      const std::int64_t d = lane + 32 * j;
      if (d < a.head_dim) partial = fmaf(qv[j], to_float(k[d]), partial);
    }
    const float score = warp_sum(partial) * a.scale;
    const float new_max = fmaxf(max_score, score);
    const float correction = expf(max_score - new_max);  // 0 for the first key
    const float weight = expf(score - new_max);
    sum_exp = sum_exp * correction + weight;
#pragma unroll
    for (int j = 0; j < kDimsPerLane; ++j) {
      const std::int64_t d = lane + 32 * j;
      if (d < a.head_dim) acc[j] = fmaf(weight, to_float(v[d]), acc[j] * correction);
    }
    max_score = new_max;
  }
  if (lane == 0) {
    warp_max_score[warp] = max_score;
    warp_sum_exp[warp] = sum_exp;
  }
#pragma unroll
  for (int j = 0; j < kDimsPerLane; ++j) {
    const std::int64_t d = lane + 32 * j;
    if (d < a.head_dim) warp_values[warp][d] = acc[j];
  }
  __syncthreads();
  float block_max = -INFINITY;
  for (int w = 0; w < kWarps; ++w) block_max = fmaxf(block_max, warp_max_score[w]);
  float* out = a.out + query * a.out_stride + h * a.head_dim;
  for (std::int64_t d = threadIdx.x; d < a.head_dim; d += blockDim.x) {
    float numerator = 0.0f;
    float denominator = 0.0f;
    for (int w = 0; w < kWarps; ++w) {
      if (warp_max_score[w] == -INFINITY) continue;  // a warp that saw no key
      const float f = expf(warp_max_score[w] - block_max);
      numerator = fmaf(warp_values[w][d], f, numerator);
      denominator = fmaf(warp_sum_exp[w], f, denominator);
    }
    out[d] = numerator / denominator;
  }
}

}  // namespace

void attention(const AttentionCall& call, cudaStream_t stream) {
  const AttentionShape& s = call.shape;
  if (s.n_q == 0) return;
  if (s.head_dim > kMaxHeadDim || s.head_dim <= 0 || s.n_kv_heads <= 0 ||
      s.n_heads % s.n_kv_heads != 0) {
    throw Error(ErrorCode::unsupported,
                "the CUDA attention kernel takes head_dim up to " + std::to_string(kMaxHeadDim) +
                    " and n_heads a multiple of n_kv_heads; got head_dim " +
                    std::to_string(s.head_dim) + ", " + std::to_string(s.n_heads) + " / " +
                    std::to_string(s.n_kv_heads) + " heads");
  }
  Args a{call.q,
         call.k_pages,
         call.v_pages,
         call.page_rows,
         call.q_positions,
         call.out,
         s.n_heads,
         s.n_kv_heads,
         s.head_dim,
         s.q_stride != 0 ? s.q_stride : s.n_heads * s.head_dim,
         s.out_stride != 0 ? s.out_stride : s.n_heads * s.head_dim,
         1.0f / std::sqrt(static_cast<float>(s.head_dim))};
  const dim3 grid(static_cast<unsigned>(s.n_heads), static_cast<unsigned>(s.n_q));
  switch (call.kv_type) {
    case DType::f32:
      attention_kernel<float><<<grid, 32 * kWarps, 0, stream>>>(a);
      break;
    case DType::f16:
      attention_kernel<__half><<<grid, 32 * kWarps, 0, stream>>>(a);
      break;
    case DType::bf16:
      attention_kernel<__nv_bfloat16><<<grid, 32 * kWarps, 0, stream>>>(a);
      break;
    default:
      throw Error(ErrorCode::unsupported, std::string("the CUDA attention kernel reads f32, f16 "
                                                      "and bf16 caches, not ") +
                                              dtype_cli_name(call.kv_type));
  }
  check_launch("attention_kernel");
}

}  // namespace r1::ops::cuda
