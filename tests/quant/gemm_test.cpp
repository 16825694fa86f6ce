// The tiled quantized product against the scalar vec_dot, bit for bit, for every weight type
// and every SIMD level this CPU runs, on shapes that leave partial tiles of rows and tokens.
#include <gtest/gtest.h>

#include <random>
#include <vector>

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
  const Shape shapes[] = {{1, 1, 256},   {37, 19, 512},  {8, 1, 2048}, {5, 2, 256},
                          {13, 4, 1536}, {4, 33, 256},   {9, 7, 768},  {16, 34, 512},
                          {3, 5, 1024},  {37, 1, 1280}};
  int compared = 0;
  for (QuantType type : kWeightTypes) {
    const QuantType act = vec_dot_activation_type(type);
    for (const Shape& s : shapes) {
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
