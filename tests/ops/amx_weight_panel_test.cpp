// The AMX kernel's weight panels against the scalar oracle: each element is the weight as the
// reference dequantizes it (ops::dequantize_row, ggml's dequantize_row_*) rounded to bf16 by
// f32_to_bf16 (bf16 weights as stored), bit for bit, at its place in the tile layout; padding
// columns and missing rows are zeros. Every weight type, several K blocks and column tails; f16
// weights with arbitrary bit patterns (NaNs, infinities, subnormals). The panels are only built for
// the AMX kernel, but with AVX-512 alone: skipped only where the processor has no AVX-512 F/BW/VL.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/half.h"
#include "ops/cpu/amx_gemm.h"
#include "ops/cpu/amx_weight_panel.h"
#include "ops_test_support.h"
#include "quant/packed_k.h"
#include "quant/packed_q4.h"
#include "quant/packed_q8_0.h"
#include "quant/quant_type.h"
#include "quant/quantize.h"

namespace r1::ops {
namespace {

struct OwnedWeights {
  std::vector<std::uint8_t> bytes;
  WeightMatrix view;
};

// Random weights of `type`: quantized ones through the reference quantizer from floats whose
// magnitude varies by row (so block scales differ), f16 as random bit patterns.
OwnedWeights make_weights(DType type, std::int64_t rows, std::int64_t cols, std::uint32_t seed) {
  OwnedWeights w;
  const auto row = static_cast<std::size_t>(dtype_row_bytes(type, cols));
  w.bytes.resize(row * static_cast<std::size_t>(rows));
  std::mt19937 random(seed);
  for (std::int64_t r = 0; r < rows; ++r) {
    std::uint8_t* to = w.bytes.data() + row * static_cast<std::size_t>(r);
    if (type == DType::f16 || type == DType::bf16) {
      for (std::size_t i = 0; i < row; ++i) to[i] = static_cast<std::uint8_t>(random());
      continue;
    }
    std::vector<float> values = test_support::random_floats(
        static_cast<std::size_t>(cols), seed + static_cast<std::uint32_t>(r),
        0.01f * static_cast<float>(1 + r % 7));
    if (type == DType::f32) {
      std::memcpy(to, values.data(), row);
    } else {
      quant::quantize_row(*quant::quant_type_of(type), values.data(), to, cols);
    }
  }
  w.view = {type, w.bytes.data(), rows, cols};
  return w;
}

std::vector<std::uint16_t> expected_panel(const WeightMatrix& w, std::int64_t row,
                                          std::int64_t n_rows, std::int64_t k0, std::int64_t kc,
                                          std::int64_t kc_padded) {
  const std::int64_t blocks = kc_padded / 32;
  std::vector<std::uint16_t> panel(static_cast<std::size_t>(32 * kc_padded), 0);
  std::vector<float> values(static_cast<std::size_t>(w.cols));
  for (std::int64_t i = 0; i < n_rows; ++i) {
    dequantize_row(w, row + i, values.data());
    for (std::int64_t k = 0; k < kc; ++k) {
      const std::int64_t at = (i / 16) * blocks * 512 + (k / 32) * 512 + (i % 16) * 32 + k % 32;
      std::uint16_t bits = f32_to_bf16(values[static_cast<std::size_t>(k0 + k)]);
      if (w.type == DType::bf16) {  // copied as stored (a signalling NaN stays one)
        std::memcpy(&bits, static_cast<const std::uint8_t*>(w.data) + row_bytes(w) * (row + i) +
                               2 * (k0 + k), 2);
      }
      panel[static_cast<std::size_t>(at)] = bits;
    }
  }
  return panel;
}

/// The panels are filled with AVX-512 F/BW/VL code (no tile instructions): they are checked
/// wherever that runs, not only where the matrix units are.
bool panel_code_runs_here() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl");
}

struct Case {
  DType type;
  std::int64_t cols, k0, kc;
};

TEST(AmxWeightPanel, EveryElementIsTheReferenceWeightRoundedToBf16) {
  if (!panel_code_runs_here()) GTEST_SKIP() << "no AVX-512 F/BW/VL here";
  const std::vector<Case> cases = {
      {DType::f16, 300, 0, 256},  {DType::f16, 300, 256, 44}, {DType::bf16, 96, 32, 64},
      {DType::f32, 200, 0, 200},  {DType::q8_0, 768, 256, 256}, {DType::q8_0, 96, 0, 96},
      {DType::q4_0, 512, 256, 256}, {DType::q4_1, 256, 0, 256},  {DType::q5_0, 256, 0, 256},
      {DType::q5_1, 256, 0, 256}, {DType::q4_k, 768, 512, 256}, {DType::q4_k, 512, 0, 512},
      {DType::q5_k, 512, 256, 256}, {DType::q6_k, 768, 256, 256}, {DType::q6_k, 512, 0, 512},
  };
  for (const Case& c : cases) {
    for (const std::int64_t n_rows : {32, 19}) {
      const OwnedWeights w = make_weights(c.type, 40, c.cols, 7);
      const std::int64_t row = 40 - n_rows;
      const std::int64_t kc_padded = (c.kc + 31) / 32 * 32;
      std::vector<std::uint16_t> panel(static_cast<std::size_t>(32 * kc_padded), 0xFFFF);
      std::vector<float> row_f32(static_cast<std::size_t>(c.kc));
      std::vector<std::uint16_t> row_bf16(static_cast<std::size_t>(kc_padded));
      cpu::fill_weight_panel(w.view, row, n_rows, c.k0, c.kc, kc_padded, panel.data(),
                             row_f32.data(), row_bf16.data());
      const auto expected = expected_panel(w.view, row, n_rows, c.k0, c.kc, kc_padded);
      std::size_t mismatches = 0, first = 0;
      for (std::size_t i = 0; i < panel.size(); ++i) {
        if (panel[i] != expected[i] && mismatches++ == 0) first = i;
      }
      EXPECT_EQ(mismatches, 0u) << dtype_cli_name(c.type) << " cols " << c.cols << " k0 " << c.k0
                                << " kc " << c.kc << " rows " << n_rows << ": first at " << first
                                << " got " << panel[first] << " want " << expected[first];
    }
  }
}

// The q8_0 matrices the CPU backend repacks at load (quant/packed_q8_0.h): the panels of the
// packed copy equal those of the file's rows, rows starting inside a 16-row group included.
TEST(AmxWeightPanel, PackedQ8_0PanelsEqualThoseOfTheFileRows) {
  if (!panel_code_runs_here()) GTEST_SKIP() << "no AVX-512 F/BW/VL here";
  for (const auto& [cols, k0, kc] : {std::array<std::int64_t, 3>{768, 256, 256}, {96, 0, 96},
                                     {1536, 1024, 512}}) {
    const OwnedWeights w = make_weights(DType::q8_0, 45, cols, 9);
    std::vector<std::uint8_t> packed(quant::packed_q8_0_bytes(45, cols / 32));
    quant::pack_q8_0(static_cast<const quant::BlockQ8_0*>(w.view.data), 45, cols / 32,
                     packed.data());
    const WeightMatrix view{DType::q8_0, packed.data(), 45, cols, WeightLayout::packed};
    for (const auto& [row, n_rows] : {std::pair<std::int64_t, std::int64_t>{0, 32}, {13, 32},
                                      {32, 13}, {40, 5}}) {
      const std::int64_t kc_padded = (kc + 31) / 32 * 32;
      std::vector<std::uint16_t> panel(static_cast<std::size_t>(32 * kc_padded), 0xFFFF);
      std::vector<float> row_f32(static_cast<std::size_t>(kc));
      std::vector<std::uint16_t> row_bf16(static_cast<std::size_t>(kc_padded));
      cpu::fill_weight_panel(view, row, n_rows, k0, kc, kc_padded, panel.data(), row_f32.data(),
                             row_bf16.data());
      EXPECT_EQ(panel, expected_panel(w.view, row, n_rows, k0, kc, kc_padded))
          << "cols " << cols << " k0 " << k0 << " rows " << row << "+" << n_rows;
    }
  }
}

// q4_0 and q4_1 matrices repacked at load (quant/packed_q4.h): the same panels as the file's rows.
TEST(AmxWeightPanel, PackedQ4PanelsEqualThoseOfTheFileRows) {
  if (!panel_code_runs_here()) GTEST_SKIP() << "no AVX-512 F/BW/VL here";
  for (const DType type : {DType::q4_0, DType::q4_1}) {
    const quant::QuantType qtype = *quant::quant_type_of(type);
    for (const auto& [cols, k0, kc] : {std::array<std::int64_t, 3>{768, 256, 256}, {96, 0, 96}}) {
      const OwnedWeights w = make_weights(type, 45, cols, 11);
      std::vector<std::uint8_t> packed(quant::packed_q4_bytes(qtype, 45, cols / 32));
      quant::pack_q4(qtype, static_cast<const std::uint8_t*>(w.view.data), 45, cols / 32,
                     packed.data());
      const WeightMatrix view{type, packed.data(), 45, cols, WeightLayout::packed};
      for (const auto& [row, n_rows] :
           {std::pair<std::int64_t, std::int64_t>{0, 32}, {13, 32}, {40, 5}}) {
        const std::int64_t kc_padded = (kc + 31) / 32 * 32;
        std::vector<std::uint16_t> panel(static_cast<std::size_t>(32 * kc_padded), 0xFFFF);
        std::vector<float> row_f32(static_cast<std::size_t>(kc));
        std::vector<std::uint16_t> row_bf16(static_cast<std::size_t>(kc_padded));
        cpu::fill_weight_panel(view, row, n_rows, k0, kc, kc_padded, panel.data(), row_f32.data(),
                               row_bf16.data());
        EXPECT_EQ(panel, expected_panel(w.view, row, n_rows, k0, kc, kc_padded))
            << dtype_cli_name(type) << " cols " << cols << " k0 " << k0 << " rows " << row << "+"
            << n_rows;
      }
    }
  }
}

// q4_k, q5_k and q6_k matrices repacked at load (quant/packed_k.h): the same panels as the file's
// rows.
TEST(AmxWeightPanel, PackedKQuantPanelsEqualThoseOfTheFileRows) {
  if (!panel_code_runs_here()) GTEST_SKIP() << "no AVX-512 F/BW/VL here";
  for (const DType type : {DType::q4_k, DType::q5_k, DType::q6_k}) {
    const quant::QuantType qtype = *quant::quant_type_of(type);
    for (const auto& [cols, k0, kc] : {std::array<std::int64_t, 3>{768, 256, 256}, {512, 0, 512}}) {
      const OwnedWeights w = make_weights(type, 45, cols, 10);
      std::vector<std::uint8_t> packed(quant::packed_k_bytes(qtype, 45, cols / 256));
      quant::pack_k(qtype, static_cast<const std::uint8_t*>(w.view.data), 45, cols / 256,
                    packed.data());
      const WeightMatrix view{type, packed.data(), 45, cols, WeightLayout::packed};
      for (const auto& [row, n_rows] : {std::pair<std::int64_t, std::int64_t>{0, 32}, {13, 32},
                                        {40, 5}}) {
        const std::int64_t kc_padded = (kc + 31) / 32 * 32;
        std::vector<std::uint16_t> panel(static_cast<std::size_t>(32 * kc_padded), 0xFFFF);
        std::vector<float> row_f32(static_cast<std::size_t>(kc));
        std::vector<std::uint16_t> row_bf16(static_cast<std::size_t>(kc_padded));
        cpu::fill_weight_panel(view, row, n_rows, k0, kc, kc_padded, panel.data(),
                               row_f32.data(), row_bf16.data());
        EXPECT_EQ(panel, expected_panel(w.view, row, n_rows, k0, kc, kc_padded))
            << dtype_cli_name(type) << " cols " << cols << " k0 " << k0 << " rows " << row << "+"
            << n_rows;
      }
    }
  }
}

}  // namespace
}  // namespace r1::ops
