// The quantized block formats of llama.cpp's GGUF files (ggml's "legacy" 32-element blocks and
// the 256-element K-quant super-blocks), described by type: block size, bytes, ggml id, name.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/dtype.h"

namespace r1::quant {

/// A ggml block-quantized type. q8_1 and q8_k are activation formats: the other side of the
/// integer dot products (q8_1 for q4_1/q5_1, q8_k for the K-quants); they are never weights.
enum class QuantType { q8_0, q4_0, q4_1, q5_0, q5_1, q8_1, q4_k, q5_k, q6_k, q8_k };

/// Every type, in declaration order (for tests and tables).
inline constexpr QuantType all_quant_types[] = {
    QuantType::q8_0, QuantType::q4_0, QuantType::q4_1, QuantType::q5_0, QuantType::q5_1,
    QuantType::q8_1, QuantType::q4_k, QuantType::q5_k, QuantType::q6_k, QuantType::q8_k};

/// Elements per block: 32 for q8_0..q8_1, 256 (QK_K) for the K-quants.
std::int64_t block_elements(QuantType type);

/// Bytes per block as stored in GGUF (packed, little-endian).
std::int64_t block_bytes(QuantType type);

/// ggml's `enum ggml_type` value (GGML_TYPE_Q4_0 = 2, ..., GGML_TYPE_Q8_K = 15).
int ggml_type_id(QuantType type);

/// The type with ggml id `id`, or nothing when the id is not one of these types.
std::optional<QuantType> quant_type_from_ggml_id(int id);

/// Lower-case name as ggml spells it, but lower case: "q8_0", "q4_k", ...
const char* quant_type_name(QuantType type);

/// Parses a name, case-insensitively ("q4_k", "Q4_K"). Throws r1::Error(invalid_argument)
/// listing the known names when `name` is none of them.
QuantType parse_quant_type(std::string_view name);

/// The block format of a quantized weight DType (q8_0 -> QuantType::q8_0, ...); nothing for the
/// element types f32, f16, bf16.
std::optional<QuantType> quant_type_of(DType dtype);

/// Bytes of one row of `n` elements. Throws r1::Error(invalid_argument) naming the type and `n`
/// when `n` is negative or not a multiple of the block size.
std::int64_t row_bytes(QuantType type, std::int64_t n);

/// Number of blocks in a row of `n` elements, with the same check as row_bytes.
std::int64_t row_blocks(QuantType type, std::int64_t n);

}  // namespace r1::quant
