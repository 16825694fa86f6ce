// The SIMD dot products against the scalar reference, bit for bit, at every level this CPU
// runs: on the fixture's rows and on random blocks covering every byte value (-128 included,
// which ggml's quantizers never write but a file may hold).
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "core/half.h"
#include "quant/blocks.h"
#include "quant/quant_fixture.h"
#include "quant/quantize.h"
#include "quant/random_blocks.h"
#include "quant/vec_dot_fast.h"
#include "r1/error.h"

namespace r1::quant {
namespace {

constexpr SimdLevel kLevels[] = {SimdLevel::scalar, SimdLevel::avx2, SimdLevel::avx512_vnni};
constexpr QuantType kKernelTypes[] = {QuantType::q8_0, QuantType::q4_0, QuantType::q4_1,
                                      QuantType::q5_0, QuantType::q5_1, QuantType::q4_k,
                                      QuantType::q5_k, QuantType::q6_k};

std::uint32_t bits(float f) {
  return test::float_bits(f);
}

using test::random_row;

TEST(QuantVecDotFast, LevelsAndDispatch) {
  EXPECT_TRUE(simd_level_available(SimdLevel::scalar));
  EXPECT_TRUE(simd_level_available(best_simd_level()));
  std::printf("  best SIMD level on this CPU: %s\n", simd_level_name(best_simd_level()));
  EXPECT_EQ(vec_dot_kernel_level(SimdLevel::avx512_vnni, QuantType::q4_k), SimdLevel::avx2);
  EXPECT_EQ(vec_dot_kernel_level(SimdLevel::avx512_vnni, QuantType::q6_k), SimdLevel::avx2);
  EXPECT_EQ(vec_dot_kernel_level(SimdLevel::scalar, QuantType::q5_k), SimdLevel::scalar);
  EXPECT_EQ(vec_dot_kernel_level(SimdLevel::avx2, QuantType::q8_0), SimdLevel::avx2);
  for (SimdLevel level : kLevels) {
    if (simd_level_available(level)) continue;
    std::vector<std::uint8_t> zeros(1024);
    EXPECT_THROW(vec_dot_at(level, QuantType::q8_0, zeros.data(), zeros.data(), 32), Error);
  }
}

TEST(QuantVecDotFast, EqualsScalarOnFixtureRows) {
  const auto& fixture = test::quant_fixture();
  for (SimdLevel level : kLevels) {
    if (!simd_level_available(level)) continue;
    for (const auto& dot : fixture.dots) {
      const auto& w = fixture.row(dot.weights).types.at(dot.weight_type).blocks;
      const auto& a = fixture.row(dot.activations).types.at(dot.activation_type).blocks;
      const std::int64_t n = fixture.row(dot.weights).n;
      EXPECT_EQ(bits(vec_dot_at(level, dot.weight_type, w.data(), a.data(), n)), bits(dot.scalar))
          << simd_level_name(level) << " " << quant_type_name(dot.weight_type) << " "
          << dot.weights;
    }
  }
}

TEST(QuantVecDotFast, EqualsScalarOnRandomBlocks) {
  std::mt19937_64 rng(99);
  int compared = 0;
  for (QuantType type : kKernelTypes) {
    const QuantType act = vec_dot_activation_type(type);
    for (std::int64_t n : {256, 512, 1536, 4096}) {
      for (int trial = 0; trial < 20; ++trial) {
        const auto w = random_row(type, n, rng);
        const auto a = random_row(act, n, rng);
        const float ref = vec_dot(type, w.data(), a.data(), n);
        for (SimdLevel level : kLevels) {
          if (!simd_level_available(level)) continue;
          ASSERT_EQ(bits(vec_dot_at(level, type, w.data(), a.data(), n)), bits(ref))
              << simd_level_name(level) << " " << quant_type_name(type) << " n " << n << " trial "
              << trial;
          ++compared;
        }
      }
    }
  }
  EXPECT_GT(compared, 0);
}

TEST(QuantVecDotFast, ExtremeBytesAreExact) {
  // All quants at their extremes: q8 -128 x -128 (which unsigned-by-signed byte instructions
  // saturate), q4 nibbles 0 and 15, 6-bit scales 63.
  for (std::int8_t v : {std::int8_t{-128}, std::int8_t{127}}) {
    std::vector<BlockQ8_0> x(4), y(4);
    for (auto* blocks : {&x, &y}) {
      for (auto& b : *blocks) {
        b.d = f32_to_f16(1.0f);
        std::memset(b.qs, static_cast<unsigned char>(v), sizeof b.qs);
      }
    }
    for (SimdLevel level : kLevels) {
      if (!simd_level_available(level)) continue;
      EXPECT_EQ(vec_dot_at(level, QuantType::q8_0, x.data(), y.data(), 128), 128.0f * v * v)
          << simd_level_name(level);
    }
  }
  std::vector<BlockQ4K> w(2);
  std::vector<BlockQ8K> a(2);
  for (auto& b : w) {
    b.d = f32_to_f16(1.0f);
    b.dmin = f32_to_f16(1.0f);
    std::memset(b.scales, 0xFF, sizeof b.scales);
    std::memset(b.qs, 0xFF, sizeof b.qs);
  }
  for (auto& b : a) {
    b.d = 1.0f;
    std::memset(b.qs, 0x80, sizeof b.qs);
    for (auto& s : b.bsums) s = -128 * 16;
  }
  const float ref = vec_dot(QuantType::q4_k, w.data(), a.data(), 512);
  // 512 * 63 * 15 * -128 - 512 * 63 * -128 = -512 * 63 * 128 * 14
  EXPECT_EQ(ref, -512.0f * 63 * 128 * 14);
  for (SimdLevel level : kLevels) {
    if (!simd_level_available(level)) continue;
    EXPECT_EQ(vec_dot_at(level, QuantType::q4_k, w.data(), a.data(), 512), ref)
        << simd_level_name(level);
  }
}

TEST(QuantVecDotFast, ExtremeKQuantsAreExact) {
  // Q5_K and Q6_K at their extremes: all quant bits set (q = 31, q = 63), 6-bit scales 63,
  // Q6_K scales -128 and 127, activations -128 and 127.
  for (std::uint8_t act : {std::uint8_t{0x80}, std::uint8_t{0x7F}}) {
    std::vector<BlockQ8K> a(2);
    for (auto& b : a) {
      b.d = 1.0f;
      std::memset(b.qs, act, sizeof b.qs);
      for (auto& s : b.bsums) s = static_cast<std::int16_t>(static_cast<std::int8_t>(act) * 16);
    }
    std::vector<BlockQ5K> w5(2);
    for (auto& b : w5) {
      b.d = f32_to_f16(1.0f);
      b.dmin = f32_to_f16(1.0f);
      std::memset(b.scales, 0xFF, sizeof b.scales);
      std::memset(b.qh, 0xFF, sizeof b.qh);
      std::memset(b.qs, 0xFF, sizeof b.qs);
    }
    for (std::uint8_t scale : {std::uint8_t{0x80}, std::uint8_t{0x7F}}) {
      for (std::uint8_t q : {std::uint8_t{0x00}, std::uint8_t{0xFF}}) {
        std::vector<BlockQ6K> w6(2);
        for (auto& b : w6) {
          b.d = f32_to_f16(1.0f);
          std::memset(b.ql, q, sizeof b.ql);
          std::memset(b.qh, q, sizeof b.qh);
          std::memset(b.scales, scale, sizeof b.scales);
        }
        const float ref6 = vec_dot(QuantType::q6_k, w6.data(), a.data(), 512);
        const float q6 = q ? 31.0f : -32.0f;
        EXPECT_EQ(ref6, 512.0f * static_cast<std::int8_t>(scale) * q6 *
                            static_cast<std::int8_t>(act));
        for (SimdLevel level : kLevels) {
          if (!simd_level_available(level)) continue;
          EXPECT_EQ(bits(vec_dot_at(level, QuantType::q6_k, w6.data(), a.data(), 512)),
                    bits(ref6))
              << simd_level_name(level);
        }
      }
    }
    const float ref5 = vec_dot(QuantType::q5_k, w5.data(), a.data(), 512);
    for (SimdLevel level : kLevels) {
      if (!simd_level_available(level)) continue;
      EXPECT_EQ(bits(vec_dot_at(level, QuantType::q5_k, w5.data(), a.data(), 512)), bits(ref5))
          << simd_level_name(level);
    }
  }
}

}  // namespace
}  // namespace r1::quant
