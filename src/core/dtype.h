// Element types of weights and activations that r1 computes with.
#pragma once

#include <cstddef>

namespace r1 {

enum class DType { f32, f16, bf16 };

/// Bytes per element: 4 for f32, 2 for f16 and bf16.
constexpr std::size_t dtype_size(DType dtype) {
  return dtype == DType::f32 ? 4 : 2;
}

/// Lower-case name as the CLI spells it: "f32", "f16", "bf16".
constexpr const char* dtype_cli_name(DType dtype) {
  return dtype == DType::f32 ? "f32" : dtype == DType::f16 ? "f16" : "bf16";
}

}  // namespace r1
