// The FMA prefill kernel (ops/cpu/fma_gemm.h) against its scalar oracle, bit for bit: every
// output is the in-order fma chain over the columns, whatever the tile, panel or chunk it fell
// in, on each instruction set's kernel. Shapes cover partial row vectors and panels (rows not a
// multiple of 8, 16 or 64, the AVX2 and AVX-512 vectors and panels), column
// counts off the 8-column transpose and the 128-column chunks, every token-tile width (1-6 and
// past 6), and outputs with a stride wider than the rows.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "core/half.h"
#include "ops/cpu/fma_gemm.h"
#include "ops_test_support.h"
#include "quant/packed_q8_0.h"
#include "quant/quant_type.h"
#include "quant/quantize.h"

namespace r1::ops {
namespace {

using test_support::random_floats;

struct Case {
  std::int64_t rows, cols, tokens;
};

std::vector<std::uint16_t> to_half(DType type, const std::vector<float>& v) {
  std::vector<std::uint16_t> out;
  for (float e : v) out.push_back(type == DType::f16 ? f32_to_f16(e) : f32_to_bf16(e));
  return out;
}

void expect_in_order_fma_chains(cpu::CpuIsa isa) {
  const Case cases[] = {{1, 1, 1},    {16, 8, 6},    {17, 9, 7},     {63, 127, 5},
                        {64, 128, 12}, {65, 129, 13}, {130, 300, 3},  {257, 77, 2},
                        {300, 1543, 4}, {48, 8960, 8}, {5, 3, 19}};
  std::uint32_t seed = 1;
  for (DType type : {DType::bf16, DType::f16, DType::f32}) {
    for (const Case& c : cases) {
      const std::vector<float> w32 = random_floats(static_cast<std::size_t>(c.rows * c.cols), ++seed, 0.1f);
      const std::vector<std::uint16_t> w16 = type == DType::f32 ? std::vector<std::uint16_t>{} : to_half(type, w32);
      const void* w = type == DType::f32 ? static_cast<const void*>(w32.data()) : w16.data();
      const std::vector<float> x = random_floats(static_cast<std::size_t>(c.tokens * c.cols), ++seed);
      const std::int64_t stride = c.rows + 3;
      std::vector<float> ours(static_cast<std::size_t>(c.tokens * stride), -7.0f);
      std::vector<float> want(ours.size(), -7.0f);
      cpu::fma_gemm(isa, type, w, c.rows, c.cols, x.data(), c.tokens, ours.data(), stride);
      cpu::fma_gemm_reference(type, w, c.rows, c.cols, x.data(), c.tokens, want.data(), stride);
      for (std::int64_t t = 0; t < c.tokens; ++t) {
        for (std::int64_t r = 0; r < stride; ++r) {  // the 3 padding lanes must stay untouched
          ASSERT_EQ(ours[t * stride + r], want[t * stride + r])
              << cpu::isa_name(isa) << " " << static_cast<int>(type) << " " << c.rows << "x"
              << c.cols << " tokens " << c.tokens << " token " << t << " row " << r;
        }
      }
    }
  }
}

TEST(FmaGemm, Avx512OutputsAreTheInOrderFmaChainsOfTheReference) {
  if (!cpu::fma_gemm_available(cpu::CpuIsa::avx512)) GTEST_SKIP() << "no AVX-512 here";
  expect_in_order_fma_chains(cpu::CpuIsa::avx512);
}

TEST(FmaGemm, Avx2OutputsAreTheInOrderFmaChainsOfTheReference) {
  if (!cpu::fma_gemm_available(cpu::CpuIsa::avx2)) GTEST_SKIP() << "no AVX2 + FMA + F16C here";
  expect_in_order_fma_chains(cpu::CpuIsa::avx2);
}

// Quantized rows (AVX2 only): each weight is its dequantized value, and each output the same
// in-order fma chain over the fp32 activations. Columns cover one block, several 256-column
// chunks and a last chunk shorter than the rest (whole blocks: 32 or 256 columns each).
TEST(FmaGemm, Avx2QuantizedOutputsAreTheInOrderFmaChainsOfDequantizedRows) {
  if (!cpu::fma_gemm_available(cpu::CpuIsa::avx2)) GTEST_SKIP() << "no AVX2 + FMA + F16C here";
  std::uint32_t seed = 100;
  for (DType type : all_dtypes) {
    if (!is_quantized(type)) continue;
    EXPECT_TRUE(cpu::fma_gemm_supports(cpu::CpuIsa::avx2, type)) << dtype_cli_name(type);
    EXPECT_FALSE(cpu::fma_gemm_supports(cpu::CpuIsa::avx512, type)) << dtype_cli_name(type);
    const std::int64_t block = dtype_block_elements(type);
    const Case cases[] = {
        {1, block, 1}, {17, 3 * block, 7}, {33, 768, 13}, {70, 1536 + block, 6}, {9, 2560, 64}};
    for (const Case& c : cases) {
      const std::vector<float> w32 =
          random_floats(static_cast<std::size_t>(c.rows * c.cols), ++seed, 0.1f);
      const auto row_bytes = static_cast<std::size_t>(dtype_row_bytes(type, c.cols));
      std::vector<std::uint8_t> w(row_bytes * static_cast<std::size_t>(c.rows));
      for (std::int64_t r = 0; r < c.rows; ++r) {
        quant::quantize_row(*quant::quant_type_of(type), w32.data() + r * c.cols,
                            w.data() + static_cast<std::size_t>(r) * row_bytes, c.cols);
      }
      const std::vector<float> x =
          random_floats(static_cast<std::size_t>(c.tokens * c.cols), ++seed);
      const std::int64_t stride = c.rows + 3;
      std::vector<float> ours(static_cast<std::size_t>(c.tokens * stride), -7.0f);
      std::vector<float> want(ours.size(), -7.0f);
      cpu::fma_gemm(cpu::CpuIsa::avx2, type, w.data(), c.rows, c.cols, x.data(), c.tokens,
                    ours.data(), stride);
      cpu::fma_gemm_reference(type, w.data(), c.rows, c.cols, x.data(), c.tokens, want.data(),
                              stride);
      ASSERT_EQ(ours, want) << dtype_cli_name(type) << " " << c.rows << "x" << c.cols << " tokens "
                            << c.tokens;
    }
  }
}

TEST(FmaGemm, Avx2PackedQ8_0OutputsAreThoseOfTheOriginalRows) {
  if (!cpu::fma_gemm_available(cpu::CpuIsa::avx2)) GTEST_SKIP() << "no AVX2 + FMA + F16C here";
  std::uint32_t seed = 200;
  struct Range {
    std::int64_t rows, cols, tokens, row_begin, row_end;
  };
  // Ranges that start and end inside the 16-row groups, and rows of more than one chunk.
  for (const Range c :
       {Range{45, 1536 + 32, 13, 5, 43}, Range{16, 64, 7, 0, 16}, Range{40, 96, 65, 17, 18}}) {
    const std::vector<float> w32 =
        random_floats(static_cast<std::size_t>(c.rows * c.cols), ++seed, 0.1f);
    const std::int64_t nb = c.cols / quant::kBlock32;
    std::vector<quant::BlockQ8_0> w(static_cast<std::size_t>(c.rows * nb));
    for (std::int64_t r = 0; r < c.rows; ++r)
      quant::quantize_row(quant::QuantType::q8_0, w32.data() + r * c.cols, w.data() + r * nb,
                          c.cols);
    std::vector<std::uint8_t> packed(quant::packed_q8_0_bytes(c.rows, nb));
    quant::pack_q8_0(w.data(), c.rows, nb, packed.data());
    const std::vector<float> x = random_floats(static_cast<std::size_t>(c.tokens * c.cols), ++seed);
    const std::int64_t n = c.row_end - c.row_begin, stride = n + 3;
    std::vector<float> ours(static_cast<std::size_t>(c.tokens * stride), -7.0f);
    std::vector<float> want(ours.size(), -7.0f);
    cpu::fma_gemm_packed_q8_0(cpu::CpuIsa::avx2, packed.data(), c.row_begin, c.row_end, c.cols,
                              x.data(), c.tokens, ours.data(), stride);
    cpu::fma_gemm_reference(DType::q8_0, w.data() + c.row_begin * nb, n, c.cols, x.data(), c.tokens,
                            want.data(), stride);
    ASSERT_EQ(ours, want) << c.rows << "x" << c.cols << " rows " << c.row_begin << ".." << c.row_end
                          << " tokens " << c.tokens;
  }
}

// The oracle's quantized weights are ggml's dequantized values: one row of q8_0 blocks
// (scale 1, quants 1..32) against x = 1 gives their sum.
TEST(FmaGemm, ReferenceReadsQuantizedRowsAsTheirDequantizedValues) {
  std::vector<float> row(32);
  for (int i = 0; i < 32; ++i) row[static_cast<std::size_t>(i)] = static_cast<float>(i + 1);
  std::vector<std::uint8_t> block(static_cast<std::size_t>(dtype_row_bytes(DType::q8_0, 32)));
  quant::quantize_row(quant::QuantType::q8_0, row.data(), block.data(), 32);
  const std::vector<float> x(32, 1.0f);
  float y = 0;
  cpu::fma_gemm_reference(DType::q8_0, block.data(), 1, 32, x.data(), 1, &y, 1);
  // q8_0 of 1..32: d = 32 / 127 (as f16), q = round(v / d); the values are d * q.
  std::vector<float> dequantized(32);
  quant::dequantize_row(quant::QuantType::q8_0, block.data(), dequantized.data(), 32);
  float sum = 0;
  for (float v : dequantized) sum = std::fma(1.0f, v, sum);
  EXPECT_EQ(y, sum);
  EXPECT_NEAR(y, 528.0f, 2.0f);  // 1 + ... + 32, within q8_0's rounding
}

TEST(FmaGemm, ScalarHasNoKernel) {
  EXPECT_FALSE(cpu::fma_gemm_available(cpu::CpuIsa::scalar));
  float y = 0;
  const float w = 1, x = 1;
  EXPECT_THROW(cpu::fma_gemm(cpu::CpuIsa::scalar, DType::f32, &w, 1, 1, &x, 1, &y, 1),
               std::invalid_argument);
}

// The oracle itself: fma(x1, w1, x0 w0) keeps the exact product (1 + 2^-12)^2 = 1 + 2^-11 +
// 2^-24, so the chain in column order leaves 2^-24, where a sum of rounded products, or the
// chain taken from the last column, gives 0.
TEST(FmaGemm, ReferenceIsAnFmaChainOverTheColumnsInOrder) {
  const float w[2] = {1.0f + 0x1p-11f, 1.0f + 0x1p-12f};
  const float x[2] = {-1.0f, 1.0f + 0x1p-12f};
  float y = 1.0f;
  cpu::fma_gemm_reference(DType::f32, w, 1, 2, x, 1, &y, 1);
  EXPECT_EQ(y, 0x1p-24f);
}

}  // namespace
}  // namespace r1::ops
