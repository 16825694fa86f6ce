// Helpers the ops tests share: the instruction sets this CPU runs, and reproducible random inputs.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "ops/cpu/matmul_kernels.h"

namespace r1::ops::test_support {

inline std::vector<cpu::CpuIsa> supported_isas() {
  std::vector<cpu::CpuIsa> isas;
  for (cpu::CpuIsa isa : {cpu::CpuIsa::scalar, cpu::CpuIsa::avx2, cpu::CpuIsa::avx512})
    if (cpu::isa_supported(isa)) isas.push_back(isa);
  return isas;
}

/// n normal values with standard deviation `scale`, the same for the same seed.
inline std::vector<float> random_floats(std::size_t n, std::uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

}  // namespace r1::ops::test_support
