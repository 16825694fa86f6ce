// The AMX kernel against its scalar oracle (the same bf16-rounded operands summed in double) for
// every weight type it takes, odd shapes (row, token and column tails, several K blocks, row
// ranges that start inside the matrix, strided outputs), and through CpuBackend::linear with
// stacked parts of mixed types, biases and 1-3 threads; quantized types also against the exact
// integer path, within what bf16 rounding costs. Skipped where the processor has no AMX.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/half.h"
#include "ops/backend.h"
#include "ops/cpu/amx_gemm.h"
#include "ops/cpu_backend.h"
#include "quant/quant_type.h"
#include "quant/quantize.h"
#include "ops_test_support.h"

namespace r1::ops {
namespace {

using test_support::random_floats;

// A weight matrix stored in `type` (quantized with ggml's reference quantizer).
struct OwnedWeights {
  std::vector<std::uint8_t> bytes;
  WeightMatrix view;
};

OwnedWeights make_weights(DType type, std::int64_t rows, std::int64_t cols, std::uint32_t seed) {
  const std::vector<float> values = random_floats(static_cast<std::size_t>(rows * cols), seed, 0.1f);
  OwnedWeights w;
  const auto row = static_cast<std::size_t>(dtype_row_bytes(type, cols));
  w.bytes.resize(row * static_cast<std::size_t>(rows));
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* from = values.data() + r * cols;
    std::uint8_t* to = w.bytes.data() + row * static_cast<std::size_t>(r);
    if (type == DType::bf16 || type == DType::f16) {
      for (std::int64_t i = 0; i < cols; ++i) {
        const std::uint16_t h = type == DType::f16 ? f32_to_f16(from[i]) : f32_to_bf16(from[i]);
        std::memcpy(to + 2 * i, &h, 2);
      }
    } else {
      quant::quantize_row(*quant::quant_type_of(type), from, to, cols);
    }
  }
  w.view = {type, w.bytes.data(), rows, cols};
  return w;
}

// sum_k |bf16(x[t, k]) * bf16(w[r, k])| + 1: the scale of fp32 summation error for (t, r).
std::vector<double> magnitudes(const WeightMatrix& w, const float* x, std::int64_t n_tokens) {
  std::vector<double> m(static_cast<std::size_t>(n_tokens * w.rows), 1.0);
  std::vector<float> row(static_cast<std::size_t>(w.cols));
  for (std::int64_t r = 0; r < w.rows; ++r) {
    dequantize_row(w, r, row.data());
    for (std::int64_t t = 0; t < n_tokens; ++t) {
      for (std::int64_t k = 0; k < w.cols; ++k) {
        m[static_cast<std::size_t>(t * w.rows + r)] +=
            std::abs(bf16_to_f32(f32_to_bf16(x[t * w.cols + k])) *
                     bf16_to_f32(f32_to_bf16(row[static_cast<std::size_t>(k)])));
      }
    }
  }
  return m;
}

struct Shape {
  std::int64_t rows, tokens, cols;
};

std::vector<Shape> shapes_for(DType type) {
  if (type == DType::bf16 || type == DType::f16) {
    // Column tails (17, 200), exactly one tile (32), several K blocks with a tail (1056).
    return {{1, 1, 17}, {17, 15, 96}, {32, 16, 32}, {45, 33, 200}, {70, 40, 1056}, {64, 32, 512}};
  }
  const std::int64_t block = dtype_block_elements(type);
  if (block == 256) return {{1, 3, 256}, {33, 17, 768}, {70, 40, 1280}};
  return {{1, 1, 32}, {17, 15, 96}, {45, 33, 224}, {70, 40, 544}};
}

const DType kAmxTypes[] = {DType::bf16, DType::f16,  DType::q8_0, DType::q4_0, DType::q4_1,
                           DType::q5_0, DType::q5_1, DType::q4_k, DType::q5_k, DType::q6_k};

TEST(AmxGemm, MatchesTheBf16ReferenceForEveryTypeAndOddShapes) {
  if (!cpu::amx_available()) GTEST_SKIP() << "no AMX-BF16 here";
  std::uint32_t seed = 1;
  cpu::AmxScratch scratch;
  for (DType type : kAmxTypes) {
    ASSERT_TRUE(cpu::amx_supports(type));
    for (const Shape& s : shapes_for(type)) {
      const OwnedWeights w = make_weights(type, s.rows, s.cols, ++seed);
      const std::vector<float> x = random_floats(static_cast<std::size_t>(s.tokens * s.cols), ++seed);
      cpu::AmxActivations packed;
      packed.reshape(s.tokens, s.cols);
      // Packed in two halves, as two threads would.
      const std::int64_t half = packed.token_blocks() / 2;
      cpu::amx_pack_activations(x.data(), 0, half, packed);
      cpu::amx_pack_activations(x.data(), half, packed.token_blocks(), packed);
      const std::vector<double> magnitude = magnitudes(w.view, x.data(), s.tokens);
      // All rows, and a range starting at row 32 (the second register block) into a wider y.
      for (const std::int64_t first : {std::int64_t{0}, std::int64_t{32}}) {
        if (first >= s.rows) continue;
        const std::int64_t stride = s.rows + 3;
        std::vector<float> ours(static_cast<std::size_t>(s.tokens * stride), -999.0f),
            expected(ours.size(), -999.0f);
        cpu::amx_gemm(w.view, first, s.rows, packed, ours.data(), stride, scratch);
        cpu::amx_gemm_reference(w.view, first, s.rows, x.data(), s.tokens, expected.data(),
                                stride);
        for (std::int64_t t = 0; t < s.tokens; ++t) {
          for (std::int64_t j = 0; j < stride; ++j) {
            const auto i = static_cast<std::size_t>(t * stride + j);
            const std::string where = std::string(dtype_cli_name(type)) + " " +
                                      std::to_string(s.rows) + "x" + std::to_string(s.tokens) +
                                      "x" + std::to_string(s.cols) + " first " +
                                      std::to_string(first) + " token " + std::to_string(t) +
                                      " column " + std::to_string(j);
            if (j >= s.rows - first) {
              ASSERT_EQ(ours[i], -999.0f) << "wrote outside its rows: " << where;
              continue;
            }
            const double tol =
                2e-6 * magnitude[static_cast<std::size_t>(t * s.rows + first + j)];
            ASSERT_NEAR(ours[i], expected[i], tol) << where;
          }
        }
      }
    }
  }
}

// Stacked parts of mixed types (as llama.cpp's q4_k_m fuses q4_k q/k with a q6_k v) with biases,
// through the backend's prefill path on 1-3 threads: each part is the AMX product of its own
// rows, plus its bias.
TEST(AmxGemm, BackendLinearUsesTheKernelForStackedMixedParts) {
  if (!cpu::amx_available()) GTEST_SKIP() << "no AMX-BF16 here";
  const std::int64_t cols = 512;
  const OwnedWeights q = make_weights(DType::q4_k, 96, cols, 11),
                     k = make_weights(DType::bf16, 40, cols, 12),
                     v = make_weights(DType::q6_k, 64, cols, 13),
                     f = make_weights(DType::f16, 33, cols, 14);
  const std::vector<WeightMatrix> parts = {q.view, k.view, v.view, f.view};
  const std::vector<float> q_bias = random_floats(96, 15), f_bias = random_floats(33, 16);
  const Linear linear = Linear::stacked(parts, {q_bias, {}, {}, f_bias});
  for (int threads : {1, 2, 3}) {
    auto backend = make_cpu_backend({threads, std::nullopt, true});
    ASSERT_NE(backend->describe().find("+amx"), std::string::npos) << backend->describe();
    for (std::int64_t tokens : {kQuantizedMatrixUnitMinTokens, std::int64_t{70}}) {
      const std::vector<float> x = random_floats(static_cast<std::size_t>(tokens * cols), 17);
      std::vector<float> ours(static_cast<std::size_t>(tokens * linear.rows));
      backend->linear(x.data(), tokens, linear, ours.data());
      std::int64_t first = 0;
      for (const WeightMatrix& part : parts) {
        std::vector<float> expected(static_cast<std::size_t>(tokens * part.rows));
        cpu::amx_gemm_reference(part, 0, part.rows, x.data(), tokens, expected.data(), part.rows);
        const std::vector<double> magnitude = magnitudes(part, x.data(), tokens);
        for (std::int64_t t = 0; t < tokens; ++t) {
          for (std::int64_t r = 0; r < part.rows; ++r) {
            const auto e = static_cast<std::size_t>(t * part.rows + r);
            const double bias = linear.bias[static_cast<std::size_t>(first + r)];
            ASSERT_NEAR(ours[static_cast<std::size_t>(t * linear.rows + first + r)],
                        expected[e] + bias, 2e-6 * magnitude[e] + 1e-6 * std::abs(bias))
                << dtype_cli_name(part.type) << " threads " << threads << " tokens " << tokens
                << " token " << t << " row " << r;
          }
        }
        first += part.rows;
      }
    }
  }
}

// The AMX product of a quantized matrix stays close to ggml's exact integer product (8-bit
// activations, which decode keeps using): bf16 keeps 8 significant bits of each activation and
// weight (relative error up to 2^-9 each), q8 activations keep 1/254 of each block's largest
// value; over random sums both leave well under 1% RMS, so 1.5% catches a wrong block or scale.
TEST(AmxGemm, QuantizedProductsStayCloseToTheIntegerPath) {
  if (!cpu::amx_available()) GTEST_SKIP() << "no AMX-BF16 here";
  const std::int64_t rows = 48, cols = 768, tokens = kQuantizedMatrixUnitMinTokens + 8;
  auto amx = make_cpu_backend({2, std::nullopt, true});
  auto integer = make_cpu_backend({2, std::nullopt, false});
  const std::vector<float> x = random_floats(static_cast<std::size_t>(tokens * cols), 21);
  for (DType type : kAmxTypes) {
    if (!is_quantized(type)) continue;
    const OwnedWeights w = make_weights(type, rows, cols, 22);
    const Linear linear = Linear::single(w.view);
    std::vector<float> ours(static_cast<std::size_t>(tokens * rows)), exact(ours.size());
    amx->linear(x.data(), tokens, linear, ours.data());
    integer->linear(x.data(), tokens, linear, exact.data());
    double err = 0, norm = 0;
    for (std::size_t i = 0; i < ours.size(); ++i) {
      err += (ours[i] - exact[i]) * (ours[i] - exact[i]);
      norm += exact[i] * exact[i];
    }
    EXPECT_LT(std::sqrt(err / norm), 0.015) << dtype_cli_name(type);
    EXPECT_GT(err, 0.0) << dtype_cli_name(type) << ": the integer path ran, not the AMX one";
  }
}

}  // namespace
}  // namespace r1::ops
