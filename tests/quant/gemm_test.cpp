// The tiled quantized product against the scalar vec_dot, bit for bit, for every weight type
// and every SIMD level this CPU runs, on shapes that leave partial tiles of rows and tokens.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <utility>
#include <vector>

#include "core/half.h"
#include "quant/blocks.h"

#include "quant/gemm.h"
#include "quant/quantize.h"
#include "quant/random_blocks.h"
#include "r1/error.h"

namespace r1::quant {
namespace {

constexpr SimdLevel kLevels[] = {SimdLevel::scalar, SimdLevel::avx2, SimdLevel::avx512_vnni};
constexpr QuantType kWeightTypes[] = {QuantType::q8_0, QuantType::q4_0, QuantType::q4_1,
                                      QuantType::q5_0, QuantType::q5_1, QuantType::q4_k,
                                      QuantType::q5_k, QuantType::q6_k};

struct Shape {
  std::int64_t rows, tokens, cols;
};

TEST(QuantGemm, EqualsVecDotForEveryOutput) {
  std::mt19937_64 rng(5);
  // Decode sizes (1..16 tokens) and batches (up to 70 tokens: passes of 16 and a remainder) with
  // row counts off the kernels' groups of 8 and 16, and 32-element
  // types with an odd block count (a lone last block); K-quants skip cols they cannot take.
  const Shape shapes[] = {{1, 1, 256},   {37, 19, 512},  {8, 1, 2048}, {5, 2, 256},
                          {13, 4, 1536}, {4, 33, 256},   {9, 7, 768},  {16, 34, 512},
                          {3, 5, 1024},  {37, 1, 1280},  {11, 3, 768}, {21, 1, 1536},
                          {17, 2, 2304}, {11, 3, 1312},  {17, 1, 544}, {7, 4, 32},
                          {9, 2, 96},    {31, 16, 512},  {15, 17, 256}, {1, 48, 64},
                          {33, 70, 96},  {19, 6, 512},   {35, 8, 768}, {18, 11, 256},
                          {47, 13, 1024}, {16, 15, 2560}, {50, 32, 512}};
  int compared = 0;
  for (QuantType type : kWeightTypes) {
    const QuantType act = vec_dot_activation_type(type);
    for (const Shape& s : shapes) {
      if (s.cols % block_elements(type) != 0) continue;
      const auto w_row = static_cast<std::size_t>(row_bytes(type, s.cols));
      const auto a_row = static_cast<std::size_t>(row_bytes(act, s.cols));
      std::vector<std::uint8_t> w, a;
      for (std::int64_t r = 0; r < s.rows; ++r) {
        const auto row = test::random_row(type, s.cols, rng);
        w.insert(w.end(), row.begin(), row.end());
      }
      for (std::int64_t t = 0; t < s.tokens; ++t) {
        const auto row = test::random_row(act, s.cols, rng);
        a.insert(a.end(), row.begin(), row.end());
      }
      const std::int64_t stride = s.rows + 3;
      for (SimdLevel level : kLevels) {
        if (!simd_level_available(level)) continue;
        std::vector<float> y(static_cast<std::size_t>(stride * s.tokens), -7.0f);
        gemm_at(level, type, w.data(), s.rows, s.cols, a.data(), s.tokens, y.data(), stride);
        for (std::int64_t t = 0; t < s.tokens; ++t) {
          for (std::int64_t r = 0; r < stride; ++r) {
            const float got = y[static_cast<std::size_t>(t * stride + r)];
            if (r >= s.rows) {
              ASSERT_EQ(got, -7.0f) << "wrote outside the rows";
              continue;
            }
            const float ref = vec_dot(type, w.data() + w_row * static_cast<std::size_t>(r),
                                      a.data() + a_row * static_cast<std::size_t>(t), s.cols);
            ASSERT_EQ(test::float_bits(got), test::float_bits(ref))
                << simd_level_name(level) << " " << quant_type_name(type) << " rows " << s.rows
                << " tokens " << s.tokens << " cols " << s.cols << " at r " << r << " t " << t;
            ++compared;
          }
        }
      }
    }
  }
  EXPECT_GT(compared, 0);
}

// Quants at their extremes through the decode-sized and batch products (1..17 tokens, 21 rows:
// a partial group of 16): -128 activations against the largest weights, the cases
// byte-multiply instructions saturate on.
TEST(QuantGemm, ExtremeQuantsAreExactForFewTokens) {
  constexpr std::int64_t kRows = 21;
  constexpr std::int64_t kMaxTokens = 17;
  constexpr std::int64_t kCols = 512;
  for (std::int8_t act : {std::int8_t{-128}, std::int8_t{127}}) {
    std::vector<BlockQ8_0> a8(kMaxTokens * kCols / 32);
    for (auto& b : a8) {
      b.d = f32_to_f16(0.5f);
      std::memset(b.qs, static_cast<unsigned char>(act), sizeof b.qs);
    }
    std::vector<BlockQ8K> ak(kMaxTokens * kCols / 256);
    for (auto& b : ak) {
      b.d = 0.25f;
      std::memset(b.qs, static_cast<unsigned char>(act), sizeof b.qs);
      for (auto& s : b.bsums) s = static_cast<std::int16_t>(act * 16);
    }
    for (std::uint8_t q : {std::uint8_t{0x00}, std::uint8_t{0x80}, std::uint8_t{0xFF}}) {
      std::vector<BlockQ8_0> w8(kRows * kCols / 32);
      for (auto& b : w8) {
        b.d = f32_to_f16(2.0f);
        std::memset(b.qs, q, sizeof b.qs);
      }
      std::vector<BlockQ4K> w4(kRows * kCols / 256);
      std::vector<BlockQ5K> w5(w4.size());
      std::vector<BlockQ6K> w6(w4.size());
      for (std::size_t i = 0; i < w4.size(); ++i) {
        w4[i].d = w5[i].d = w6[i].d = f32_to_f16(1.0f);
        w4[i].dmin = w5[i].dmin = f32_to_f16(0.5f);
        std::memset(w4[i].scales, q | 0x3F, sizeof w4[i].scales);
        std::memset(w5[i].scales, q | 0x3F, sizeof w5[i].scales);
        std::memset(w4[i].qs, q, sizeof w4[i].qs);
        std::memset(w5[i].qs, q, sizeof w5[i].qs);
        std::memset(w5[i].qh, q, sizeof w5[i].qh);
        std::memset(w6[i].ql, q, sizeof w6[i].ql);
        std::memset(w6[i].qh, q, sizeof w6[i].qh);
        std::memset(w6[i].scales, q == 0x80 ? 0x80 : 0x7F, sizeof w6[i].scales);
      }
      const std::pair<QuantType, const void*> weights[] = {
          {QuantType::q8_0, w8.data()}, {QuantType::q4_k, w4.data()},
          {QuantType::q5_k, w5.data()}, {QuantType::q6_k, w6.data()}};
      for (const auto& [type, wp] : weights) {
        const void* ap = type == QuantType::q8_0 ? static_cast<const void*>(a8.data()) : ak.data();
        const auto w_row = static_cast<std::size_t>(row_bytes(type, kCols));
        const auto a_row =
            static_cast<std::size_t>(row_bytes(vec_dot_activation_type(type), kCols));
        for (std::int64_t tokens = 1; tokens <= kMaxTokens; ++tokens) {
          for (SimdLevel level : kLevels) {
            if (!simd_level_available(level)) continue;
            std::vector<float> y(static_cast<std::size_t>(kRows * tokens));
            gemm_at(level, type, wp, kRows, kCols, ap, tokens, y.data(), kRows);
            for (std::int64_t t = 0; t < tokens; ++t) {
              for (std::int64_t r = 0; r < kRows; ++r) {
                const float ref =
                    vec_dot(type, static_cast<const std::uint8_t*>(wp) + w_row * r,
                            static_cast<const std::uint8_t*>(ap) + a_row * t, kCols);
                ASSERT_EQ(test::float_bits(y[static_cast<std::size_t>(t * kRows + r)]),
                          test::float_bits(ref))
                    << simd_level_name(level) << " " << quant_type_name(type) << " q "
                    << int{q} << " act " << int{act} << " tokens " << tokens;
              }
            }
          }
        }
      }
    }
  }
}

TEST(QuantGemm, DispatchAndErrors) {
  EXPECT_EQ(gemm_kernel_level(SimdLevel::avx512_vnni, QuantType::q8_0), SimdLevel::avx512_vnni);
  EXPECT_EQ(gemm_kernel_level(SimdLevel::avx512_vnni, QuantType::q6_k), SimdLevel::avx2);
  EXPECT_EQ(gemm_kernel_level(SimdLevel::avx2, QuantType::q5_1), SimdLevel::scalar);
  std::vector<std::uint8_t> zeros(4096);
  float y = 0;
  EXPECT_THROW(gemm(QuantType::q8_k, zeros.data(), 1, 256, zeros.data(), 1, &y, 1), Error);
  EXPECT_THROW(gemm(QuantType::q4_k, zeros.data(), 1, 100, zeros.data(), 1, &y, 1), Error);
}

}  // namespace
}  // namespace r1::quant
