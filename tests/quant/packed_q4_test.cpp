// The repacked q4_0 / q4_1 layout (quant/packed_q4.h): packing loses nothing (every row unpacks
// to the file's blocks), and the packed products, the scalar reference and the AVX-512 VNNI / AVX2
// kernels, equal the scalar vec_dot of the original rows bit for bit, for row ranges that start
// and end inside the 16-row groups and token counts across the kernel's passes (4 tokens in
// registers, 16 per pass).
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "quant/blocks.h"
#include "quant/packed_q4.h"
#include "quant/quantize.h"
#include "quant/random_blocks.h"
#include "r1/error.h"

namespace r1::quant {
namespace {

std::vector<std::uint8_t> random_rows(QuantType type, std::int64_t rows, std::int64_t cols,
                                      std::mt19937_64& rng) {
  std::vector<std::uint8_t> bytes;
  for (std::int64_t r = 0; r < rows; ++r) {
    const auto row = test::random_row(type, cols, rng);
    bytes.insert(bytes.end(), row.begin(), row.end());
  }
  return bytes;
}

std::vector<std::uint8_t> packed_copy(QuantType type, const std::vector<std::uint8_t>& rows,
                                      std::int64_t n_rows, std::int64_t nb) {
  std::vector<std::uint8_t> packed(packed_q4_bytes(type, n_rows, nb), 0xA5);
  pack_q4(type, rows.data(), n_rows, nb, packed.data());
  return packed;
}

TEST(PackedQ4, SizesAreWholeGroupsOfCacheLines) {
  EXPECT_EQ(packed_q4_head_bytes(QuantType::q4_0, 48), 48u * 32);
  EXPECT_EQ(packed_q4_head_bytes(QuantType::q4_0, 3), 128u);
  EXPECT_EQ(packed_q4_head_bytes(QuantType::q4_1, 3), 192u);
  EXPECT_EQ(packed_q4_group_bytes(QuantType::q4_0, 3), 128u + 3 * 256);
  EXPECT_EQ(packed_q4_bytes(QuantType::q4_1, 17, 3), 2 * packed_q4_group_bytes(QuantType::q4_1, 3));
  EXPECT_FALSE(has_packed_q4_layout(QuantType::q5_0));
  EXPECT_THROW(packed_q4_bytes(QuantType::q8_0, 16, 1), Error);
}

TEST(PackedQ4, EveryRowUnpacksToTheFileBlocks) {
  std::mt19937_64 rng(31);
  for (const QuantType type : {QuantType::q4_0, QuantType::q4_1}) {
    for (const auto& [rows, nb] : {std::pair<std::int64_t, std::int64_t>{1, 1}, {16, 2}, {37, 5}}) {
      const auto bytes = random_rows(type, rows, nb * kBlock32, rng);
      const auto packed = packed_copy(type, bytes, rows, nb);
      const auto row_bytes = static_cast<std::size_t>(block_bytes(type) * nb);
      for (std::int64_t r = 0; r < rows; ++r) {
        std::vector<std::uint8_t> row(row_bytes);
        unpack_q4_row(type, packed.data(), nb, r, 0, nb, row.data());
        ASSERT_EQ(std::memcmp(row.data(), bytes.data() + row_bytes * static_cast<std::size_t>(r),
                              row_bytes),
                  0)
            << quant_type_name(type) << " row " << r;
        if (nb > 1) {
          std::vector<std::uint8_t> one(static_cast<std::size_t>(block_bytes(type)));
          unpack_q4_row(type, packed.data(), nb, r, 1, 1, one.data());
          ASSERT_EQ(std::memcmp(one.data(), row.data() + one.size(), one.size()), 0);
        }
      }
    }
  }
}

TEST(PackedQ4, ProductsEqualVecDotOfTheOriginalRowsBitForBit) {
  std::mt19937_64 rng(32);
  struct Case {
    std::int64_t rows, nb, row_begin, row_end, tokens;
  };
  const Case cases[] = {{16, 1, 0, 16, 1},  {37, 2, 0, 37, 4},   {37, 6, 3, 29, 2},
                        {64, 6, 16, 48, 1}, {64, 2, 5, 6, 3},    {50, 3, 17, 50, 16},
                        {40, 2, 0, 40, 17}, {33, 1, 31, 33, 35}, {48, 48, 16, 48, 7},
                        {45, 5, 5, 43, 1}};  // one token (a kernel of its own), partial groups
  int compared = 0;
  for (const QuantType type : {QuantType::q4_0, QuantType::q4_1}) {
    const QuantType act = vec_dot_activation_type(type);
    for (const Case& c : cases) {
      const auto bytes = random_rows(type, c.rows, c.nb * kBlock32, rng);
      const auto packed = packed_copy(type, bytes, c.rows, c.nb);
      const auto a = random_rows(act, c.tokens, c.nb * kBlock32, rng);
      const auto w_row = static_cast<std::size_t>(block_bytes(type) * c.nb);
      const auto a_row = static_cast<std::size_t>(row_bytes(act, c.nb * kBlock32));
      const std::int64_t n = c.row_end - c.row_begin, stride = n + 3;
      for (const bool fast : {false, true}) {
        if (fast && !packed_q4_kernel_available()) continue;
        std::vector<float> y(static_cast<std::size_t>(stride * c.tokens), -7.0f);
        (fast ? gemm_packed_q4 : ref::gemm_packed_q4)(type, packed.data(), c.nb, c.row_begin,
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
                vec_dot(type, bytes.data() + w_row * static_cast<std::size_t>(r),
                        a.data() + a_row * static_cast<std::size_t>(t), c.nb * kBlock32);
            ASSERT_EQ(test::float_bits(got), test::float_bits(expected))
                << quant_type_name(type) << (fast ? " kernel" : " reference") << " rows " << c.rows
                << " blocks " << c.nb << " range " << c.row_begin << ".." << c.row_end << " tokens "
                << c.tokens << " at row " << r << " token " << t;
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
