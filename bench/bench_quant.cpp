// Quantized dot products, one weight row of 4096 (a Qwen2 1.5B hidden row is 1536, its MLP row
// 8960) against a quantized activation row: the scalar reference and each SIMD level this CPU
// runs, and the tiled product (gemm) per SIMD level. Reported as elements per second.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "quant/gemm.h"
#include "quant/quantize.h"
#include "quant/vec_dot_fast.h"

namespace {

using r1::quant::QuantType;
using r1::quant::SimdLevel;

constexpr std::int64_t kN = 4096;

void BM_VecDot(benchmark::State& state, QuantType type, SimdLevel level) {
  if (!r1::quant::simd_level_available(level)) {
    state.SkipWithError("level not available on this CPU");
    return;
  }
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> w(kN), x(kN);
  for (float& v : w) v = normal(rng);
  for (float& v : x) v = normal(rng);
  const QuantType act = r1::quant::vec_dot_activation_type(type);
  std::vector<std::uint8_t> wq(static_cast<std::size_t>(r1::quant::row_bytes(type, kN)));
  std::vector<std::uint8_t> xq(static_cast<std::size_t>(r1::quant::row_bytes(act, kN)));
  r1::quant::quantize_row(type, w.data(), wq.data(), kN);
  r1::quant::quantize_row(act, x.data(), xq.data(), kN);
  for (auto _ : state) {
    benchmark::DoNotOptimize(r1::quant::vec_dot_at(level, type, wq.data(), xq.data(), kN));
  }
  state.SetItemsProcessed(state.iterations() * kN);
}

#define R1_QUANT_BENCH(type)                                                       \
  BENCHMARK_CAPTURE(BM_VecDot, type##_scalar, QuantType::type, SimdLevel::scalar); \
  BENCHMARK_CAPTURE(BM_VecDot, type##_avx2, QuantType::type, SimdLevel::avx2);     \
  BENCHMARK_CAPTURE(BM_VecDot, type##_avx512_vnni, QuantType::type, SimdLevel::avx512_vnni)

R1_QUANT_BENCH(q8_0);
R1_QUANT_BENCH(q4_0);
R1_QUANT_BENCH(q4_1);
R1_QUANT_BENCH(q5_0);
R1_QUANT_BENCH(q5_1);
R1_QUANT_BENCH(q4_k);
R1_QUANT_BENCH(q5_k);
R1_QUANT_BENCH(q6_k);

// The tiled product: 64 rows of 1536 (a Qwen2 1.5B hidden row) against `tokens` activation
// rows, as quant::gemm runs it per thread; items are multiply-adds (rows x tokens x cols).
void BM_Gemm(benchmark::State& state, QuantType type, SimdLevel level) {
  if (!r1::quant::simd_level_available(level)) {
    state.SkipWithError("level not available on this CPU");
    return;
  }
  constexpr std::int64_t kRows = 64;
  constexpr std::int64_t kCols = 1536;
  const std::int64_t tokens = state.range(0);
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const QuantType act = r1::quant::vec_dot_activation_type(type);
  const auto w_row = static_cast<std::size_t>(r1::quant::row_bytes(type, kCols));
  const auto a_row = static_cast<std::size_t>(r1::quant::row_bytes(act, kCols));
  std::vector<float> v(kCols);
  std::vector<std::uint8_t> wq(w_row * kRows), xq(a_row * static_cast<std::size_t>(tokens));
  for (std::int64_t r = 0; r < kRows; ++r) {
    for (float& e : v) e = normal(rng);
    r1::quant::quantize_row(type, v.data(), wq.data() + w_row * r, kCols);
  }
  for (std::int64_t t = 0; t < tokens; ++t) {
    for (float& e : v) e = normal(rng);
    r1::quant::quantize_row(act, v.data(), xq.data() + a_row * t, kCols);
  }
  std::vector<float> y(static_cast<std::size_t>(kRows * tokens));
  for (auto _ : state) {
    r1::quant::gemm_at(level, type, wq.data(), kRows, kCols, xq.data(), tokens, y.data(), kRows);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(state.iterations() * kRows * tokens * kCols);
}

#define R1_GEMM_BENCH(type)                                                                    \
  BENCHMARK_CAPTURE(BM_Gemm, type##_scalar, QuantType::type, SimdLevel::scalar)->Arg(64);      \
  BENCHMARK_CAPTURE(BM_Gemm, type##_avx2, QuantType::type, SimdLevel::avx2)->Arg(1)->Arg(64);  \
  BENCHMARK_CAPTURE(BM_Gemm, type##_avx512_vnni, QuantType::type, SimdLevel::avx512_vnni)      \
      ->Arg(1)                                                                                 \
      ->Arg(64)

R1_GEMM_BENCH(q8_0);
R1_GEMM_BENCH(q4_0);
R1_GEMM_BENCH(q4_k);
R1_GEMM_BENCH(q6_k);

}  // namespace

BENCHMARK_MAIN();
