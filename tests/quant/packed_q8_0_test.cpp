// The repacked q8_0 layout (quant/packed_q8_0.h): packing loses nothing (every row unpacks to
// the file's blocks), and the packed products, the scalar reference and the SIMD kernel (AVX-512
// VNNI, else AVX2), equal the scalar vec_dot of the original rows bit for bit, for row ranges that
// start and end inside the 16-row groups and token counts across the kernels' passes of 16 (and
// AVX2's 3 tokens in registers), and with weight and activation bytes of -128, which the AVX2
// kernel's sign trick must handle (weights) or leave to the reference (activations).
#include <gtest/gtest.h>

#include <algorithm>
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

/// Activations as our quantizer writes them (|q| <= 127): random bytes with each -128 made -127,
/// as the AVX2 kernel leaves a call with a -128 among them to the reference (tested on its own
/// below).
std::vector<BlockQ8_0> random_tokens(std::int64_t n, std::int64_t nb, std::mt19937_64& rng) {
  std::vector<BlockQ8_0> a;
  for (std::int64_t t = 0; t < n; ++t) {
    const auto row = test::random_row(QuantType::q8_0, nb * kBlock32, rng);
    const auto* blocks = reinterpret_cast<const BlockQ8_0*>(row.data());
    a.insert(a.end(), blocks, blocks + nb);
  }
  for (BlockQ8_0& b : a)
    for (std::int8_t& q : b.qs) q = std::max<std::int8_t>(q, -127);
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

struct Case {
  std::int64_t rows, nb, row_begin, row_end, tokens;
};

/// Every output of the reference and the SIMD kernel on m against a equals vec_dot of the
/// original rows bit for bit; returns how many were compared.
int check_products(const Matrix& m, const Case& c, const std::vector<BlockQ8_0>& a) {
  int compared = 0;
  const std::int64_t n = c.row_end - c.row_begin, stride = n + 3;
  for (const bool fast : {false, true}) {
    if (fast && !packed_q8_0_kernel_available()) continue;
    std::vector<float> y(static_cast<std::size_t>(stride * c.tokens), -7.0f);
    (fast ? gemm_packed_q8_0 : ref::gemm_packed_q8_0)(m.packed.data(), c.nb, c.row_begin, c.row_end,
                                                      a.data(), c.tokens, y.data(), stride);
    for (std::int64_t t = 0; t < c.tokens; ++t) {
      for (std::int64_t i = 0; i < stride; ++i) {
        const float got = y[static_cast<std::size_t>(t * stride + i)];
        if (i >= n) {
          EXPECT_EQ(got, -7.0f) << "wrote outside the rows";
          continue;
        }
        const std::int64_t r = c.row_begin + i;
        const float expected = vec_dot(QuantType::q8_0, m.blocks.data() + r * c.nb,
                                       a.data() + t * c.nb, c.nb * kBlock32);
        EXPECT_EQ(test::float_bits(got), test::float_bits(expected))
            << (fast ? "simd" : "reference") << " rows " << c.rows << " blocks " << c.nb
            << " range " << c.row_begin << ".." << c.row_end << " tokens " << c.tokens << " at row "
            << r << " token " << t;
        ++compared;
      }
    }
  }
  return compared;
}

TEST(PackedQ8_0, ProductsEqualVecDotOfTheOriginalRows) {
  std::mt19937_64 rng(12);
  // Ranges aligned and not to the groups, one row, a lone partial group; 1..4 tokens (decode
  // of a few streams), 16 (one full pass), 17 and 35 (passes of 16 and a remainder).
  const Case cases[] = {{16, 1, 0, 16, 1},   {37, 5, 0, 37, 4},   {37, 5, 3, 29, 2},
                        {64, 48, 16, 48, 1}, {64, 48, 5, 6, 3},   {50, 7, 17, 50, 16},
                        {40, 9, 0, 40, 17},  {33, 3, 31, 33, 35}, {96, 280, 32, 96, 5},
                        {7, 2, 0, 7, 1}};
  int compared = 0;
  for (const Case& c : cases) {
    const Matrix m = random_matrix(c.rows, c.nb, rng);
    compared += check_products(m, c, random_tokens(c.tokens, c.nb, rng));
  }
  EXPECT_GT(compared, 1000);
}

TEST(PackedQ8_0, BytesOfMinus128AreProductsLikeAnyOther) {
  std::mt19937_64 rng(13);
  const Case c{40, 6, 3, 37, 5};
  Matrix m = random_matrix(c.rows, c.nb, rng);
  // -128 in a third of the weight bytes: |w| = 128 must reach pmaddubsw as the unsigned 128.
  std::uniform_int_distribution<int> third(0, 2);
  for (BlockQ8_0& b : m.blocks)
    for (std::int8_t& q : b.qs)
      if (third(rng) == 0) q = -128;
  pack_q8_0(m.blocks.data(), c.rows, c.nb, m.packed.data());
  std::vector<BlockQ8_0> a = random_tokens(c.tokens, c.nb, rng);
  int compared = check_products(m, c, a);
  // A -128 among the activations too (the AVX2 kernel leaves such a call to the reference).
  a[7].qs[5] = -128;
  compared += check_products(m, c, a);
  EXPECT_GT(compared, 300);
}

}  // namespace
}  // namespace r1::quant
