#include "io/gguf_types.h"

#include <array>
#include <limits>

#include "r1/error.h"

namespace r1::io {
namespace {

constexpr std::uint32_t kQK = 256;  // super-block size of the K and most IQ types

// Block sizes and bytes as ggml defines them (checked against gguf-py's GGML_QUANT_SIZES by
// tests/io/gguf_types_test.cpp).
constexpr std::array<GgmlTypeInfo, 34> kTypes = {{
    {GgmlType::f32, "F32", 1, 4},
    {GgmlType::f16, "F16", 1, 2},
    {GgmlType::q4_0, "Q4_0", 32, 2 + 16},
    {GgmlType::q4_1, "Q4_1", 32, 2 + 2 + 16},
    {GgmlType::q5_0, "Q5_0", 32, 2 + 4 + 16},
    {GgmlType::q5_1, "Q5_1", 32, 2 + 2 + 4 + 16},
    {GgmlType::q8_0, "Q8_0", 32, 2 + 32},
    {GgmlType::q8_1, "Q8_1", 32, 4 + 4 + 32},
    {GgmlType::q2_k, "Q2_K", kQK, 2 + 2 + kQK / 16 + kQK / 4},
    {GgmlType::q3_k, "Q3_K", kQK, 2 + kQK / 4 + kQK / 8 + 12},
    {GgmlType::q4_k, "Q4_K", kQK, 2 + 2 + kQK / 2 + 12},
    {GgmlType::q5_k, "Q5_K", kQK, 2 + 2 + kQK / 2 + kQK / 8 + 12},
    {GgmlType::q6_k, "Q6_K", kQK, 2 + kQK / 2 + kQK / 4 + kQK / 16},
    {GgmlType::q8_k, "Q8_K", kQK, 4 + kQK + kQK / 8},
    {GgmlType::iq2_xxs, "IQ2_XXS", kQK, 2 + kQK / 4},
    {GgmlType::iq2_xs, "IQ2_XS", kQK, 2 + kQK / 4 + kQK / 32},
    {GgmlType::iq3_xxs, "IQ3_XXS", kQK, 2 + kQK / 4 + kQK / 8},
    {GgmlType::iq1_s, "IQ1_S", kQK, 2 + kQK / 8 + kQK / 16},
    {GgmlType::iq4_nl, "IQ4_NL", 32, 2 + 16},
    {GgmlType::iq3_s, "IQ3_S", kQK, 2 + kQK / 4 + kQK / 8 + kQK / 32 + 4},
    {GgmlType::iq2_s, "IQ2_S", kQK, 2 + kQK / 4 + kQK / 16},
    {GgmlType::iq4_xs, "IQ4_XS", kQK, 2 + 2 + kQK / 2 + kQK / 64},
    {GgmlType::i8, "I8", 1, 1},
    {GgmlType::i16, "I16", 1, 2},
    {GgmlType::i32, "I32", 1, 4},
    {GgmlType::i64, "I64", 1, 8},
    {GgmlType::f64, "F64", 1, 8},
    {GgmlType::iq1_m, "IQ1_M", kQK, kQK / 8 + kQK / 16 + kQK / 32},
    {GgmlType::bf16, "BF16", 1, 2},
    {GgmlType::tq1_0, "TQ1_0", kQK, 2 + 4 * 13},
    {GgmlType::tq2_0, "TQ2_0", kQK, 2 + 64},
    {GgmlType::mxfp4, "MXFP4", 32, 1 + 16},
    {GgmlType::nvfp4, "NVFP4", 64, 4 + 32},
    {GgmlType::q1_0, "Q1_0", 128, 2 + 16},
}};

// Ids ggml used for types it later removed; naming them turns "unknown id 33" into advice.
const char* removed_type_name(std::uint32_t id) {
  switch (id) {
    case 4:
      return "Q4_2";
    case 5:
      return "Q4_3";
    case 31:
      return "Q4_0_4_4";
    case 32:
      return "Q4_0_4_8";
    case 33:
      return "Q4_0_8_8";
    case 36:
      return "IQ4_NL_4_4";
    case 37:
      return "IQ4_NL_4_8";
    case 38:
      return "IQ4_NL_8_8";
    default:
      return nullptr;
  }
}

}  // namespace

std::span<const GgmlTypeInfo> ggml_types() {
  return kTypes;
}

const GgmlTypeInfo* find_ggml_type(std::uint32_t id) {
  for (const GgmlTypeInfo& info : kTypes) {
    if (static_cast<std::uint32_t>(info.type) == id) return &info;
  }
  return nullptr;
}

const GgmlTypeInfo& ggml_type_info(GgmlType type) {
  const GgmlTypeInfo* info = find_ggml_type(static_cast<std::uint32_t>(type));
  if (info == nullptr) {
    // Only reachable through a cast of an unchecked integer: a programming error in r1.
    throw Error(ErrorCode::invalid_argument,
                "ggml type id " + std::to_string(static_cast<std::uint32_t>(type)) +
                    " is not in r1's type table (convert ids with ggml_type_from_id)");
  }
  return *info;
}

const char* ggml_type_name(GgmlType type) {
  return ggml_type_info(type).name;
}

GgmlType ggml_type_from_id(std::uint32_t id, const std::string& where) {
  if (const GgmlTypeInfo* info = find_ggml_type(id)) return info->type;
  if (const char* removed = removed_type_name(id)) {
    throw Error(ErrorCode::unsupported,
                where + ": ggml type id " + std::to_string(id) + " (" + removed +
                    ") was removed from ggml and is not supported; requantize the model from its "
                    "original weights with a current llama.cpp or r1 quantize");
  }
  throw Error(ErrorCode::unsupported,
              where + ": ggml type id " + std::to_string(id) +
                  " is not a type this build of r1 knows (known ids: 0-3, 6-30, 34, 35, 39-41); "
                  "the file may come from a newer ggml, or be corrupt");
}

std::optional<std::uint64_t> ggml_tensor_bytes(GgmlType type, std::span<const std::uint64_t> ne) {
  const GgmlTypeInfo& info = ggml_type_info(type);
  if (ne.empty() || ne[0] % info.block_size != 0) return std::nullopt;
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t total = ne[0] / info.block_size;
  if (total != 0 && info.type_size > kMax / total) return std::nullopt;
  total *= info.type_size;
  for (std::size_t i = 1; i < ne.size(); ++i) {
    if (ne[i] != 0 && total > kMax / ne[i]) return std::nullopt;
    total *= ne[i];
  }
  return total;
}

}  // namespace r1::io
