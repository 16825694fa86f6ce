// The activation quantizers quantize_row picks at run time (AVX-512 where the CPU has it)
// against the scalar reference (itself checked against ggml in reference_cases_test), byte for
// byte: random rows of several magnitudes, and rows built so that x * id lands exactly on .5
// (q8_0 / q8_1's roundf rounds those away from zero, q8_k's nearest_int to even).
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "quant/blocks.h"
#include "quant/quantize.h"
#include "quant/reference_kernels.h"

namespace r1::quant {
namespace {

void expect_same_as_reference(const std::vector<float>& x, const char* what) {
  const auto nb = static_cast<std::int64_t>(x.size() / 32);
  std::vector<BlockQ8_0> fast0(static_cast<std::size_t>(nb)), ref0(fast0.size());
  quantize_row(QuantType::q8_0, x.data(), fast0.data(), static_cast<std::int64_t>(x.size()));
  ref::quantize_q8_0(x.data(), ref0.data(), nb);
  EXPECT_EQ(std::memcmp(fast0.data(), ref0.data(), fast0.size() * sizeof(BlockQ8_0)), 0)
      << "q8_0 " << what;
  std::vector<BlockQ8_1> fast1(static_cast<std::size_t>(nb)), ref1(fast1.size());
  quantize_row(QuantType::q8_1, x.data(), fast1.data(), static_cast<std::int64_t>(x.size()));
  ref::quantize_q8_1(x.data(), ref1.data(), nb);
  EXPECT_EQ(std::memcmp(fast1.data(), ref1.data(), fast1.size() * sizeof(BlockQ8_1)), 0)
      << "q8_1 " << what;
  if (x.size() % kBlockK != 0) return;
  const auto nk = static_cast<std::int64_t>(x.size() / kBlockK);
  std::vector<BlockQ8K> fast_k(static_cast<std::size_t>(nk)), ref_k(fast_k.size());
  quantize_row(QuantType::q8_k, x.data(), fast_k.data(), static_cast<std::int64_t>(x.size()));
  ref::quantize_q8_k(x.data(), ref_k.data(), nk);
  EXPECT_EQ(std::memcmp(fast_k.data(), ref_k.data(), fast_k.size() * sizeof(BlockQ8K)), 0)
      << "q8_k " << what;
}

TEST(ActivationQuantize, MatchesTheReferenceOnRandomRows) {
  std::mt19937 rng(11);
  for (float scale : {1e-6f, 0.01f, 1.0f, 37.0f, 3e4f}) {
    std::normal_distribution<float> normal(0.0f, scale);
    std::vector<float> x(32 * 48);  // 6 q8_k blocks
    for (float& v : x) v = normal(rng);
    for (std::size_t i = 0; i < x.size(); i += 97) x[i] = 0.0f;
    std::fill(x.begin() + 64, x.begin() + 96, 0.0f);    // an all-zero q8_0 block: d = 0
    std::fill(x.begin() + 512, x.begin() + 768, 0.0f);  // an all-zero q8_k block
    // q8_k's scale follows the first element of largest magnitude, with its sign: ties of
    // opposite signs in block 3, the negative one first.
    x[768 + 40] = -8 * scale;
    x[768 + 200] = 8 * scale;
    expect_same_as_reference(x, "random");
  }
}

TEST(ActivationQuantize, HalvesRoundAwayFromZero) {
  // amax 127 gives d = 1 and id = 1, so x * id is x itself: every k + 0.5.
  std::vector<float> x(64);
  for (int j = 0; j < 64; ++j) x[static_cast<std::size_t>(j)] = (j % 2 ? -1.0f : 1.0f) * (j + 0.5f);
  x[0] = 127.0f;
  x[32] = -127.0f;
  expect_same_as_reference(x, "ties");
  std::vector<BlockQ8_0> q(2);
  quantize_row(QuantType::q8_0, x.data(), q.data(), 64);
  EXPECT_EQ(q[0].qs[2], 3) << "2.5 rounds to 3, not to even 2";
  EXPECT_EQ(q[0].qs[1], -2) << "-1.5 rounds to -2";
}

TEST(ActivationQuantize, Q8KHalvesRoundToEven) {
  // max -127 gives iscale 1, so x * iscale is x itself: every k + 0.5, both signs.
  std::vector<float> x(kBlockK);
  for (int j = 0; j < kBlockK; ++j) {
    x[static_cast<std::size_t>(j)] = (j % 2 ? -1.0f : 1.0f) * static_cast<float>(j % 120) + 0.5f;
  }
  x[7] = -127.0f;
  expect_same_as_reference(x, "q8_k ties");
  std::vector<BlockQ8K> q(1);
  quantize_row(QuantType::q8_k, x.data(), q.data(), kBlockK);
  EXPECT_EQ(q[0].qs[2], 2) << "2.5 rounds to even 2";
  EXPECT_EQ(q[0].qs[1], 0) << "-0.5 rounds to even 0";
  EXPECT_EQ(q[0].qs[3], -2) << "-2.5 rounds to even -2";
}

}  // namespace
}  // namespace r1::quant
