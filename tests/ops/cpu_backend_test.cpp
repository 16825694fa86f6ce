// The CPU backend's kernels against the scalar reference ops, for every instruction set this
// processor runs, every weight dtype, odd shapes (tails shorter than a vector, rows not a multiple
// of a tile, more tokens than a cache chunk), stacked parts with biases, strided attention calls
// and 1 to 3 threads. The reference ops are themselves checked by hand in reference_ops_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <iostream>
#include <limits>
#include <random>
#include <span>
#include <vector>

#include "core/half.h"
#include "ops/backend.h"
#include "ops/cpu/amx_gemm.h"
#include "ops/cpu/bf16_dot_rate.h"
#include "ops/cpu/dnnl_matmul.h"
#include "ops/cpu/fma_gemm.h"
#include "ops/cpu/vector_ops.h"
#include "ops/cpu_backend.h"
#include "ops/rope.h"
#include "ops_test_support.h"
#include "quant/packed_k.h"
#include "quant/packed_q4.h"
#include "quant/packed_q8_0.h"
#include "quant/quantize.h"
#include "r1/error.h"

namespace r1::ops {
namespace {

using cpu::CpuIsa;
using test_support::random_floats;
using test_support::supported_isas;

// A weight matrix's bytes in `type`, from float values.
struct OwnedMatrix {
  std::vector<float> f32;
  std::vector<std::uint16_t> half;
  WeightMatrix view;
};

OwnedMatrix make_matrix(DType type, std::int64_t rows, std::int64_t cols, std::uint32_t seed) {
  OwnedMatrix m;
  m.f32 = random_floats(static_cast<std::size_t>(rows * cols), seed, 0.1f);
  if (type != DType::f32) {
    for (float v : m.f32) m.half.push_back(type == DType::f16 ? f32_to_f16(v) : f32_to_bf16(v));
  }
  m.view = {type, type == DType::f32 ? static_cast<const void*>(m.f32.data()) : m.half.data(), rows,
            cols};
  return m;
}

void expect_close(const std::vector<float>& ours, const std::vector<float>& reference, double tol,
                  const std::string& what) {
  ASSERT_EQ(ours.size(), reference.size()) << what;
  for (std::size_t i = 0; i < ours.size(); ++i) {
    ASSERT_NEAR(ours[i], reference[i], tol * (1.0 + std::abs(reference[i]))) << what << " at " << i;
  }
}

struct LinearCase {
  std::int64_t tokens, rows, cols;
};

TEST(CpuBackend, LinearMatchesReferenceForEveryIsaDtypeAndShape) {
  const LinearCase cases[] = {{1, 1, 1},      {1, 7, 5},     {3, 17, 33},    {4, 64, 64},
                              {5, 33, 100},   {9, 40, 256},  {1, 300, 1536}, {70, 48, 1536},
                              {13, 24, 8960}, {1, 61, 1543}, {1, 45, 8960}};
  std::uint32_t seed = 1;
  for (CpuIsa isa : supported_isas()) {
    for (int threads : {1, 2, 3}) {
      auto backend = make_cpu_backend({threads, isa, false});
      for (DType type : {DType::f32, DType::f16, DType::bf16}) {
        for (const LinearCase& c : cases) {
          const OwnedMatrix w = make_matrix(type, c.rows, c.cols, ++seed);
          const std::vector<float> x =
              random_floats(static_cast<std::size_t>(c.tokens * c.cols), ++seed);
          const Linear linear =
              Linear::single(w.view, random_floats(static_cast<std::size_t>(c.rows), ++seed));
          std::vector<float> ours(static_cast<std::size_t>(c.tokens * c.rows));
          backend->linear(x.data(), c.tokens, linear, ours.data());
          // Against the dot product in double: fp32 summation in any order stays within a small
          // multiple of eps * sum |x_i w_i| (the reference's own sequential sum is no closer).
          for (std::int64_t t = 0; t < c.tokens; ++t) {
            for (std::int64_t r = 0; r < c.rows; ++r) {
              double exact = linear.bias[static_cast<std::size_t>(r)], magnitude = 1.0;
              for (std::int64_t i = 0; i < c.cols; ++i) {
                const double p = static_cast<double>(x[t * c.cols + i]) * weight_at(w.view, r, i);
                exact += p;
                magnitude += std::abs(p);
              }
              ASSERT_NEAR(ours[t * c.rows + r], exact, 2e-6 * magnitude)
                  << cpu::isa_name(isa) << " " << dtype_cli_name(type) << " " << c.tokens << "x"
                  << c.rows << "x" << c.cols << " threads " << threads << " token " << t << " row "
                  << r;
            }
          }
        }
      }
    }
  }
}

// bf16 weights and a prefill-sized batch go to the matrix units (our AMX kernel, or oneDNN on
// AVX512-BF16 without AMX) with the activations rounded to bf16 (as transformers computes a bf16
// model): each output must be the exact dot product of the rounded activations with the weights,
// up to fp32 summation order. (Without AMX, and where VDPBF16PS is slower than the FMA units,
// they take the FMA kernel: the next test.)
TEST(CpuBackend, MatrixUnitsComputeWithBf16Activations) {
  if (!cpu::amx_available() && !(cpu::DnnlMatmul::available() && cpu::bf16_dot_outruns_fma()))
    GTEST_SKIP() << "no AMX here, and no oneDNN or VDPBF16PS slower than FMA";
  const LinearCase cases[] = {{16, 64, 64}, {37, 300, 1536}, {512, 48, 8960}, {20, 7, 96}};
  std::uint32_t seed = 100;
  for (int threads : {1, 2}) {
    auto backend = make_cpu_backend({threads, std::nullopt, true});
    ASSERT_TRUE(backend->describe().find("+amx") != std::string::npos ||
                backend->describe().find("+onednn") != std::string::npos);
    for (const LinearCase& c : cases) {
      const OwnedMatrix q = make_matrix(DType::bf16, c.rows, c.cols, ++seed),
                        k = make_matrix(DType::bf16, 5, c.cols, ++seed);
      const Linear linear = Linear::stacked({q.view, k.view}, {{}, random_floats(5, ++seed)});
      const std::vector<float> x =
          random_floats(static_cast<std::size_t>(c.tokens * c.cols), ++seed);
      std::vector<float> ours(static_cast<std::size_t>(c.tokens * linear.rows));
      backend->linear(x.data(), c.tokens, linear, ours.data());
      for (std::int64_t t = 0; t < c.tokens; t += 3) {
        for (std::int64_t r = 0; r < linear.rows; ++r) {
          const bool in_q = r < c.rows;
          double exact = in_q ? 0.0 : linear.bias[static_cast<std::size_t>(r)], magnitude = 1.0;
          for (std::int64_t i = 0; i < c.cols; ++i) {
            const double xi = bf16_to_f32(f32_to_bf16(x[t * c.cols + i]));
            const double p =
                xi * (in_q ? weight_at(q.view, r, i) : weight_at(k.view, r - c.rows, i));
            exact += p;
            magnitude += std::abs(p);
          }
          ASSERT_NEAR(ours[t * linear.rows + r], exact, 2e-6 * magnitude)
              << c.tokens << "x" << c.rows << "x" << c.cols << " token " << t << " row " << r;
        }
      }
    }
  }
}

// Prefill-sized batches of 16-bit / f32 weights without the matrix units (matrix_units off, as on
// a processor without AMX) run on the FMA kernel of the backend's instruction set (AVX2 or
// AVX-512): every output is its in-order fma chain over
// the fp32 activations (cpu::fma_gemm_reference) plus the bias, bit for bit, in stacked parts,
// with any thread count.
TEST(CpuBackend, PrefillWithoutMatrixUnitsIsTheInOrderFmaChain) {
  if (!cpu::isa_supported(CpuIsa::avx2)) GTEST_SKIP() << "no AVX2 here";
  const LinearCase cases[] = {{kFmaGemmMinTokens, 64, 64}, {70, 300, 1536}, {131, 53, 1543},
                              {kFmaGemmMinTokens + 5, 17, 8960}};
  std::uint32_t seed = 400;
  for (CpuIsa isa : supported_isas()) {
    if (isa == CpuIsa::scalar) continue;
    for (int threads : {1, 2, 3}) {
      auto backend = make_cpu_backend({threads, isa, false});
      for (DType type : {DType::bf16, DType::f16, DType::f32}) {
        for (const LinearCase& c : cases) {
          const OwnedMatrix a = make_matrix(type, c.rows, c.cols, ++seed),
                            b = make_matrix(type, 21, c.cols, ++seed);
          const std::vector<float> bias =
              random_floats(static_cast<std::size_t>(c.rows + 21), ++seed);
          const Linear linear = Linear::stacked(
              {a.view, b.view}, {std::vector<float>(bias.begin(), bias.begin() + c.rows),
                                 std::vector<float>(bias.begin() + c.rows, bias.end())});
          const std::vector<float> x =
              random_floats(static_cast<std::size_t>(c.tokens * c.cols), ++seed);
          std::vector<float> ours(static_cast<std::size_t>(c.tokens * linear.rows));
          backend->linear(x.data(), c.tokens, linear, ours.data());
          std::vector<float> expected(ours.size());
          cpu::fma_gemm_reference(type, a.view.data, c.rows, c.cols, x.data(), c.tokens,
                                  expected.data(), linear.rows);
          cpu::fma_gemm_reference(type, b.view.data, 21, c.cols, x.data(), c.tokens,
                                  expected.data() + c.rows, linear.rows);
          for (std::int64_t t = 0; t < c.tokens; ++t) {
            for (std::int64_t r = 0; r < linear.rows; ++r) {
              const float want = expected[t * linear.rows + r] + bias[static_cast<std::size_t>(r)];
              ASSERT_EQ(ours[t * linear.rows + r], want)
                  << cpu::isa_name(isa) << " " << dtype_cli_name(type) << " " << c.tokens << "x"
                  << c.rows << "x" << c.cols << " threads " << threads << " token " << t << " row "
                  << r;
            }
          }
        }
      }
    }
  }
}

// On AVX2 (no VNNI integer kernels) prefill-sized batches of quantized weights go to the FMA
// kernel too, the weights dequantized into its panels: every output is the in-order fma chain of
// the fp32 activations with the dequantized weights plus the bias, bit for bit, with stacked
// parts of different types (q4_k_m's fused q/k/v), any thread count; fewer tokens keep ggml's
// integer dot products (QuantizedLinearIsGgmlsDotOfQuantizedActivations).
TEST(CpuBackend, QuantizedPrefillOnAvx2IsTheInOrderFmaChainOfDequantizedWeights) {
  if (!cpu::isa_supported(CpuIsa::avx2)) GTEST_SKIP() << "no AVX2 here";
  const std::int64_t cols = 768;
  const auto quantized = [&](DType type, std::int64_t rows, std::uint32_t seed) {
    const std::vector<float> values = random_floats(static_cast<std::size_t>(rows * cols), seed);
    const auto row_bytes = static_cast<std::size_t>(dtype_row_bytes(type, cols));
    std::vector<std::uint8_t> blocks(row_bytes * static_cast<std::size_t>(rows));
    for (std::int64_t r = 0; r < rows; ++r) {
      quant::quantize_row(*quant::quant_type_of(type), values.data() + r * cols,
                          blocks.data() + static_cast<std::size_t>(r) * row_bytes, cols);
    }
    return blocks;
  };
  for (DType type : {DType::q8_0, DType::q4_0, DType::q4_k, DType::q5_k}) {
    const std::vector<std::uint8_t> a = quantized(type, 40, 700),
                                    b = quantized(DType::q6_k, 21, 701);
    const std::vector<float> bias = random_floats(61, 702);
    const Linear linear = Linear::stacked(
        {WeightMatrix{type, a.data(), 40, cols}, WeightMatrix{DType::q6_k, b.data(), 21, cols}},
        {std::vector<float>(bias.begin(), bias.begin() + 40),
         std::vector<float>(bias.begin() + 40, bias.end())});
    for (std::int64_t tokens : {kFmaGemmMinTokens, kFmaGemmMinTokens + 7}) {
      const std::vector<float> x = random_floats(static_cast<std::size_t>(tokens * cols), 703);
      std::vector<float> expected(static_cast<std::size_t>(tokens * 61));
      cpu::fma_gemm_reference(type, a.data(), 40, cols, x.data(), tokens, expected.data(), 61);
      cpu::fma_gemm_reference(DType::q6_k, b.data(), 21, cols, x.data(), tokens,
                              expected.data() + 40, 61);
      for (int threads : {1, 2, 3}) {
        std::vector<float> ours(expected.size());
        make_cpu_backend({threads, CpuIsa::avx2, false})
            ->linear(x.data(), tokens, linear, ours.data());
        for (std::int64_t t = 0; t < tokens; ++t) {
          for (std::int64_t r = 0; r < 61; ++r) {
            ASSERT_EQ(ours[t * 61 + r], expected[t * 61 + r] + bias[static_cast<std::size_t>(r)])
                << dtype_cli_name(type) << " tokens " << tokens << " threads " << threads
                << " token " << t << " row " << r;
          }
        }
      }
    }
  }
}

// The start-up measurement behind the choice: 0 without AVX512-BF16, else a plausible ratio
// (VDPBF16PS does 2x an FMA's flops per instruction; no core issues it 4x faster or 16x
// slower), and the same decision on every call.
TEST(CpuBackend, Bf16DotRateIsMeasuredOnceAndPlausible) {
  const double ratio = cpu::bf16_dot_flops_over_fma();
  if (ratio == 0.0) {
    EXPECT_FALSE(cpu::bf16_dot_outruns_fma());
    GTEST_SKIP() << "no AVX512-BF16 here";
  }
  EXPECT_GT(ratio, 0.125);
  EXPECT_LT(ratio, 8.0);
  const bool first = cpu::bf16_dot_outruns_fma();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(cpu::bf16_dot_outruns_fma(), first);
  std::cout << "VDPBF16PS / FMA flops here: " << ratio << "\n";
}

TEST(CpuBackend, VectorBf16RoundingEqualsTheScalarConversion) {
  std::vector<float> x = random_floats(1000, 71, 100.0f);
  const float specials[] = {0.0f,
                            -0.0f,
                            1.0f,
                            1.00390625f /* tie */,
                            1.01171875f /* tie up */,
                            std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::quiet_NaN(),
                            std::numeric_limits<float>::denorm_min(),
                            std::numeric_limits<float>::max()};
  x.insert(x.end(), std::begin(specials), std::end(specials));
  std::vector<std::uint16_t> out(x.size());
  cpu::round_to_bf16(x.data(), static_cast<std::int64_t>(x.size()), out.data());
  for (std::size_t i = 0; i < x.size(); ++i) ASSERT_EQ(out[i], f32_to_bf16(x[i])) << x[i];
}

TEST(CpuBackend, StackedPartsAreOneProductWithTheirBiases) {
  for (CpuIsa isa : supported_isas()) {
    auto backend = make_cpu_backend({2, isa});
    const OwnedMatrix q = make_matrix(DType::bf16, 40, 96, 11),
                      k = make_matrix(DType::bf16, 8, 96, 12),
                      v = make_matrix(DType::bf16, 8, 96, 13);
    // k has no bias: its rows get zeros.
    const Linear qkv = Linear::stacked({q.view, k.view, v.view},
                                       {random_floats(40, 14), {}, random_floats(8, 15)});
    ASSERT_EQ(qkv.rows, 56);
    const std::vector<float> x = random_floats(6 * 96, 16);
    std::vector<float> ours(6 * 56), alone(6 * 40);
    backend->linear(x.data(), 6, qkv, ours.data());
    std::vector<float> reference(ours.size());
    linear_reference(x.data(), 6, qkv, reference.data());
    expect_close(ours, reference, 1e-5, cpu::isa_name(isa));
    // The k rows equal k alone without bias.
    std::vector<float> k_alone(6 * 8);
    backend->linear(x.data(), 6, Linear::single(k.view), k_alone.data());
    for (int t = 0; t < 6; ++t)
      for (int r = 0; r < 8; ++r) EXPECT_EQ(ours[t * 56 + 40 + r], k_alone[t * 8 + r]);
  }
}

TEST(CpuBackend, OneTokenAndManyTokensGiveIdenticalRows) {
  // Decode (one token) and prefill (a tile of tokens) must not differ in the last bit, or a
  // prefix reused from the cache would not equal a recomputed one. One token has its own row
  // tiles (8 rows, prefetching): shapes with leftover rows and columns, every element type.
  struct Shape {
    std::int64_t rows, cols;
  };
  std::uint32_t seed = 20;
  for (CpuIsa isa : supported_isas()) {
    for (int threads : {1, 2, 3}) {
      auto backend = make_cpu_backend({threads, isa});
      for (DType type : {DType::bf16, DType::f16, DType::f32}) {
        for (const Shape shape : {Shape{37, 1536}, Shape{53, 1543}, Shape{9, 100}, Shape{3, 7}}) {
          const OwnedMatrix w = make_matrix(type, shape.rows, shape.cols, ++seed);
          const Linear linear = Linear::single(w.view);
          const std::vector<float> x =
              random_floats(static_cast<std::size_t>(11 * shape.cols), ++seed);
          std::vector<float> all(static_cast<std::size_t>(11 * shape.rows));
          std::vector<float> one(static_cast<std::size_t>(shape.rows));
          backend->linear(x.data(), 11, linear, all.data());
          for (int t = 0; t < 11; ++t) {
            backend->linear(x.data() + t * shape.cols, 1, linear, one.data());
            for (std::int64_t r = 0; r < shape.rows; ++r)
              ASSERT_EQ(one[r], all[t * shape.rows + r])
                  << cpu::isa_name(isa) << " " << dtype_cli_name(type) << " " << shape.rows << "x"
                  << shape.cols << " threads " << threads << " token " << t << " row " << r;
          }
        }
      }
    }
  }
}

// Quantized weights: each output is ggml's integer dot product of the weight row with the token's
// activations quantized to the paired format (quant::vec_dot, checked bit for bit against ggml in
// tests/quant), so the backend must give exactly that; and it stays close to the fp32 product of
// the dequantized weights (the reference backend), within what 8-bit activations cost.
TEST(CpuBackend, QuantizedLinearIsGgmlsDotOfQuantizedActivations) {
  const DType types[] = {DType::q8_0, DType::q4_0, DType::q4_1, DType::q5_0,
                         DType::q5_1, DType::q4_k, DType::q5_k, DType::q6_k};
  const std::int64_t rows = 40, cols = 512, tokens = 5;
  for (DType type : types) {
    const quant::QuantType qtype = *quant::quant_type_of(type);
    const std::vector<float> values = random_floats(rows * cols, 51);
    std::vector<std::uint8_t> blocks(
        static_cast<std::size_t>(rows * quant::row_bytes(qtype, cols)));
    const auto row_bytes = static_cast<std::size_t>(quant::row_bytes(qtype, cols));
    for (std::int64_t r = 0; r < rows; ++r)
      quant::quantize_row(qtype, values.data() + r * cols, blocks.data() + row_bytes * r, cols);
    const Linear linear =
        Linear::stacked({WeightMatrix{type, blocks.data(), 24, cols},
                         WeightMatrix{type, blocks.data() + 24 * row_bytes, 16, cols}},
                        {random_floats(24, 52), {}});
    const std::vector<float> x = random_floats(tokens * cols, 53);
    const quant::QuantType act = quant::vec_dot_activation_type(qtype);
    std::vector<std::uint8_t> xq(static_cast<std::size_t>(quant::row_bytes(act, cols)));
    std::vector<float> reference(tokens * rows);
    make_reference_backend()->linear(x.data(), tokens, linear, reference.data());
    for (CpuIsa isa : supported_isas()) {
      std::vector<float> ours(tokens * rows);
      make_cpu_backend({2, isa})->linear(x.data(), tokens, linear, ours.data());
      double err = 0, norm = 0;
      for (std::int64_t t = 0; t < tokens; ++t) {
        quant::quantize_row(act, x.data() + t * cols, xq.data(), cols);
        for (std::int64_t r = 0; r < rows; ++r) {
          const float bias = r < 24 ? linear.bias[static_cast<std::size_t>(r)] : 0.0f;
          const float expected =
              quant::vec_dot(qtype, blocks.data() + row_bytes * r, xq.data(), cols) + bias;
          ASSERT_NEAR(ours[t * rows + r], expected, 1e-5 * (1 + std::abs(expected)))
              << dtype_cli_name(type) << " " << cpu::isa_name(isa);
          const double d = ours[t * rows + r] - reference[t * rows + r];
          err += d * d;
          norm += reference[t * rows + r] * reference[t * rows + r];
        }
      }
      EXPECT_LT(std::sqrt(err / norm), 0.02) << dtype_cli_name(type);
    }
  }
}

// Matrices repacked at load (quant/packed_q8_0.h, quant/packed_q4.h, quant/packed_k.h): the backend
// gives the very outputs of the file's layout, bit for bit, for decode-sized batches (the packed
// kernels) and a prefill-sized one (the matrix units' panels from the packed copy); the parts' 24 /
// 16 rows put a part boundary inside a 16-row group of the threads' row ranges. Also the
// dequantized rows. The K-quant packed kernels sum in another float order than the file layout's
// (ggml's), and so do the file layout's AVX2 row kernels (quant::gemm_relaxed: the K-quants, q8_0,
// q4_0): there the outputs
// agree to float rounding (tests/quant/packed_k_test.cpp and gemm_test.cpp hold the kernels to a
// rounding bound, and to the reference's bits where every partial sum is an integer).
TEST(CpuBackend, PackedWeightsGiveTheProductsOfTheFileLayout) {
  const std::int64_t rows = 40, cols = 512;
  for (const DType type :
       {DType::q8_0, DType::q4_0, DType::q4_1, DType::q4_k, DType::q5_k, DType::q6_k}) {
    const quant::QuantType qtype = *quant::quant_type_of(type);
    const bool q8 = type == DType::q8_0;
    const bool q4 = quant::has_packed_q4_layout(qtype);
    if (q8   ? !quant::packed_q8_0_kernel_available()
        : q4 ? !quant::packed_q4_kernel_available()
             : !quant::packed_k_kernel_available(qtype)) {
      // Without the kernel nothing is packed at load; the reference path is still compared.
      std::cout << "note: no packed " << dtype_cli_name(type) << " kernel here\n";
    }
    const std::vector<float> values = random_floats(rows * cols, 61);
    const auto row_bytes = static_cast<std::size_t>(quant::row_bytes(qtype, cols));
    std::vector<std::uint8_t> blocks(row_bytes * rows);
    for (std::int64_t r = 0; r < rows; ++r)
      quant::quantize_row(qtype, values.data() + r * cols, blocks.data() + row_bytes * r, cols);
    const std::int64_t nb = cols / quant::block_elements(qtype);
    std::vector<std::vector<std::uint8_t>> packed;
    std::vector<WeightMatrix> file_parts, packed_parts;
    for (const auto& [first, n] : {std::pair<std::int64_t, std::int64_t>{0, 24}, {24, 16}}) {
      const std::uint8_t* source = blocks.data() + row_bytes * static_cast<std::size_t>(first);
      auto& copy = packed.emplace_back(q8   ? quant::packed_q8_0_bytes(n, nb)
                                       : q4 ? quant::packed_q4_bytes(qtype, n, nb)
                                            : quant::packed_k_bytes(qtype, n, nb));
      if (q8) {
        quant::pack_q8_0(reinterpret_cast<const quant::BlockQ8_0*>(source), n, nb, copy.data());
      } else if (q4) {
        quant::pack_q4(qtype, source, n, nb, copy.data());
      } else {
        quant::pack_k(qtype, source, n, nb, copy.data());
      }
      file_parts.push_back({type, source, n, cols});
      packed_parts.push_back({type, copy.data(), n, cols, WeightLayout::packed});
    }
    const std::vector<float> bias = random_floats(24, 62);
    const Linear file = Linear::stacked(file_parts, {bias, {}});
    const Linear repacked = Linear::stacked(packed_parts, {bias, {}});
    for (const std::int64_t tokens : {1, 4, 80}) {
      const std::vector<float> x = random_floats(tokens * cols, 63);
      std::vector<float> expected(tokens * rows), got(tokens * rows, -1.0f);
      auto backend = make_cpu_backend({2, std::nullopt, true});
      backend->linear(x.data(), tokens, file, expected.data());
      backend->linear(x.data(), tokens, repacked, got.data());
      if (tokens >= kFmaGemmMinTokens && cpu::best_isa() == CpuIsa::avx2) {
        // On AVX2 the file layout's prefill runs on the FMA kernel with fp32 activations
        // (QuantizedPrefillOnAvx2IsTheInOrderFmaChainOfDequantizedWeights), a packed copy (the
        // loader makes one there for q4_0, q4_1, q4_k and q5_k) on the 8-bit activations: within
        // what those cost.
        double err = 0, norm = 0;
        for (std::size_t i = 0; i < got.size(); ++i) {
          err += (got[i] - expected[i]) * (got[i] - expected[i]);
          norm += expected[i] * expected[i];
        }
        EXPECT_LT(std::sqrt(err / norm), 0.02) << dtype_cli_name(type) << " tokens " << tokens;
        continue;
      }
      // Packed or not, one of the two sums per super-block (see above); on AVX2 the file
      // layout's q8_0 / q4_0 row kernels too, against the packed copy's reference.
      const bool avx2_rows = (q8 || type == DType::q4_0) && cpu::best_isa() == CpuIsa::avx2;
      if ((!q8 && !q4) || avx2_rows) {
        float largest = 0;
        for (const float v : expected) largest = std::max(largest, std::abs(v));
        for (std::size_t i = 0; i < got.size(); ++i) {
          ASSERT_NEAR(got[i], expected[i], 1e-5f * (1 + largest))
              << dtype_cli_name(type) << " tokens " << tokens << " at " << i;
        }
        continue;
      }
      EXPECT_EQ(got, expected) << dtype_cli_name(type) << " tokens " << tokens;
    }
    std::vector<float> row(cols), packed_row(cols);
    for (const std::int64_t r : {0, 13, 23}) {
      dequantize_row(file_parts[0], r, row.data());
      dequantize_row(packed_parts[0], r, packed_row.data());
      EXPECT_EQ(packed_row, row) << dtype_cli_name(type) << " row " << r;
      EXPECT_EQ(weight_at(packed_parts[0], r, 300), row[300]);
    }
  }
}

TEST(CpuBackend, QuantizedEmbeddingRowsAreDequantized) {
  const std::vector<float> values = random_floats(4 * 256, 61);
  std::vector<std::uint8_t> blocks(4 * 144);
  for (int r = 0; r < 4; ++r)
    quant::quantize_row(quant::QuantType::q4_k, values.data() + r * 256, blocks.data() + 144 * r,
                        256);
  const WeightMatrix table{DType::q4_k, blocks.data(), 4, 256};
  const std::int32_t ids[] = {3, 1};
  std::vector<float> out(2 * 256), expected(256);
  make_cpu_backend({1, CpuIsa::scalar})->embed(table, ids, 2, out.data());
  quant::dequantize_row(quant::QuantType::q4_k, blocks.data() + 144 * 1, expected.data(), 256);
  for (int i = 0; i < 256; ++i) {
    ASSERT_EQ(out[256 + i], expected[i]);
    ASSERT_EQ(weight_at(table, 1, i), expected[i]);
  }
}

TEST(CpuBackend, MismatchedPartsCannotBeStacked) {
  const OwnedMatrix a = make_matrix(DType::bf16, 4, 8, 1), b = make_matrix(DType::bf16, 4, 16, 2);
  EXPECT_THROW(Linear::stacked({a.view, b.view}, {}), Error);
  EXPECT_THROW(Linear::stacked({a.view}, {std::vector<float>(3)}), Error);
}

// llama.cpp's q4_k_m stores attn_v in q6_k and attn_q/attn_k in q4_k: q/k/v still fuse, each part
// with its own kernel, for prefill and decode alike.
TEST(CpuBackend, PartsOfDifferentTypesEachUseTheirKernel) {
  const std::int64_t cols = 256;
  const std::vector<float> values = random_floats(3 * 16 * cols, 91);
  std::vector<std::uint8_t> q(16 * 144), v(16 * 210);
  for (int r = 0; r < 16; ++r) {
    quant::quantize_row(quant::QuantType::q4_k, values.data() + r * cols, q.data() + r * 144, cols);
    quant::quantize_row(quant::QuantType::q6_k, values.data() + (16 + r) * cols, v.data() + r * 210,
                        cols);
  }
  const OwnedMatrix k = make_matrix(DType::bf16, 16, cols, 92);
  const Linear mixed = Linear::stacked({WeightMatrix{DType::q4_k, q.data(), 16, cols}, k.view,
                                        WeightMatrix{DType::q6_k, v.data(), 16, cols}},
                                       {random_floats(16, 93), random_floats(16, 94), {}});
  ASSERT_TRUE(mixed.mixed_types());
  for (std::int64_t tokens : {1, 20}) {
    const std::vector<float> x = random_floats(static_cast<std::size_t>(tokens * cols), 95);
    std::vector<float> ours(static_cast<std::size_t>(tokens * 48)), theirs(ours.size());
    make_cpu_backend({2, std::nullopt, true})->linear(x.data(), tokens, mixed, ours.data());
    make_reference_backend()->linear(x.data(), tokens, mixed, theirs.data());
    // 8-bit activations for the quantized parts (bf16 ones on the matrix units for 20 tokens):
    // within 2% RMS of the fp32 product of the dequantized weights, part by part.
    for (int part = 0; part < 3; ++part) {
      double err = 0, norm = 0;
      for (std::int64_t t = 0; t < tokens; ++t) {
        for (int r = 0; r < 16; ++r) {
          const double d = ours[t * 48 + part * 16 + r] - theirs[t * 48 + part * 16 + r];
          err += d * d;
          norm += theirs[t * 48 + part * 16 + r] * theirs[t * 48 + part * 16 + r];
        }
      }
      EXPECT_LT(std::sqrt(err / norm), 0.02) << "part " << part << " tokens " << tokens;
    }
  }
}

TEST(CpuBackend, ElementwiseOpsMatchReference) {
  const std::int64_t n = 7, dim = 100, ff = 37, heads = 3, head_dim = 16;
  const std::vector<float> inv_freq = rope_inv_freq(head_dim, 10000.0, {});
  for (CpuIsa isa : supported_isas()) {
    auto backend = make_cpu_backend({2, isa});
    auto reference = make_reference_backend();
    const std::vector<float> x = random_floats(n * dim, 31), weight = random_floats(dim, 32);
    std::vector<float> a(n * dim), b(n * dim);
    backend->rmsnorm(x.data(), weight.data(), n, dim, 1e-6f, a.data());
    reference->rmsnorm(x.data(), weight.data(), n, dim, 1e-6f, b.data());
    expect_close(a, b, 1e-5, "rmsnorm");

    const std::vector<float> gate_up = random_floats(n * 2 * ff, 33, 3.0f);
    std::vector<float> sa(n * ff), sb(n * ff);
    backend->swiglu(gate_up.data(), n, ff, sa.data());
    reference->swiglu(gate_up.data(), n, ff, sb.data());
    expect_close(sa, sb, 1e-6, "swiglu");

    // Rows of 3 heads inside wider rows (stride 64), positions far apart.
    const std::int64_t stride = 64;
    std::vector<float> ra = random_floats(n * stride, 34), rb = ra;
    const std::vector<std::int32_t> positions = {0, 1, 5, 100, 4095, 70000, 3};
    for (RopeLayout layout : {RopeLayout::rotate_half, RopeLayout::interleaved}) {
      backend->rope(ra.data(), stride, positions.data(), n, heads, head_dim, inv_freq.data(),
                    layout);
      reference->rope(rb.data(), stride, positions.data(), n, heads, head_dim, inv_freq.data(),
                      layout);
      expect_close(ra, rb, 1e-6, "rope");
    }
  }
}

TEST(CpuBackend, AttentionCallsMatchReference) {
  // Two sequences in one op: a prefill of 9 queries at positions 4..12 over 13 cached rows, and a
  // single decode query at position 30; q rows inside a fused qkv buffer (stride), GQA 4:2.
  const std::int64_t heads = 4, kv_heads = 2, d = 16, q_dim = heads * d, kv_dim = kv_heads * d;
  const std::int64_t qkv_stride = q_dim + 2 * kv_dim;
  const std::vector<float> qkv = random_floats(10 * qkv_stride, 41);
  const std::vector<float> k0 = random_floats(13 * kv_dim, 42), v0 = random_floats(13 * kv_dim, 43);
  const std::vector<float> k1 = random_floats(31 * kv_dim, 44), v1 = random_floats(31 * kv_dim, 45);
  std::vector<std::int32_t> positions;
  for (int p = 4; p <= 12; ++p) positions.push_back(p);
  positions.push_back(30);
  for (CpuIsa isa : supported_isas()) {
    for (int threads : {1, 3}) {
      std::vector<float> ours(10 * q_dim), theirs(10 * q_dim);
      const void* pages[4] = {k0.data(), v0.data(), k1.data(), v1.data()};
      auto calls_into = [&](std::vector<float>& out) {
        std::vector<AttentionCall> calls(2);
        calls[0] = {qkv.data(),       &pages[0],  &pages[1], 13,
                    positions.data(), out.data(), {9, 13, heads, kv_heads, d, qkv_stride, q_dim}};
        calls[1] = {qkv.data() + 9 * qkv_stride,
                    &pages[2],
                    &pages[3],
                    31,
                    positions.data() + 9,
                    out.data() + 9 * q_dim,
                    {1, 31, heads, kv_heads, d, qkv_stride, q_dim}};
        return calls;
      };
      make_cpu_backend({threads, isa})->attention(calls_into(ours));
      make_reference_backend()->attention(calls_into(theirs));
      expect_close(ours, theirs, 1e-5, std::string("attention ") + cpu::isa_name(isa));
    }
  }
}

TEST(CpuBackend, AttentionOver16BitCachesMatchesReference) {
  // The reference widens the whole cache to floats first; the CPU kernel row by row.
  const std::int64_t heads = 6, kv_heads = 2, d = 32, kv_dim = kv_heads * d, n_kv = 40;
  const std::vector<float> q = random_floats(3 * heads * d, 81);
  const std::vector<float> k = random_floats(n_kv * kv_dim, 82),
                           v = random_floats(n_kv * kv_dim, 83);
  const std::vector<std::int32_t> positions = {10, 25, 39};
  for (DType type : {DType::bf16, DType::f16}) {
    std::vector<std::uint16_t> k16, v16;
    for (float x : k) k16.push_back(type == DType::bf16 ? f32_to_bf16(x) : f32_to_f16(x));
    for (float x : v) v16.push_back(type == DType::bf16 ? f32_to_bf16(x) : f32_to_f16(x));
    std::vector<float> ours(3 * heads * d), theirs(ours.size());
    const AttentionShape shape{3, n_kv, heads, kv_heads, d};
    const void* k_page = k16.data();
    const void* v_page = v16.data();
    const AttentionCall ours_call{q.data(), &k_page, &v_page, n_kv, positions.data(),
                                  ours.data(), shape, type};
    const AttentionCall theirs_call{q.data(), &k_page, &v_page, n_kv, positions.data(),
                                    theirs.data(), shape, type};
    make_cpu_backend({2, std::nullopt, true})->attention(std::span(&ours_call, 1));
    make_reference_backend()->attention(std::span(&theirs_call, 1));
    expect_close(ours, theirs, 1e-5, dtype_cli_name(type));
  }
}

TEST(CpuBackend, ForcingAnIsaTheProcessorLacksIsAnError) {
  for (CpuIsa isa : {CpuIsa::avx2, CpuIsa::avx512}) {
    if (!cpu::isa_supported(isa)) {
      EXPECT_THROW(make_cpu_backend({1, isa}), Error);
    }
  }
  EXPECT_NE(make_cpu_backend({2, CpuIsa::scalar})->describe().find("2 threads"), std::string::npos);
}

}  // namespace
}  // namespace r1::ops
