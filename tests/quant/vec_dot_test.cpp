// Quantized dot products against ggml: bit for bit against ggml's scalar algorithm evaluated
// with one rounding per float operation (the fixture's `scalar`), and within 1e-6 of the terms'
// magnitude against the values ggml's CPU backend returned (its SIMD kernel, and its scalar
// *_generic code as compiled, where GCC fused some multiply-adds).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "quant/quant_fixture.h"
#include "quant/quantize.h"
#include "r1/error.h"

namespace r1::quant {
namespace {

using test::quant_fixture;

TEST(QuantVecDot, ActivationTypesAreGgmls) {
  EXPECT_EQ(vec_dot_activation_type(QuantType::q8_0), QuantType::q8_0);
  EXPECT_EQ(vec_dot_activation_type(QuantType::q4_0), QuantType::q8_0);
  EXPECT_EQ(vec_dot_activation_type(QuantType::q5_0), QuantType::q8_0);
  EXPECT_EQ(vec_dot_activation_type(QuantType::q4_1), QuantType::q8_1);
  EXPECT_EQ(vec_dot_activation_type(QuantType::q5_1), QuantType::q8_1);
  EXPECT_EQ(vec_dot_activation_type(QuantType::q4_k), QuantType::q8_k);
  EXPECT_EQ(vec_dot_activation_type(QuantType::q5_k), QuantType::q8_k);
  EXPECT_EQ(vec_dot_activation_type(QuantType::q6_k), QuantType::q8_k);
}

TEST(QuantVecDot, MatchesGgml) {
  const auto& fixture = quant_fixture();
  ASSERT_GE(fixture.dots.size(), 80u);
  for (const auto& dot : fixture.dots) {
    SCOPED_TRACE(dot.weights + " " + quant_type_name(dot.weight_type) + " x " + dot.activations);
    ASSERT_EQ(vec_dot_activation_type(dot.weight_type), dot.activation_type);
    const auto& w = fixture.row(dot.weights).types.at(dot.weight_type).blocks;
    const auto& a = fixture.row(dot.activations).types.at(dot.activation_type).blocks;
    const std::int64_t n = fixture.row(dot.weights).n;
    const float ours = vec_dot(dot.weight_type, w.data(), a.data(), n);
    EXPECT_EQ(ours, dot.scalar);
    const double tolerance = 1e-6 * dot.abs_scale + 1e-30;
    EXPECT_NEAR(ours, dot.ggml_vec_dot, tolerance);
    if (dot.ggml_generic) {
      EXPECT_NEAR(ours, *dot.ggml_generic, tolerance);
    }
  }
}

TEST(QuantVecDot, ApproximatesTheFloatDotProduct) {
  // vec_dot(w, quantize(x)) vs dot(dequantize(w), x): only the activation's quantization error
  // separates them (8 bits: well under 2% of sum |w x| on these rows).
  const auto& fixture = quant_fixture();
  for (const auto& dot : fixture.dots) {
    const auto& wrow = fixture.row(dot.weights);
    const auto& xrow = fixture.row(dot.activations);
    const auto& w = wrow.types.at(dot.weight_type);
    const auto& a = xrow.types.at(dot.activation_type).blocks;
    const double exact = vec_dot_f32(dot.weight_type, w.blocks.data(), xrow.input.data(), wrow.n);
    double magnitude = 0;
    for (std::int64_t i = 0; i < wrow.n; ++i) {
      magnitude += std::fabs(double(w.dequantized[i]) * double(xrow.input[i]));
    }
    const float approx = vec_dot(dot.weight_type, w.blocks.data(), a.data(), wrow.n);
    EXPECT_NEAR(approx, exact, 0.02 * magnitude + 1e-30)
        << dot.weights << " " << quant_type_name(dot.weight_type);
  }
}

TEST(QuantVecDot, RejectsActivationTypesAsWeightsAndPartialBlocks) {
  std::vector<std::uint8_t> blocks(4096);
  for (QuantType t : {QuantType::q8_1, QuantType::q8_k}) {
    try {
      vec_dot(t, blocks.data(), blocks.data(), 256);
      FAIL() << quant_type_name(t);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::unsupported);
      EXPECT_NE(std::string(e.what()).find(quant_type_name(t)), std::string::npos) << e.what();
    }
  }
  try {
    vec_dot(QuantType::q4_k, blocks.data(), blocks.data(), 320);
    FAIL() << "320 is not a multiple of 256";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("q4_k row of 320"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace r1::quant
