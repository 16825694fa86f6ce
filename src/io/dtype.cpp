#include "io/dtype.h"

#include <array>
#include <utility>

namespace r1::io {

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f32:
      return "F32";
    case DType::f16:
      return "F16";
    case DType::bf16:
      return "BF16";
    default:  // quantized types have no safetensors spelling; ggml's upper-case name
      break;
  }
  return dtype == DType::q8_0   ? "Q8_0"
         : dtype == DType::q4_0 ? "Q4_0"
         : dtype == DType::q4_1 ? "Q4_1"
         : dtype == DType::q5_0 ? "Q5_0"
         : dtype == DType::q5_1 ? "Q5_1"
         : dtype == DType::q4_k ? "Q4_K"
         : dtype == DType::q5_k ? "Q5_K"
                                : "Q6_K";
}

std::optional<DType> parse_dtype(std::string_view safetensors_name) {
  if (safetensors_name == "F32") return DType::f32;
  if (safetensors_name == "F16") return DType::f16;
  if (safetensors_name == "BF16") return DType::bf16;
  return std::nullopt;
}

std::size_t safetensors_dtype_size(std::string_view safetensors_name) {
  // The dtypes of the safetensors format specification (safetensors' Dtype enum).
  static constexpr std::array<std::pair<std::string_view, std::size_t>, 17> kAll = {{
      {"BOOL", 1},
      {"U8", 1},
      {"I8", 1},
      {"F8_E5M2", 1},
      {"F8_E4M3", 1},
      {"I16", 2},
      {"U16", 2},
      {"F16", 2},
      {"BF16", 2},
      {"I32", 4},
      {"U32", 4},
      {"F32", 4},
      {"F64", 8},
      {"I64", 8},
      {"U64", 8},
      {"F8_E8M0", 1},
      {"C64", 8},
  }};
  for (const auto& [name, size] : kAll) {
    if (name == safetensors_name) return size;
  }
  return 0;
}

}  // namespace r1::io
