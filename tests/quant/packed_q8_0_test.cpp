// The repacked q8_0 layout (quant/packed_q8_0.h): packing loses nothing (every row unpacks to
// the file's blocks), and the packed products, the scalar reference and the AVX-512 VNNI kernel,
// equal the scalar vec_dot of the original rows bit for bit, for row ranges that start and end
// inside the 16-row groups and token counts across the kernel's passes of 16.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "quant/blocks.h"
#include "quant/packed_q8_0.h"
#include "quant/quantize.h"
#include "quant/random_blocks.h"

namespace r1::quant {
namespace {

struct Matrix {
  std::int64_t rows, nb;
  std::vector<BlockQ8_0> blocks;
  std::vector<std::uint8_t> packed;
};

Matrix random_matrix(std::int64_t rows, std::int64_t nb, std::mt19937_64& rng) {
  Matrix m{rows, nb, {}, {}};
  for (std::int64_t r = 0; r < rows; ++r) {
    const auto row = test::random_row(QuantType::q8_0, nb * kBlock32, rng);
    const auto* blocks = reinterpret_cast<const BlockQ8_0*>(row.data());
    m.blocks.insert(m.blocks.end(), blocks, blocks + nb);
  }
  m.packed.resize(packed_q8_0_bytes(rows, nb) + 64);
  pack_q8_0(m.blocks.data(), rows, nb, m.packed.data());
  return m;
}

std::vector<BlockQ8_0> random_tokens(std::int64_t n, std::int64_t nb, std::mt19937_64& rng) {
  std::vector<BlockQ8_0> a;
  for (std::int64_t t = 0; t < n; ++t) {
    const auto row = test::random_row(QuantType::q8_0, nb * kBlock32, rng);
    const auto* blocks = reinterpret_cast<const BlockQ8_0*>(row.data());
    a.insert(a.end(), blocks, blocks + nb);
  }
  return a;
}

TEST(PackedQ8_0, SizesAreWholeGroupsOfCacheLines) {
  EXPECT_EQ(packed_q8_0_scale_bytes(48), 48u * 32);
  EXPECT_EQ(packed_q8_0_scale_bytes(3), 128u);
  EXPECT_EQ(packed_q8_0_group_bytes(3), 128u + 3 * 512);
  EXPECT_EQ(packed_q8_0_bytes(17, 3), 2 * packed_q8_0_group_bytes(3));
  EXPECT_EQ(packed_q8_0_bytes(16, 3), packed_q8_0_group_bytes(3));
}

TEST(PackedQ8_0, EveryRowUnpacksToTheFileBlocks) {
  std::mt19937_64 rng(11);
  for (const auto& [rows, nb] : {std::pair<std::int64_t, std::int64_t>{1, 1}, {16, 2}, {37, 5}}) {
    const Matrix m = random_matrix(rows, nb, rng);
    for (std::int64_t r = 0; r < rows; ++r) {
      std::vector<BlockQ8_0> row(static_cast<std::size_t>(nb));
      unpack_q8_0_row(m.packed.data(), nb, r, 0, nb, row.data());
      ASSERT_EQ(std::memcmp(row.data(), m.blocks.data() + r * nb, row.size() * sizeof(BlockQ8_0)),
                0)
          << "row " << r << " of " << rows;
      if (nb > 2) {  // a range of blocks from the middle
        BlockQ8_0 block;
        unpack_q8_0_row(m.packed.data(), nb, r, 2, 1, &block);
        ASSERT_EQ(std::memcmp(&block, &m.blocks[r * nb + 2], sizeof(BlockQ8_0)), 0);
      }
    }
  }
}

TEST(PackedQ8_0, ProductsEqualVecDotOfTheOriginalRows) {
  std::mt19937_64 rng(12);
  struct Case {
    std::int64_t rows, nb, row_begin, row_end, tokens;
  };
  // Ranges aligned and not to the groups, one row, a lone partial group; 1..4 tokens (decode
  // of a few streams), 16 (one full pass), 17 and 35 (passes of 16 and a remainder).
  const Case cases[] = {{16, 1, 0, 16, 1},   {37, 5, 0, 37, 4},   {37, 5, 3, 29, 2},
                        {64, 48, 16, 48, 1}, {64, 48, 5, 6, 3},   {50, 7, 17, 50, 16},
                        {40, 9, 0, 40, 17},  {33, 3, 31, 33, 35}, {96, 280, 32, 96, 5},
                        {7, 2, 0, 7, 1}};
  int compared = 0;
  for (const Case& c : cases) {
    const Matrix m = random_matrix(c.rows, c.nb, rng);
    const std::vector<BlockQ8_0> a = random_tokens(c.tokens, c.nb, rng);
    const std::int64_t n = c.row_end - c.row_begin, stride = n + 3;
    for (const bool fast : {false, true}) {
      if (fast && !packed_q8_0_kernel_available()) continue;
      std::vector<float> y(static_cast<std::size_t>(stride * c.tokens), -7.0f);
      (fast ? gemm_packed_q8_0 : ref::gemm_packed_q8_0)(m.packed.data(), c.nb, c.row_begin,
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
              vec_dot(QuantType::q8_0, m.blocks.data() + r * c.nb, a.data() + t * c.nb,
                      c.nb * kBlock32);
          ASSERT_EQ(test::float_bits(got), test::float_bits(expected))
              << (fast ? "avx512_vnni" : "reference") << " rows " << c.rows << " blocks " << c.nb
              << " range " << c.row_begin << ".." << c.row_end << " tokens " << c.tokens
              << " at row " << r << " token " << t;
          ++compared;
        }
      }
    }
  }
  EXPECT_GT(compared, 1000);
}

}  // namespace
}  // namespace r1::quant
