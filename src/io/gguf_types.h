// The ggml tensor element types a GGUF file can name, with their block layout. Quantized types
// store `block_size` consecutive elements of a row (along GGUF's ne[0], r1's last dimension) in
// `type_size` bytes; plain types have a block of one element.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace r1::io {

/// ggml type ids as GGUF stores them (u32). Ids 4, 5, 31..33 and 36..38 belonged to types ggml has
/// removed; no current file uses them.
enum class GgmlType : std::uint32_t {
  f32 = 0,
  f16 = 1,
  q4_0 = 2,
  q4_1 = 3,
  q5_0 = 6,
  q5_1 = 7,
  q8_0 = 8,
  q8_1 = 9,
  q2_k = 10,
  q3_k = 11,
  q4_k = 12,
  q5_k = 13,
  q6_k = 14,
  q8_k = 15,
  iq2_xxs = 16,
  iq2_xs = 17,
  iq3_xxs = 18,
  iq1_s = 19,
  iq4_nl = 20,
  iq3_s = 21,
  iq2_s = 22,
  iq4_xs = 23,
  i8 = 24,
  i16 = 25,
  i32 = 26,
  i64 = 27,
  f64 = 28,
  iq1_m = 29,
  bf16 = 30,
  tq1_0 = 34,
  tq2_0 = 35,
  mxfp4 = 39,
  nvfp4 = 40,
  q1_0 = 41,
};

/// One row of the type table.
struct GgmlTypeInfo {
  GgmlType type;
  const char* name;          // as gguf-py spells it: "F32", "Q4_K", "IQ2_XXS", "BF16" ...
  std::uint32_t block_size;  // elements per block
  std::uint32_t type_size;   // bytes per block
};

/// Every type this build knows, in id order.
std::span<const GgmlTypeInfo> ggml_types();

/// The table row of a raw id, or nullptr when the id is not a ggml type this build knows.
const GgmlTypeInfo* find_ggml_type(std::uint32_t id);

/// The table row of a type (every enumerator has one).
const GgmlTypeInfo& ggml_type_info(GgmlType type);

/// The type's name ("Q8_0").
const char* ggml_type_name(GgmlType type);

/// The type of a raw id. Throws Error(unsupported) for an unknown id; the message starts with
/// `where` (e.g. "model.gguf: tensor 'x'"), gives the id, names the type a removed id used to be,
/// and says what to do.
GgmlType ggml_type_from_id(std::uint32_t id, const std::string& where);

/// Bytes of a tensor with GGUF dimensions `ne` (ne[0] is the row length) of this type, or nullopt
/// when ne[0] is not a multiple of the block size or the byte count overflows 64 bits.
std::optional<std::uint64_t> ggml_tensor_bytes(GgmlType type, std::span<const std::uint64_t> ne);

}  // namespace r1::io
