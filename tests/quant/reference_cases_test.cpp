// Our quantizers and dequantizers against ggml's bytes and floats (gguf-py for the legacy
// types, ggml's own quantize_row_*_ref through ctypes for the rest; see the fixture's header in
// tools/reference/gen_quant_cases.py): equal bit for bit, on every row and type.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "quant/quant_fixture.h"
#include "quant/quantize.h"

namespace r1::quant {
namespace {

using test::quant_fixture;

// Index of the first differing byte, or -1.
std::int64_t first_difference(const std::vector<std::uint8_t>& a,
                              const std::vector<std::uint8_t>& b) {
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (a[i] != b[i]) return static_cast<std::int64_t>(i);
  }
  return a.size() == b.size() ? -1 : static_cast<std::int64_t>(std::min(a.size(), b.size()));
}

std::uint32_t bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

TEST(QuantReferenceCases, FixtureCoversEveryTypeOnEveryRow) {
  const auto& fixture = quant_fixture();
  ASSERT_GE(fixture.rows.size(), 10u);
  for (const auto& row : fixture.rows) {
    EXPECT_EQ(row.types.size(), std::size(all_quant_types)) << row.name;
    EXPECT_EQ(static_cast<std::int64_t>(row.input.size()), row.n) << row.name;
  }
}

TEST(QuantReferenceCases, QuantizeGivesGgmlBytes) {
  int checked = 0;
  for (const auto& row : quant_fixture().rows) {
    for (const auto& [type, ref] : row.types) {
      SCOPED_TRACE(row.name + " " + quant_type_name(type) + " (" + ref.source + ")");
      std::vector<std::uint8_t> ours(static_cast<std::size_t>(row_bytes(type, row.n)), 0xA5);
      // Blocks must be 4-byte aligned for q8_k: vector<uint8_t> storage from new is.
      quantize_row(type, row.input.data(), ours.data(), row.n);
      const std::int64_t at = first_difference(ours, ref.blocks);
      EXPECT_EQ(at, -1) << "first differing byte " << at << " of block " << at / block_bytes(type)
                        << " (byte " << at % block_bytes(type) << ")";
      ++checked;
    }
  }
  EXPECT_EQ(checked, static_cast<int>(quant_fixture().rows.size() * std::size(all_quant_types)));
}

TEST(QuantReferenceCases, DequantizeGivesGgmlFloats) {
  for (const auto& row : quant_fixture().rows) {
    for (const auto& [type, ref] : row.types) {
      SCOPED_TRACE(row.name + " " + quant_type_name(type));
      std::vector<float> ours(static_cast<std::size_t>(row.n));
      dequantize_row(type, ref.blocks.data(), ours.data(), row.n);
      ASSERT_EQ(ours.size(), ref.dequantized.size());
      int mismatches = 0;
      for (std::size_t i = 0; i < ours.size(); ++i) {
        if (bits(ours[i]) != bits(ref.dequantized[i]) && mismatches++ < 5) {
          ADD_FAILURE() << "element " << i << ": " << ours[i] << " vs " << ref.dequantized[i];
        }
      }
      EXPECT_EQ(mismatches, 0);
    }
  }
}

TEST(QuantReferenceCases, RoundTripErrorMatchesReference) {
  // Follows from the two tests above; checked separately so a table regression reads clearly.
  for (const auto& row : quant_fixture().rows) {
    for (const auto& [type, ref] : row.types) {
      std::vector<std::uint8_t> blocks(static_cast<std::size_t>(row_bytes(type, row.n)));
      std::vector<float> back(static_cast<std::size_t>(row.n));
      quantize_row(type, row.input.data(), blocks.data(), row.n);
      dequantize_row(type, blocks.data(), back.data(), row.n);
      double err = 0, rms = 0;
      for (std::int64_t i = 0; i < row.n; ++i) {
        err += std::pow(double(row.input[i]) - double(back[i]), 2);
        rms += std::pow(double(row.input[i]), 2);
      }
      const double rel = rms > 0 ? std::sqrt(err / rms) : 0.0;
      EXPECT_NEAR(rel, ref.rel_rms_error, 1e-9 + 1e-9 * ref.rel_rms_error)
          << row.name << " " << quant_type_name(type);
    }
  }
}

}  // namespace
}  // namespace r1::quant
