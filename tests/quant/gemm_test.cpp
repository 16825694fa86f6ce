// The tiled quantized product against the scalar vec_dot, bit for bit, for every weight type
// and every SIMD level this CPU runs, on shapes that leave partial tiles of rows and tokens.
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
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

// n random rows of `type`, one after another.
std::vector<std::uint8_t> random_rows(QuantType type, std::int64_t n, std::int64_t cols,
                                      std::mt19937_64& rng) {
  std::vector<std::uint8_t> rows;
  for (std::int64_t r = 0; r < n; ++r) {
    const auto row = test::random_row(type, cols, rng);
    rows.insert(rows.end(), row.begin(), row.end());
  }
  return rows;
}

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
      const std::vector<std::uint8_t> w = random_rows(type, s.rows, s.cols, rng);
      const std::vector<std::uint8_t> a = random_rows(act, s.tokens, s.cols, rng);
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

// An upper bound of sum_i |terms| of a row's dot product as the kernels split it: for q8_0 and
// q4_0 |w_i| |y_i|; for q4_k / q5_k the d * scale * q and dmin * min parts (dequantized with
// dmin = 0, then d = 0), for q6_k d * scale * (q - 32) and 32 * d * scale (quants set to 0), each
// against |y|.
double term_magnitude(QuantType type, const std::uint8_t* w_row, const std::uint8_t* a_row,
                      std::int64_t cols) {
  std::vector<float> y(static_cast<std::size_t>(cols)), part_a(y.size()), part_b(y.size());
  dequantize_row(vec_dot_activation_type(type), a_row, y.data(), cols);
  const bool k_quant =
      type == QuantType::q4_k || type == QuantType::q5_k || type == QuantType::q6_k;
  const auto bytes = static_cast<std::size_t>(row_bytes(type, cols));
  std::vector<std::uint8_t> a(w_row, w_row + bytes), b(a);
  const std::int64_t nb = row_blocks(type, cols);
  const auto block = static_cast<std::size_t>(block_bytes(type));
  for (std::int64_t i = 0; k_quant && i < nb; ++i) {
    std::uint8_t* pa = a.data() + static_cast<std::size_t>(i) * block;
    std::uint8_t* pb = b.data() + static_cast<std::size_t>(i) * block;
    if (type == QuantType::q6_k) {
      std::memset(pb, 0, offsetof(BlockQ6K, scales));  // ql, qh: q = 0
    } else {
      std::memset(pa + 2, 0, 2);  // dmin
      std::memset(pb, 0, 2);      // d
    }
  }
  dequantize_row(type, a.data(), part_a.data(), cols);
  if (k_quant) {
    dequantize_row(type, b.data(), part_b.data(), cols);
  }
  double m = 0;
  for (std::size_t i = 0; i < y.size(); ++i)
    m += (std::abs(double{part_a[i]}) + std::abs(double{part_b[i]})) * std::abs(double{y[i]});
  return m;
}

// gemm_relaxed_at: bit for bit gemm_at where it has no kernel of its own; the AVX2 row kernels
// (q8_0, q4_0, q4_k, q5_k, q6_k, up to 16 tokens) within float rounding of vec_dot: 2^-18 of the
// magnitude of the terms (the sums of ~10 blocks in float, twice: ours and the reference's, are a
// few 2^-24 of it), a bound that a wrong scale, min or quant of any one sub-block exceeds by far.
TEST(QuantGemm, RelaxedOrderIsWithinFloatRoundingOfVecDot) {
  std::mt19937_64 rng(9);
  const Shape shapes[] = {{1, 1, 256}, {37, 16, 512}, {13, 4, 1536}, {5, 3, 2560}, {7, 5, 96},
                          {3, 2, 32},  {21, 2, 768},  {9, 17, 256},  {16, 7, 1024}};
  int relaxed = 0;
  for (QuantType type : kWeightTypes) {
    const QuantType act = vec_dot_activation_type(type);
    for (const Shape& s : shapes) {
      if (s.cols % block_elements(type) != 0) continue;
      const auto w_row = static_cast<std::size_t>(row_bytes(type, s.cols));
      const auto a_row = static_cast<std::size_t>(row_bytes(act, s.cols));
      const std::vector<std::uint8_t> w = random_rows(type, s.rows, s.cols, rng);
      const std::vector<std::uint8_t> a = random_rows(act, s.tokens, s.cols, rng);
      const std::int64_t stride = s.rows + 3;
      for (SimdLevel level : kLevels) {
        if (!simd_level_available(level)) continue;
        std::vector<float> ours(static_cast<std::size_t>(stride * s.tokens), -7.0f);
        std::vector<float> exact(ours.size(), -7.0f);
        gemm_relaxed_at(level, type, w.data(), s.rows, s.cols, a.data(), s.tokens, ours.data(),
                        stride);
        gemm_at(level, type, w.data(), s.rows, s.cols, a.data(), s.tokens, exact.data(), stride);
        const bool row_type = type == QuantType::q8_0 || type == QuantType::q4_0 ||
                              type == QuantType::q4_k || type == QuantType::q5_k ||
                              type == QuantType::q6_k;
        const bool rows_kernel = row_type && level != SimdLevel::scalar &&
                                 gemm_kernel_level(level, type) == SimdLevel::avx2 &&
                                 s.tokens <= 16;
        for (std::int64_t t = 0; t < s.tokens; ++t) {
          for (std::int64_t r = 0; r < stride; ++r) {
            const float got = ours[static_cast<std::size_t>(t * stride + r)];
            const float want = exact[static_cast<std::size_t>(t * stride + r)];
            if (!rows_kernel || r >= s.rows) {
              ASSERT_EQ(test::float_bits(got), test::float_bits(want))
                  << simd_level_name(level) << " " << quant_type_name(type) << " r " << r;
              continue;
            }
            const std::uint8_t* wr = w.data() + w_row * static_cast<std::size_t>(r);
            const std::uint8_t* ar = a.data() + a_row * static_cast<std::size_t>(t);
            const double bound = 0x1p-18 * term_magnitude(type, wr, ar, s.cols);
            ASSERT_NEAR(got, vec_dot(type, wr, ar, s.cols), bound)
                << simd_level_name(level) << " " << quant_type_name(type) << " rows " << s.rows
                << " tokens " << s.tokens << " cols " << s.cols << " at r " << r << " t " << t;
            ++relaxed;
          }
        }
      }
    }
  }
  if (simd_level_available(SimdLevel::avx2)) {
    EXPECT_GT(relaxed, 0);
  }
}

// The AVX2 Q8_0 row kernel multiplies |w| by y with w's sign, which cannot take y = -128: a call
// with one such activation byte takes the int16 path instead. Both paths, with weights of -128
// and 127 (|w| = 128 as an unsigned byte), activations from the quantizer (never -128, extremes
// at +-127), then the same with one -128 put in.
TEST(QuantGemm, RelaxedQ8_0TakesEveryByte) {
  if (!simd_level_available(SimdLevel::avx2)) GTEST_SKIP() << "no AVX2 here";
  std::mt19937_64 rng(11);
  const std::int64_t rows = 9, tokens = 3, cols = 512;
  std::vector<std::uint8_t> w = random_rows(QuantType::q8_0, rows, cols, rng);
  auto* blocks = reinterpret_cast<BlockQ8_0*>(w.data());
  for (std::int64_t i = 0; i < rows * cols / kBlock32; ++i) {
    for (int j = 0; j < kBlock32; j += 3) blocks[i].qs[j] = j % 2 ? 127 : -128;
  }
  std::vector<float> x(static_cast<std::size_t>(tokens * cols));
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  for (float& v : x) v = value(rng);
  for (std::size_t i = 0; i < x.size(); i += 32) x[i] = (i / 32) % 2 ? 1.0f : -1.0f;  // +-127
  const auto a_row = static_cast<std::size_t>(row_bytes(QuantType::q8_0, cols));
  std::vector<std::uint8_t> a(a_row * static_cast<std::size_t>(tokens));
  for (std::int64_t t = 0; t < tokens; ++t)
    quantize_row(QuantType::q8_0, x.data() + t * cols, a.data() + a_row * t, cols);
  const auto* a_blocks = reinterpret_cast<const BlockQ8_0*>(a.data());
  int extremes = 0;
  for (std::int64_t i = 0; i < tokens * cols / kBlock32; ++i) {
    for (const std::int8_t q : a_blocks[i].qs) {
      ASSERT_NE(q, -128) << "the quantizer wrote a -128";
      extremes += q == 127 || q == -127;
    }
  }
  EXPECT_GT(extremes, 0);
  for (const bool with_minus_128 : {false, true}) {
    if (with_minus_128) reinterpret_cast<BlockQ8_0*>(a.data())[5].qs[7] = -128;
    std::vector<float> y(static_cast<std::size_t>(rows * tokens));
    gemm_relaxed_at(SimdLevel::avx2, QuantType::q8_0, w.data(), rows, cols, a.data(), tokens,
                    y.data(), rows);
    const auto w_row = static_cast<std::size_t>(row_bytes(QuantType::q8_0, cols));
    for (std::int64_t t = 0; t < tokens; ++t) {
      for (std::int64_t r = 0; r < rows; ++r) {
        const std::uint8_t* wr = w.data() + w_row * static_cast<std::size_t>(r);
        const std::uint8_t* ar = a.data() + a_row * static_cast<std::size_t>(t);
        const double bound = 0x1p-18 * term_magnitude(QuantType::q8_0, wr, ar, cols);
        ASSERT_NEAR(y[static_cast<std::size_t>(t * rows + r)],
                    vec_dot(QuantType::q8_0, wr, ar, cols), bound)
            << "with a -128: " << with_minus_128 << " r " << r << " t " << t;
      }
    }
  }
}

// The bound above is tight enough to catch a slip: one sub-block's scale off by one moves the
// product far outside it.
TEST(QuantGemm, RelaxedOrderBoundCatchesOneWrongScale) {
  std::mt19937_64 rng(10);
  auto w = test::random_row(QuantType::q4_k, 256, rng);
  const auto a = test::random_row(QuantType::q8_k, 256, rng);
  const float before = vec_dot(QuantType::q4_k, w.data(), a.data(), 256);
  const double bound = 0x1p-18 * term_magnitude(QuantType::q4_k, w.data(), a.data(), 256);
  auto* block = reinterpret_cast<BlockQ4K*>(w.data());
  block->scales[0] =
      static_cast<std::uint8_t>((block->scales[0] & 0xC0) | ((block->scales[0] + 1) & 0x3F));
  const float after = vec_dot(QuantType::q4_k, w.data(), a.data(), 256);
  EXPECT_GT(std::abs(double{after} - double{before}), 100 * bound);
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
