#include "quant/quant_type.h"

#include <cctype>
#include <string>

#include "quant/blocks.h"
#include "r1/error.h"

namespace r1::quant {
namespace {

struct TypeTraits {
  QuantType type;
  const char* name;
  int ggml_id;
  std::int64_t elements;
  std::int64_t bytes;
};

// Sizes come from the block structs so that the table and the layouts cannot disagree.
constexpr TypeTraits kTraits[] = {
    {QuantType::q8_0, "q8_0", 8, kBlock32, sizeof(BlockQ8_0)},
    {QuantType::q4_0, "q4_0", 2, kBlock32, sizeof(BlockQ4_0)},
    {QuantType::q4_1, "q4_1", 3, kBlock32, sizeof(BlockQ4_1)},
    {QuantType::q5_0, "q5_0", 6, kBlock32, sizeof(BlockQ5_0)},
    {QuantType::q5_1, "q5_1", 7, kBlock32, sizeof(BlockQ5_1)},
    {QuantType::q8_1, "q8_1", 9, kBlock32, sizeof(BlockQ8_1)},
    {QuantType::q4_k, "q4_k", 12, kBlockK, sizeof(BlockQ4K)},
    {QuantType::q5_k, "q5_k", 13, kBlockK, sizeof(BlockQ5K)},
    {QuantType::q6_k, "q6_k", 14, kBlockK, sizeof(BlockQ6K)},
    {QuantType::q8_k, "q8_k", 15, kBlockK, sizeof(BlockQ8K)},
};

const TypeTraits& traits(QuantType type) {
  for (const TypeTraits& t : kTraits) {
    if (t.type == type) return t;
  }
  throw Error(ErrorCode::invalid_argument,
              "unknown quantization type value " + std::to_string(static_cast<int>(type)));
}

}  // namespace

std::int64_t block_elements(QuantType type) {
  return traits(type).elements;
}
std::int64_t block_bytes(QuantType type) {
  return traits(type).bytes;
}
int ggml_type_id(QuantType type) {
  return traits(type).ggml_id;
}
const char* quant_type_name(QuantType type) {
  return traits(type).name;
}

std::optional<QuantType> quant_type_from_ggml_id(int id) {
  for (const TypeTraits& t : kTraits) {
    if (t.ggml_id == id) return t.type;
  }
  return std::nullopt;
}

QuantType parse_quant_type(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string known;
  for (const TypeTraits& t : kTraits) {
    if (lower == t.name) return t.type;
    known += known.empty() ? "" : ", ";
    known += t.name;
  }
  throw Error(ErrorCode::invalid_argument,
              "unknown quantization type '" + std::string(name) + "'; known types: " + known);
}

std::int64_t row_blocks(QuantType type, std::int64_t n) {
  const TypeTraits& t = traits(type);
  if (n < 0 || n % t.elements != 0) {
    throw Error(ErrorCode::invalid_argument,
                std::string(t.name) + " row of " + std::to_string(n) +
                    " elements: the length must be a multiple of the " + t.name + " block of " +
                    std::to_string(t.elements) + " elements");
  }
  return n / t.elements;
}

std::int64_t row_bytes(QuantType type, std::int64_t n) {
  return row_blocks(type, n) * traits(type).bytes;
}

std::optional<QuantType> quant_type_of(DType dtype) {
  switch (dtype) {
    case DType::f32:
    case DType::f16:
    case DType::bf16:
      return std::nullopt;
    case DType::q8_0:
      return QuantType::q8_0;
    case DType::q4_0:
      return QuantType::q4_0;
    case DType::q4_1:
      return QuantType::q4_1;
    case DType::q5_0:
      return QuantType::q5_0;
    case DType::q5_1:
      return QuantType::q5_1;
    case DType::q4_k:
      return QuantType::q4_k;
    case DType::q5_k:
      return QuantType::q5_k;
    case DType::q6_k:
      return QuantType::q6_k;
  }
  return std::nullopt;
}

}  // namespace r1::quant
