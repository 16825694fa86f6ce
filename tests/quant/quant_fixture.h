// tests/data/quant/cases.json (tools/reference/gen_quant_cases.py): seeded rows, their ggml
// blocks and dequantized floats per type, and ggml dot products of pairs of them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "quant/quant_type.h"

namespace r1::quant::test {

struct TypeCase {
  std::string source;                // which library produced the bytes
  std::vector<std::uint8_t> blocks;  // quantized row as ggml writes it
  std::vector<float> dequantized;    // ggml's dequantize_row of those bytes
  double rel_rms_error = 0;          // RMS(x - dequantized) / RMS(x)
};

struct RowCase {
  std::string name;
  std::string note;
  std::int64_t n = 0;
  std::vector<float> input;
  std::map<QuantType, TypeCase> types;
};

struct DotCase {
  std::string weights;  // RowCase names
  std::string activations;
  QuantType weight_type{};
  QuantType activation_type{};
  float scalar = 0;                   // ggml's scalar algorithm without FMA contraction
  float ggml_vec_dot = 0;             // ggml's CPU kernel on the generating machine (SIMD)
  std::optional<float> ggml_generic;  // ggml_vec_dot_*_generic as compiled (-mfma)
  double abs_scale = 0;               // sum of |per-block terms|
};

struct QuantFixture {
  std::vector<RowCase> rows;
  std::vector<DotCase> dots;
  std::map<QuantType, double> accuracy_normal;  // reference rel RMS error on N(0, 1)

  const RowCase& row(const std::string& name) const;
};

/// Parsed once per test binary.
const QuantFixture& quant_fixture();

/// Base64 (RFC 4648, with padding) -> bytes.
std::vector<std::uint8_t> decode_base64(const std::string& text);

/// Bytes of little-endian float32 -> floats.
std::vector<float> floats_from_bytes(const std::vector<std::uint8_t>& bytes);

}  // namespace r1::quant::test
