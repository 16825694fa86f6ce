// The CPU backend's attention and SwiGLU at DeepSeek-R1-Distill-Qwen-1.5B's shape (12 query
// heads, 2 kv heads, head_dim 128, ff 8960, bf16 KV cache), one layer's op per iteration:
// a 512-token causal prefill, decode steps after 512 and 4096 cached positions, and SwiGLU of
// 512 tokens. Arguments: threads. Only the Backend interface is used, so this file also builds
// against older trees for before/after comparisons.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "core/half.h"
#include "ops/backend.h"
#include "ops/cpu_backend.h"

namespace {

using namespace r1;
using namespace r1::ops;

constexpr std::int64_t kHeads = 12, kKvHeads = 2, kHeadDim = 128, kFf = 8960;

std::vector<float> random_floats(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

// n_q queries at the last n_q of n_kv positions.
void run_attention(benchmark::State& state, std::int64_t n_q, std::int64_t n_kv) {
  CpuBackendOptions options;
  options.n_threads = static_cast<int>(state.range(0));
  auto backend = make_cpu_backend(options);
  const std::vector<float> q = random_floats(static_cast<std::size_t>(n_q * kHeads * kHeadDim), 1);
  std::vector<std::uint16_t> k, v;
  for (float x : random_floats(static_cast<std::size_t>(n_kv * kKvHeads * kHeadDim), 2))
    k.push_back(f32_to_bf16(x));
  for (float x : random_floats(static_cast<std::size_t>(n_kv * kKvHeads * kHeadDim), 3))
    v.push_back(f32_to_bf16(x));
  std::vector<std::int32_t> positions;
  for (std::int64_t i = 0; i < n_q; ++i)
    positions.push_back(static_cast<std::int32_t>(n_kv - n_q + i));
  std::vector<float> out(q.size());
  AttentionCall call;
  call.q = q.data();
  const void* k_page = k.data();
  const void* v_page = v.data();
  call.k_pages = &k_page;
  call.v_pages = &v_page;
  call.page_rows = n_kv;
  call.q_positions = positions.data();
  call.out = out.data();
  call.shape = {n_q, n_kv, kHeads, kKvHeads, kHeadDim};
  call.kv_type = DType::bf16;
  for (auto _ : state) {
    backend->attention(std::span(&call, 1));
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * n_q);  // queries per second
}

void BM_AttentionPrefill512(benchmark::State& state) {
  run_attention(state, 512, 512);
}
void BM_AttentionDecodeAfter512(benchmark::State& state) {
  run_attention(state, 1, 513);
}
void BM_AttentionDecodeAfter4096(benchmark::State& state) {
  run_attention(state, 1, 4097);
}

void BM_Swiglu512(benchmark::State& state) {
  CpuBackendOptions options;
  options.n_threads = static_cast<int>(state.range(0));
  auto backend = make_cpu_backend(options);
  const std::vector<float> gate_up = random_floats(static_cast<std::size_t>(512 * 2 * kFf), 4);
  std::vector<float> out(static_cast<std::size_t>(512 * kFf));
  for (auto _ : state) {
    backend->swiglu(gate_up.data(), 512, kFf, out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * 512);  // tokens per second
}

BENCHMARK(BM_AttentionPrefill512)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AttentionDecodeAfter512)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_AttentionDecodeAfter4096)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK(BM_Swiglu512)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
