// The VDPBF16PS / VFMADD231PS rate measurement of bf16_dot_rate.h: 12 independent accumulator
// chains of each instruction (enough to cover either's latency on two ports), all in registers
// (no barrier inside the loops: without -ffast-math the chains cannot be folded, and keep()
// makes their results observable), timed with the steady clock, best of 3.
#include "ops/cpu/bf16_dot_rate.h"

#include <immintrin.h>

#include <algorithm>
#include <chrono>

#include "core/cpu_info.h"

namespace r1::ops::cpu {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kIterations = 20000;  // x 12 instructions: ~0.1-0.2 ms per loop

double seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Makes the accumulators' final values observable, so the loops cannot be dropped.
__attribute__((target("avx512f"))) void keep(const __m512* a) {
  alignas(64) float lanes[16];
  for (int i = 0; i < 12; ++i) {
    _mm512_store_ps(lanes, a[i]);
    __asm__ volatile("" : : "r"(lanes) : "memory");
  }
}

/// Seconds for kIterations steps of 12 chains of VDPBF16PS (Bf16Dot) or VFMADD231PS.
template <bool Bf16Dot>
__attribute__((target("avx512f,avx512bf16"))) double chain_seconds() {
  __m512 a[12];
  for (int i = 0; i < 12; ++i) a[i] = _mm512_set1_ps(0.001f * static_cast<float>(i));
  __m512 x = _mm512_set1_ps(1.0f), y = _mm512_set1_ps(0.0f);
  __m512i bits = _mm512_set1_epi16(0x3F80);  // bf16 1.0
  __asm__ volatile("" : "+v"(x), "+v"(y), "+v"(bits));  // opaque: nothing folds at compile time
  const auto ones = reinterpret_cast<__m512bh&>(bits);
  const auto start = Clock::now();
  for (int n = 0; n < kIterations; ++n) {
    for (auto& v : a) v = Bf16Dot ? _mm512_dpbf16_ps(v, ones, ones) : _mm512_fmadd_ps(v, x, y);
  }
  const double s = seconds(start);
  keep(a);
  return s;
}

}  // namespace

double bf16_dot_flops_over_fma() {
  const CpuFeatures& f = cpu_features();
  if (!f.avx512bf16 || !f.avx512f) return 0.0;
  double fma = 1e9, dot = 1e9;
  chain_seconds<false>();  // warm-up: the 512-bit units' power-up and clock change
  for (int rep = 0; rep < 3; ++rep) {  // alternately, so that a clock change hits both
    fma = std::min(fma, chain_seconds<false>());
    dot = std::min(dot, chain_seconds<true>());
  }
  // VDPBF16PS: 32 pairs = 64 flops per instruction; VFMADD231PS: 16 lanes x 2.
  return (64.0 / dot) / (32.0 / fma);
}

bool bf16_dot_outruns_fma() {
  static const bool outruns = bf16_dot_flops_over_fma() >= 1.5;
  return outruns;
}

}  // namespace r1::ops::cpu
