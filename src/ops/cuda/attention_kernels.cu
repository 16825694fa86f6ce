// Causal grouped-query attention over a paged KV cache for every query of a batch at once (each
// with its own sequence's rows and pages: AttentionQuery), one block per (query head, query,
// split):
// its warps take the keys in turn (key j to warp j % warps), each keeping an online softmax
// (running max, sum of exponentials, weighted sum of values) in fp32, and the block merges the
// warps' partial results at the end. Lane l holds dimensions l, l + 32, ... of the head.
// Few queries over a long cache (decode) would leave most of the GPU idle with one block per
// head and query, each walking every key: there the keys are split into runs of kSplitKeys, a
// block per run writes its partial softmax (max, sum, unnormalized values) to a scratch buffer,
// and a second kernel merges the runs (flash-decoding's split-K).
#include <cmath>

#include "ops/cuda/device_math.cuh"
#include "ops/cuda/kernels.h"
#include "ops/cuda/launch.h"
#include "r1/error.h"

namespace r1::ops::cuda {
namespace {

constexpr int kWarps = 4;
constexpr int kDimsPerLane = static_cast<int>(kMaxHeadDim / 32);
constexpr std::int64_t kSplitKeys = 256;  // keys per block when a query's keys are split
// Split when the blocks of an unsplit launch (heads x queries) would be fewer than this.
constexpr std::int64_t kSplitBelowBlocks = 512;

// A run's partial result: the softmax's running max and sum over the run, then the head_dim
// unnormalized value sums, at scratch + ((query * n_heads + head) * n_splits + split) * stride.
struct Partials {
  float* scratch = nullptr;
  std::int64_t n_splits = 1;
  std::int64_t stride = 0;  // floats per partial: head_dim + 2
};

// What all the queries of a launch share; each query's own rows and pages come from its
// AttentionQuery (kernels.h).
struct Args {
  const AttentionQuery* queries;
  std::int64_t page_rows;
  std::int64_t n_heads, n_kv_heads, head_dim;
  float scale;
};

// kSplit: blockIdx.z is the run of keys, and the result goes to p as a partial.
template <typename KV, bool kSplit>
__global__ void attention_kernel(Args a, Partials p) {
  __shared__ float warp_max_score[kWarps];
  __shared__ float warp_sum_exp[kWarps];
  __shared__ float warp_values[kWarps][kMaxHeadDim];
  const int lane = threadIdx.x % 32;
  const int warp = threadIdx.x / 32;
  const std::int64_t h = blockIdx.x;
  const std::int64_t query = blockIdx.y;
  const AttentionQuery ref = a.queries[query];
  const std::int64_t kv_head = h / (a.n_heads / a.n_kv_heads);
  const std::int64_t kv_width = a.n_kv_heads * a.head_dim;
  const float* q = ref.q + h * a.head_dim;
  const std::int64_t n_keys_all = static_cast<std::int64_t>(*ref.position) + 1;
  const std::int64_t first_key = kSplit ? blockIdx.z * kSplitKeys : 0;
  const std::int64_t n_keys =
      kSplit ? (n_keys_all < first_key + kSplitKeys ? n_keys_all : first_key + kSplitKeys)
             : n_keys_all;

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
  for (std::int64_t key = first_key + warp; key < n_keys; key += kWarps) {
    const std::int64_t page = key / a.page_rows;
    const std::int64_t offset = (key - page * a.page_rows) * kv_width + kv_head * a.head_dim;
    const KV* k = static_cast<const KV*>(ref.k_pages[page]) + offset;
    const KV* v = static_cast<const KV*>(ref.v_pages[page]) + offset;
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
  float denominator = 0.0f;
  for (int w = 0; w < kWarps; ++w) {
    if (warp_max_score[w] == -INFINITY) continue;  // a warp that saw no key
    denominator = fmaf(warp_sum_exp[w], expf(warp_max_score[w] - block_max), denominator);
  }
  float* out = ref.out + h * a.head_dim;
  float* partial = nullptr;
  if constexpr (kSplit) {
    partial = p.scratch + ((query * a.n_heads + h) * p.n_splits + blockIdx.z) * p.stride;
    if (threadIdx.x == 0) {
      partial[0] = block_max;  // -inf: a run past this query's keys
      partial[1] = denominator;
    }
  }
  for (std::int64_t d = threadIdx.x; d < a.head_dim; d += blockDim.x) {
    float numerator = 0.0f;
    for (int w = 0; w < kWarps; ++w) {
      if (warp_max_score[w] == -INFINITY) continue;
      numerator = fmaf(warp_values[w][d], expf(warp_max_score[w] - block_max), numerator);
    }
    if constexpr (kSplit) {
      partial[2 + d] = numerator;
    } else {
      out[d] = numerator / denominator;
    }
  }
}

// One block per (query head, query): the runs' partials merged as the warps' are.
__global__ void merge_splits_kernel(Args a, Partials p) {
  const std::int64_t h = blockIdx.x;
  const std::int64_t query = blockIdx.y;
  const float* partials = p.scratch + (query * a.n_heads + h) * p.n_splits * p.stride;
  float max_score = -INFINITY;
  for (std::int64_t s = 0; s < p.n_splits; ++s)
    max_score = fmaxf(max_score, partials[s * p.stride]);
  float* out = a.queries[query].out + h * a.head_dim;
  for (std::int64_t d = threadIdx.x; d < a.head_dim; d += blockDim.x) {
    float numerator = 0.0f;
    float denominator = 0.0f;
    for (std::int64_t s = 0; s < p.n_splits; ++s) {
      const float* run = partials + s * p.stride;
      if (run[0] == -INFINITY) continue;
      const float f = expf(run[0] - max_score);
      numerator = fmaf(run[2 + d], f, numerator);
      denominator = fmaf(run[1], f, denominator);
    }
    out[d] = numerator / denominator;
  }
}

// The split scratch of the current device, grown as needed (cudaFree waits for the kernels still
// reading the old one). Device memory of its own (device_buffer.h is C++20, these files C++17).
float* split_scratch(std::size_t floats) {
  static void* scratch = nullptr;
  static std::size_t capacity = 0;
  const std::size_t bytes = floats * sizeof(float);
  if (capacity < bytes) {
    if (scratch != nullptr) check_cuda(cudaFree(scratch), "cudaFree of the attention scratch");
    scratch = nullptr;
    capacity = 0;
    check_cuda(cudaMalloc(&scratch, 2 * bytes), "cudaMalloc of the attention scratch");
    capacity = 2 * bytes;
  }
  return static_cast<float*>(scratch);
}

template <typename KV>
void launch(const Args& a, std::int64_t n_q, std::int64_t n_kv, cudaStream_t stream) {
  const std::int64_t n_splits = (n_kv + kSplitKeys - 1) / kSplitKeys;
  if (n_splits <= 1 || a.n_heads * n_q >= kSplitBelowBlocks) {
    const dim3 grid(static_cast<unsigned>(a.n_heads), static_cast<unsigned>(n_q));
    attention_kernel<KV, false><<<grid, 32 * kWarps, 0, stream>>>(a, Partials{});
    check_launch("attention_kernel");
    return;
  }
  Partials p;
  p.n_splits = n_splits;
  p.stride = a.head_dim + 2;
  p.scratch = split_scratch(static_cast<std::size_t>(a.n_heads * n_q * n_splits * p.stride));
  const dim3 grid(static_cast<unsigned>(a.n_heads), static_cast<unsigned>(n_q),
                  static_cast<unsigned>(n_splits));
  attention_kernel<KV, true><<<grid, 32 * kWarps, 0, stream>>>(a, p);
  check_launch("attention_kernel (split)");
  const dim3 merge_grid(static_cast<unsigned>(a.n_heads), static_cast<unsigned>(n_q));
  merge_splits_kernel<<<merge_grid, 128, 0, stream>>>(a, p);
  check_launch("merge_splits_kernel");
}

}  // namespace

void attention_queries(const AttentionQuery* queries, std::int64_t n_queries, std::int64_t max_keys,
                       const AttentionLayout& layout, cudaStream_t stream) {
  if (n_queries == 0) return;
  if (layout.head_dim > kMaxHeadDim || layout.head_dim <= 0 || layout.n_kv_heads <= 0 ||
      layout.n_heads % layout.n_kv_heads != 0) {
    throw Error(ErrorCode::unsupported,
                "the CUDA attention kernel takes head_dim up to " + std::to_string(kMaxHeadDim) +
                    " and n_heads a multiple of n_kv_heads; got head_dim " +
                    std::to_string(layout.head_dim) + ", " + std::to_string(layout.n_heads) +
                    " / " + std::to_string(layout.n_kv_heads) + " heads");
  }
  const Args a{queries,         layout.page_rows,
               layout.n_heads,  layout.n_kv_heads,
               layout.head_dim, 1.0f / std::sqrt(static_cast<float>(layout.head_dim))};
  switch (layout.kv_type) {
    case DType::f32:
      return launch<float>(a, n_queries, max_keys, stream);
    case DType::f16:
      return launch<__half>(a, n_queries, max_keys, stream);
    case DType::bf16:
      return launch<__nv_bfloat16>(a, n_queries, max_keys, stream);
    default:
      throw Error(ErrorCode::unsupported, std::string("the CUDA attention kernel reads f32, f16 "
                                                      "and bf16 caches, not ") +
                                              dtype_cli_name(layout.kv_type));
  }
}

}  // namespace r1::ops::cuda
