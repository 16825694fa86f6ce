// Quantize -> dequantize error per type on N(0, 1) data made here, against the error the
// reference (ggml) has on the fixture's N(0, 1) sample: within 3% either way. Too large means a
// worse quantizer; too small means it is not ggml's algorithm. Also error-path checks of the
// row functions.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "quant/quant_fixture.h"
#include "quant/quantize.h"
#include "r1/error.h"

namespace r1::quant {
namespace {

double relative_rms_error(QuantType type, const std::vector<float>& x) {
  const auto n = static_cast<std::int64_t>(x.size());
  std::vector<std::uint8_t> blocks(static_cast<std::size_t>(row_bytes(type, n)));
  std::vector<float> back(x.size());
  quantize_row(type, x.data(), blocks.data(), n);
  dequantize_row(type, blocks.data(), back.data(), n);
  double err = 0, rms = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    err += (double(x[i]) - back[i]) * (double(x[i]) - back[i]);
    rms += double(x[i]) * x[i];
  }
  return std::sqrt(err / rms);
}

TEST(QuantAccuracy, RelativeRmsErrorOnGaussianRowsMatchesReference) {
  std::mt19937_64 rng(1234);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(1 << 17);
  for (float& v : x) v = normal(rng);
  const auto& reference = test::quant_fixture().accuracy_normal;
  // Expected order of the errors: more bits, less error (q8_1 = q8_0 values).
  const QuantType by_error[] = {QuantType::q8_0, QuantType::q8_k, QuantType::q6_k,
                                QuantType::q5_k, QuantType::q5_1, QuantType::q5_0,
                                QuantType::q4_k, QuantType::q4_1, QuantType::q4_0};
  double previous = 0;
  for (QuantType type : by_error) {
    const double ours = relative_rms_error(type, x);
    const double ref = reference.at(type);
    std::printf("  %-5s relative RMS error %.6f (reference %.6f)\n", quant_type_name(type), ours,
                ref);
    EXPECT_LE(ours, ref * 1.03) << quant_type_name(type);
    EXPECT_GE(ours, ref * 0.97) << quant_type_name(type);
    EXPECT_GT(ours, previous) << quant_type_name(type);
    previous = ours;
  }
  EXPECT_EQ(relative_rms_error(QuantType::q8_1, x), relative_rms_error(QuantType::q8_0, x));
}

TEST(QuantAccuracy, ZeroRowsStayZero) {
  const std::vector<float> zeros(512, 0.0f);
  for (QuantType type : all_quant_types) {
    std::vector<std::uint8_t> blocks(static_cast<std::size_t>(row_bytes(type, 512)), 0xFF);
    std::vector<float> back(512, 1.0f);
    quantize_row(type, zeros.data(), blocks.data(), 512);
    dequantize_row(type, blocks.data(), back.data(), 512);
    for (float v : back) ASSERT_EQ(v, 0.0f) << quant_type_name(type);
  }
}

TEST(QuantAccuracy, RowFunctionsRejectPartialBlocksNamingTypeAndLength) {
  std::vector<float> x(300, 1.0f);
  std::vector<std::uint8_t> blocks(4096);
  for (QuantType type : all_quant_types) {
    const std::int64_t n = block_elements(type) + 16;
    for (int op = 0; op < 2; ++op) {
      try {
        if (op == 0) {
          quantize_row(type, x.data(), blocks.data(), n);
        } else {
          dequantize_row(type, blocks.data(), x.data(), n);
        }
        FAIL() << quant_type_name(type) << " accepted " << n;
      } catch (const Error& e) {
        const std::string message = e.what();
        EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
        EXPECT_NE(message.find(std::string(quant_type_name(type)) + " row of " + std::to_string(n)),
                  std::string::npos)
            << message;
      }
    }
  }
}

}  // namespace
}  // namespace r1::quant
