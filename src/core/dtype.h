// Storage types of weights and activations. f32, f16 and bf16 are element types (what safetensors
// holds and what activations and the KV cache use); the others are ggml's block-quantized weight
// formats (what GGUF files hold): a row is a sequence of blocks, each block_elements() values in
// block_bytes() bytes. Compute is always fp32 (integer dot products for the quantized types).
#pragma once

#include <cstddef>
#include <cstdint>

namespace r1 {

enum class DType { f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, q6_k };

/// Every type, in declaration order (for tables and tests).
inline constexpr DType all_dtypes[] = {DType::f32,  DType::f16,  DType::bf16, DType::q8_0,
                                       DType::q4_0, DType::q4_1, DType::q5_0, DType::q5_1,
                                       DType::q4_k, DType::q5_k, DType::q6_k};

/// Whether rows are ggml blocks rather than plain elements.
constexpr bool is_quantized(DType dtype) {
  return dtype != DType::f32 && dtype != DType::f16 && dtype != DType::bf16;
}

/// Elements per block: 1 for element types, 32 for q8_0..q5_1, 256 for the K-quants.
constexpr std::int64_t dtype_block_elements(DType dtype) {
  switch (dtype) {
    case DType::f32:
    case DType::f16:
    case DType::bf16:
      return 1;
    case DType::q8_0:
    case DType::q4_0:
    case DType::q4_1:
    case DType::q5_0:
    case DType::q5_1:
      return 32;
    case DType::q4_k:
    case DType::q5_k:
    case DType::q6_k:
      return 256;
  }
  return 1;
}

/// Bytes per block (ggml's packed layouts; see src/quant/blocks.h).
constexpr std::int64_t dtype_block_bytes(DType dtype) {
  switch (dtype) {
    case DType::f32:
      return 4;
    case DType::f16:
    case DType::bf16:
      return 2;
    case DType::q8_0:
      return 34;
    case DType::q4_0:
      return 18;
    case DType::q4_1:
      return 20;
    case DType::q5_0:
      return 22;
    case DType::q5_1:
      return 24;
    case DType::q4_k:
      return 144;
    case DType::q5_k:
      return 176;
    case DType::q6_k:
      return 210;
  }
  return 4;
}

/// Bytes per element of an element type (f32: 4, f16/bf16: 2). Not for quantized types: use
/// dtype_row_bytes.
constexpr std::size_t dtype_size(DType dtype) {
  return static_cast<std::size_t>(dtype_block_bytes(dtype));
}

/// Bytes of a row of n elements; n must be a multiple of dtype_block_elements (checked by whoever
/// builds the matrix).
constexpr std::int64_t dtype_row_bytes(DType dtype, std::int64_t n) {
  return n / dtype_block_elements(dtype) * dtype_block_bytes(dtype);
}

/// Lower-case name as the CLI and GGUF users spell it: "f32", "bf16", "q8_0", "q4_k", ...
constexpr const char* dtype_cli_name(DType dtype) {
  switch (dtype) {
    case DType::f32:
      return "f32";
    case DType::f16:
      return "f16";
    case DType::bf16:
      return "bf16";
    case DType::q8_0:
      return "q8_0";
    case DType::q4_0:
      return "q4_0";
    case DType::q4_1:
      return "q4_1";
    case DType::q5_0:
      return "q5_0";
    case DType::q5_1:
      return "q5_1";
    case DType::q4_k:
      return "q4_k";
    case DType::q5_k:
      return "q5_k";
    case DType::q6_k:
      return "q6_k";
  }
  return "?";
}

}  // namespace r1
