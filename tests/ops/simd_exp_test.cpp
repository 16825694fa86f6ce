// The vectorized exp (simd_exp.h) that softmax and SiLU use, on every instruction set this
// processor runs: within 2 ulp of the correctly rounded exp over the range they use, the limits
// (0, inf, NaN) kept; and the SwiGLU rows built on it against the scalar std::exp rows.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "ops/cpu/matmul_kernels.h"
#include "ops/cpu/swiglu_kernels.h"
#include "ops/cpu/vector_ops.h"
#include "ops_test_support.h"

namespace r1::ops {
namespace {

using cpu::CpuIsa;
using test_support::supported_isas;

// Distance in representable floats (both finite and of the same sign here).
std::int64_t ulp_distance(float a, float b) {
  std::int32_t ia, ib;
  std::memcpy(&ia, &a, 4);
  std::memcpy(&ib, &b, 4);
  return std::abs(static_cast<std::int64_t>(ia) - static_cast<std::int64_t>(ib));
}

TEST(SimdExp, WithinTwoUlpOfTheCorrectlyRoundedExp) {
  // Every 1/1024 over [-87, 88] (where exp is a normal float), plus random points; lengths that
  // leave vector tails.
  std::vector<float> x;
  for (float v = -87.0f; v <= 88.0f; v += 1.0f / 1024.0f) x.push_back(v);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> uniform(-87.0f, 88.0f);
  for (int i = 0; i < 100003; ++i) x.push_back(uniform(rng));
  for (float v : {0.0f, -0.0f, 1e-30f, -1e-30f, 1e-7f, -1e-7f}) x.push_back(v);
  for (CpuIsa isa : supported_isas()) {
    std::vector<float> ours(x.size());
    cpu::exp_kernel(isa)(x.data(), static_cast<std::int64_t>(x.size()), ours.data());
    std::int64_t worst = 0;
    float worst_x = 0.0f;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const auto exact = static_cast<float>(std::exp(static_cast<double>(x[i])));
      const std::int64_t ulps = ulp_distance(ours[i], exact);
      if (ulps > worst) {
        worst = ulps;
        worst_x = x[i];
      }
    }
    EXPECT_LE(worst, 2) << cpu::isa_name(isa) << " worst at x = " << worst_x;
  }
}

TEST(SimdExp, LimitsAreThoseOfStdExp) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> x = {-inf,    -1000.0f, -104.5f, inf,
                                1000.0f, 89.5f,    0.0f,    std::numeric_limits<float>::quiet_NaN(),
                                -100.0f, -88.0f,   88.5f};
  for (CpuIsa isa : supported_isas()) {
    std::vector<float> ours(x.size());
    cpu::exp_kernel(isa)(x.data(), static_cast<std::int64_t>(x.size()), ours.data());
    const std::string what = cpu::isa_name(isa);
    EXPECT_EQ(ours[0], 0.0f) << what;
    EXPECT_EQ(ours[1], 0.0f) << what;
    EXPECT_EQ(ours[2], 0.0f) << what;
    EXPECT_EQ(ours[3], inf) << what;
    EXPECT_EQ(ours[4], inf) << what;
    EXPECT_EQ(ours[5], inf) << what;
    EXPECT_EQ(ours[6], 1.0f) << what;
    EXPECT_TRUE(std::isnan(ours[7])) << what;
    // Denormal results: close to std::exp in absolute terms (both far below FLT_MIN).
    for (int i : {8, 9}) EXPECT_NEAR(ours[i], std::exp(x[i]), 1e-44f) << what << " " << x[i];
    EXPECT_NEAR(ours[10], std::exp(x[10]), std::exp(x[10]) * 3e-7f) << what;
  }
}

TEST(SimdSwiglu, MatchesTheScalarRowsForEveryIsaAndLength) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 4.0f);
  for (std::int64_t ff : {1, 7, 8, 15, 16, 17, 37, 100, 8960}) {
    std::vector<float> gate(ff), up(ff);
    for (float& g : gate) g = normal(rng);
    for (float& u : up) u = normal(rng);
    gate[0] = -100.0f;  // exp(-gate) overflows: silu -> -0
    if (ff > 1) gate[1] = 100.0f;
    std::vector<float> expected(ff);
    cpu::swiglu_row(gate.data(), up.data(), ff, expected.data());
    for (CpuIsa isa : supported_isas()) {
      std::vector<float> ours(ff);
      cpu::swiglu_kernel(isa)(gate.data(), up.data(), ff, ours.data());
      for (std::int64_t j = 0; j < ff; ++j) {
        ASSERT_NEAR(ours[j], expected[j], 5e-7f * std::abs(expected[j]) + 1e-30f)
            << cpu::isa_name(isa) << " ff " << ff << " at " << j << " gate " << gate[j];
      }
    }
  }
}

}  // namespace
}  // namespace r1::ops
