// The repacked q4_k / q6_k layout (quant/packed_k.h): a permutation of the bytes (every row
// unpacks to the file's blocks), and the packed products, the scalar reference and the AVX-512
// VNNI + VBMI kernels, equal the scalar vec_dot of the original rows bit for bit, for row ranges
// that start and end inside the 16-row groups and token counts across the passes of 16.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "quant/packed_k.h"
#include "quant/quantize.h"
#include "quant/random_blocks.h"

namespace r1::quant {
namespace {

struct Matrix {
  QuantType type;
  std::int64_t rows, nb;
  std::vector<std::uint8_t> bytes, packed;
};

std::vector<std::uint8_t> random_rows(QuantType type, std::int64_t rows, std::int64_t cols,
                                      std::mt19937_64& rng) {
  std::vector<std::uint8_t> bytes;
  for (std::int64_t r = 0; r < rows; ++r) {
    const auto row = test::random_row(type, cols, rng);
    bytes.insert(bytes.end(), row.begin(), row.end());
  }
  return bytes;
}

Matrix random_matrix(QuantType type, std::int64_t rows, std::int64_t nb, std::mt19937_64& rng) {
  Matrix m{type, rows, nb, random_rows(type, rows, nb * 256, rng), {}};
  m.packed.assign(packed_k_bytes(type, rows, nb), 0xA5);
  pack_k(type, m.bytes.data(), rows, nb, m.packed.data());
  return m;
}

TEST(PackedK, BlocksAreWholeCacheLines) {
  EXPECT_EQ(packed_k_block_bytes(QuantType::q4_k), 16u * 144);
  EXPECT_EQ(packed_k_block_bytes(QuantType::q6_k), (16u * 210 + 63) / 64 * 64);
  EXPECT_EQ(packed_k_bytes(QuantType::q4_k, 17, 3), 2 * 3 * packed_k_block_bytes(QuantType::q4_k));
  EXPECT_FALSE(has_packed_k_layout(QuantType::q5_k));
}

TEST(PackedK, EveryRowUnpacksToTheFileBlocks) {
  std::mt19937_64 rng(21);
  for (const QuantType type : {QuantType::q4_k, QuantType::q6_k}) {
    const std::int64_t rows = 37, nb = 3;
    const Matrix m = random_matrix(type, rows, nb, rng);
    const auto row_bytes = static_cast<std::size_t>(block_bytes(type) * nb);
    for (std::int64_t r = 0; r < rows; ++r) {
      std::vector<std::uint8_t> row(row_bytes);
      unpack_k_row(type, m.packed.data(), nb, r, 0, nb, row.data());
      ASSERT_EQ(std::memcmp(row.data(), m.bytes.data() + row_bytes * static_cast<std::size_t>(r),
                            row_bytes),
                0)
          << quant_type_name(type) << " row " << r;
      std::vector<std::uint8_t> one(static_cast<std::size_t>(block_bytes(type)));
      unpack_k_row(type, m.packed.data(), nb, r, 1, 1, one.data());
      ASSERT_EQ(std::memcmp(one.data(), row.data() + one.size(), one.size()), 0);
    }
  }
}

TEST(PackedK, ProductsEqualVecDotOfTheOriginalRows) {
  std::mt19937_64 rng(22);
  struct Case {
    std::int64_t rows, nb, row_begin, row_end, tokens;
  };
  const Case cases[] = {{16, 1, 0, 16, 1}, {37, 2, 0, 37, 4},  {37, 6, 3, 29, 2},
                        {64, 6, 16, 48, 1}, {64, 2, 5, 6, 3},  {50, 3, 17, 50, 16},
                        {40, 2, 0, 40, 17}, {33, 1, 31, 33, 35}, {48, 35, 16, 48, 2}};
  int compared = 0;
  for (const QuantType type : {QuantType::q4_k, QuantType::q6_k}) {
    const QuantType act = vec_dot_activation_type(type);
    for (const Case& c : cases) {
      const Matrix m = random_matrix(type, c.rows, c.nb, rng);
      const std::vector<std::uint8_t> a = random_rows(act, c.tokens, c.nb * 256, rng);
      const auto w_row = static_cast<std::size_t>(block_bytes(type) * c.nb);
      const auto a_row = static_cast<std::size_t>(row_bytes(act, c.nb * 256));
      const std::int64_t n = c.row_end - c.row_begin, stride = n + 3;
      for (const bool fast : {false, true}) {
        if (fast && !packed_k_kernel_available()) continue;
        std::vector<float> y(static_cast<std::size_t>(stride * c.tokens), -7.0f);
        (fast ? gemm_packed_k : ref::gemm_packed_k)(type, m.packed.data(), c.nb, c.row_begin,
                                                      c.row_end, a.data(), c.tokens, y.data(),
                                                      stride);
        for (std::int64_t t = 0; t < c.tokens; ++t) {
          for (std::int64_t i = 0; i < stride; ++i) {
            const float got = y[static_cast<std::size_t>(t * stride + i)];
            if (i >= n) {
              ASSERT_EQ(got, -7.0f) << "wrote outside the rows";
              continue;
            }
            const std::int64_t r = c.row_begin + i;
            const float expected =
                vec_dot(type, m.bytes.data() + w_row * static_cast<std::size_t>(r),
                        a.data() + a_row * static_cast<std::size_t>(t), c.nb * 256);
            ASSERT_EQ(test::float_bits(got), test::float_bits(expected))
                << quant_type_name(type) << (fast ? " avx512" : " reference") << " rows "
                << c.rows << " blocks " << c.nb << " range " << c.row_begin << ".." << c.row_end
                << " tokens " << c.tokens << " at row " << r << " token " << t;
            ++compared;
          }
        }
      }
    }
  }
  EXPECT_GT(compared, 2000);
}

}  // namespace
}  // namespace r1::quant
