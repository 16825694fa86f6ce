// The repacked q4_k / q5_k / q6_k layout (quant/packed_k.h): a permutation of the bytes (every row
// unpacks to the file's blocks), and the packed products, the scalar reference and the kernel of
// this CPU (AVX-512 VNNI + VBMI for every type, or AVX2 + FMA for q4_k and q5_k), equal the scalar
// vec_dot of the original rows, for row ranges that start
// and end inside the 16-row groups and token counts across the passes of 16: the scalar path bit
// for bit, the kernels within float rounding (they sum in another order than ggml's scalar code;
// their integer sums are exact, so both are within a few roundings of the exact value).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/half.h"
#include "quant/blocks.h"
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

/// Element e (0..255) of a q6_k block, 0..63 (before the - 32).
int q6_k_element(const BlockQ6K& w, int e) {
  const int h = e / 128, l = e % 32, quarter = (e % 128) / 32;  // quarter: +0, +32, +64, +96
  const std::uint8_t ql = w.ql[64 * h + l + 32 * (quarter % 2)];
  const int low = quarter < 2 ? ql & 15 : ql >> 4;
  return low | (((w.qh[32 * h + l] >> (2 * quarter)) & 3) << 4);
}

/// The magnitude of the partial sums a q4_k / q5_k / q6_k product adds up, in any order that keeps
/// its integer sums exact: per super-block |d a.d| (|sumi| + sum over the reference's 8 lanes of
/// |lane sum|) (+ q4_k, q5_k: |dmin a.d| |mins sum|), sumi the block's integer sum of scale * q *
/// a. Every such order is within a few (blocks + 16) float roundings of it from the exact value.
double term_magnitude(QuantType type, const std::uint8_t* w_row, const std::uint8_t* a_row,
                      std::int64_t nb) {
  const auto* a = reinterpret_cast<const BlockQ8K*>(a_row);
  double total = 0;
  for (std::int64_t b = 0; b < nb; ++b) {
    std::int64_t lanes[8] = {}, sumi = 0, mins = 0;
    double d = 0, dmin = 0;
    for (int e = 0; e < 256; ++e) {
      std::int64_t weight = 0;  // scale * q
      if (type == QuantType::q4_k) {
        const auto& w = reinterpret_cast<const BlockQ4K*>(w_row)[b];
        std::uint8_t scale = 0, min = 0;
        unpack_scale_min_k4(e / 32, w.scales, &scale, &min);
        const std::uint8_t byte = w.qs[32 * (e / 64) + e % 32];  // low nibble for e % 64 < 32
        weight = scale * (e % 64 < 32 ? byte & 15 : byte >> 4);
        mins += min * a[b].qs[e];
        d = f16_to_f32(w.d);
        dmin = f16_to_f32(w.dmin);
      } else if (type == QuantType::q5_k) {
        const auto& w = reinterpret_cast<const BlockQ5K*>(w_row)[b];
        std::uint8_t scale = 0, min = 0;
        unpack_scale_min_k4(e / 32, w.scales, &scale, &min);
        const std::uint8_t byte = w.qs[32 * (e / 64) + e % 32];  // as q4_k, plus bit e / 32 of qh
        const int low = e % 64 < 32 ? byte & 15 : byte >> 4;
        weight = scale * (low | (((w.qh[e % 32] >> (e / 32)) & 1) << 4));
        mins += min * a[b].qs[e];
        d = f16_to_f32(w.d);
        dmin = f16_to_f32(w.dmin);
      } else {
        const auto& w = reinterpret_cast<const BlockQ6K*>(w_row)[b];
        weight = w.scales[e / 16] * (q6_k_element(w, e) - 32);
        d = f16_to_f32(w.d);
      }
      lanes[e % 8] += weight * a[b].qs[e];
      sumi += weight * a[b].qs[e];
    }
    double lane_sum = 0;
    for (const std::int64_t v : lanes) lane_sum += std::abs(static_cast<double>(v));
    const double ad = std::abs(static_cast<double>(a[b].d));
    total += ad * (std::abs(d) * (std::abs(static_cast<double>(sumi)) + lane_sum) +
                   std::abs(dmin) * std::abs(static_cast<double>(mins)));
  }
  return total;
}

TEST(PackedK, BlocksAreWholeCacheLines) {
  EXPECT_EQ(packed_k_block_bytes(QuantType::q4_k), 16u * 144);
  EXPECT_EQ(packed_k_block_bytes(QuantType::q6_k), (16u * 210 + 63) / 64 * 64);
  EXPECT_EQ(packed_k_block_bytes(QuantType::q5_k), 16u * 176);
  EXPECT_EQ(packed_k_bytes(QuantType::q4_k, 17, 3), 2 * 3 * packed_k_block_bytes(QuantType::q4_k));
  EXPECT_FALSE(has_packed_k_layout(QuantType::q4_0));
}

TEST(PackedK, EveryRowUnpacksToTheFileBlocks) {
  std::mt19937_64 rng(21);
  for (const QuantType type : {QuantType::q4_k, QuantType::q5_k, QuantType::q6_k}) {
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

/// Rewrites the rows and activations so that every partial sum of a product is a small integer,
/// exact in float whatever the order: weights' d (and dmin) 1, q6_k's scales within +-31,
/// activations' d 1 and quants within +-4 (|sum| < 6 * 256 * 63 * 32 * 4 < 2^24 for 6 blocks).
void make_sums_integers(QuantType type, std::vector<std::uint8_t>& rows,
                        std::vector<std::uint8_t>& activations, std::mt19937_64& rng) {
  constexpr std::uint16_t kOne = 0x3C00;  // 1.0 in fp16
  if (type == QuantType::q4_k) {
    auto* w = reinterpret_cast<BlockQ4K*>(rows.data());
    for (std::size_t i = 0; i < rows.size() / sizeof(BlockQ4K); ++i) w[i].d = w[i].dmin = kOne;
  } else if (type == QuantType::q5_k) {
    auto* w = reinterpret_cast<BlockQ5K*>(rows.data());
    for (std::size_t i = 0; i < rows.size() / sizeof(BlockQ5K); ++i) w[i].d = w[i].dmin = kOne;
  } else {
    auto* w = reinterpret_cast<BlockQ6K*>(rows.data());
    for (std::size_t i = 0; i < rows.size() / sizeof(BlockQ6K); ++i) {
      w[i].d = kOne;
      for (std::int8_t& sc : w[i].scales) sc = static_cast<std::int8_t>(sc / 4);
    }
  }
  std::uniform_int_distribution<int> small(-4, 4);
  auto* a = reinterpret_cast<BlockQ8K*>(activations.data());
  for (std::size_t i = 0; i < activations.size() / sizeof(BlockQ8K); ++i) {
    a[i].d = 1.0f;
    for (int j = 0; j < 16; ++j) {
      int sum = 0;
      for (int k = 0; k < 16; ++k)
        sum += a[i].qs[16 * j + k] = static_cast<std::int8_t>(small(rng));
      a[i].bsums[j] = static_cast<std::int16_t>(sum);
    }
  }
}

/// The packed products against vec_dot of the original rows (see the top of the file); with
/// integer_sums (make_sums_integers) every path must give the reference's bits.
void check_products(bool integer_sums) {
  std::mt19937_64 rng(22);
  struct Case {
    std::int64_t rows, nb, row_begin, row_end, tokens;
  };
  const Case cases[] = {{16, 1, 0, 16, 1},
                        {37, 2, 0, 37, 4},
                        {37, 6, 3, 29, 2},
                        {64, 6, 16, 48, 1},
                        {45, 3, 5, 43, 1},  // one token (a kernel of its own) over partial groups
                        {64, 2, 5, 6, 3},
                        {50, 3, 17, 50, 16},
                        {40, 2, 0, 40, 17},
                        {33, 1, 31, 33, 35},
                        {48, 35, 16, 48, 2},
                        // passes of more than 4 tokens that are not a multiple of 8 (q4_k and
                        // q5_k unpack such passes into L1 and take up to 8 tokens at a time)
                        {40, 3, 0, 40, 13},
                        {24, 2, 2, 24, 6}};
  int compared = 0;
  for (const QuantType type : {QuantType::q4_k, QuantType::q5_k, QuantType::q6_k}) {
    const QuantType act = vec_dot_activation_type(type);
    for (const Case& c : cases) {
      if (integer_sums && c.nb > 6) continue;  // the integers must stay below 2^24
      Matrix m{type, c.rows, c.nb, random_rows(type, c.rows, c.nb * 256, rng), {}};
      std::vector<std::uint8_t> a = random_rows(act, c.tokens, c.nb * 256, rng);
      if (integer_sums) make_sums_integers(type, m.bytes, a, rng);
      m.packed.assign(packed_k_bytes(type, c.rows, c.nb), 0xA5);
      pack_k(type, m.bytes.data(), c.rows, c.nb, m.packed.data());
      const auto w_row = static_cast<std::size_t>(block_bytes(type) * c.nb);
      const auto a_row = static_cast<std::size_t>(row_bytes(act, c.nb * 256));
      const std::int64_t n = c.row_end - c.row_begin, stride = n + 3;
      for (const bool fast : {false, true}) {
        if (fast && !packed_k_kernel_available(type)) continue;
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
            const std::uint8_t* w = m.bytes.data() + w_row * static_cast<std::size_t>(r);
            const std::uint8_t* x = a.data() + a_row * static_cast<std::size_t>(t);
            const float expected = vec_dot(type, w, x, c.nb * 256);
            ++compared;
            const auto where = [&] {
              return std::string(quant_type_name(type)) + (fast ? " kernel" : " reference") +
                     " rows " + std::to_string(c.rows) + " blocks " + std::to_string(c.nb) +
                     " range " + std::to_string(c.row_begin) + ".." + std::to_string(c.row_end) +
                     " tokens " + std::to_string(c.tokens) + " at row " + std::to_string(r) +
                     " token " + std::to_string(t);
            };
            if (fast && !integer_sums) {
              const double bound =
                  2.0 * static_cast<double>(c.nb + 16) * 0x1p-24 * term_magnitude(type, w, x, c.nb);
              ASSERT_LE(std::abs(static_cast<double>(got) - expected), bound) << where();
              continue;
            }
            ASSERT_EQ(test::float_bits(got), test::float_bits(expected)) << where();
          }
        }
      }
    }
  }
  EXPECT_GT(compared, integer_sums ? 1000 : 2000);
}

TEST(PackedK, ProductsEqualVecDotOfTheOriginalRows) {
  check_products(false);
}

TEST(PackedK, ProductsWithIntegerPartialSumsEqualVecDotBitForBit) {
  check_products(true);
}

}  // namespace
}  // namespace r1::quant
