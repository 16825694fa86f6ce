// Quantized dot products, one weight row of 4096 (a Qwen2 1.5B hidden row is 1536, its MLP row
// 8960) against a quantized activation row: the scalar reference and each SIMD level this CPU
// runs. Reported as elements per second.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

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
R1_QUANT_BENCH(q4_k);

}  // namespace

BENCHMARK_MAIN();
