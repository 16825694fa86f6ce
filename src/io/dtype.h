// Weight element types as safetensors files spell them. The type itself is core's r1::DType, so
// tensors read here go to the compute code without conversion.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "core/dtype.h"

namespace r1::io {

using r1::DType;
using r1::dtype_size;

/// The safetensors spelling of the type ("F32", "F16", "BF16").
const char* dtype_name(DType dtype);

/// Parses a safetensors dtype string; nullopt for types r1 does not compute with (see
/// safetensors_dtype_size for recognising them).
std::optional<DType> parse_dtype(std::string_view safetensors_name);

/// Bytes per element of any dtype the safetensors format defines (F64, I64, BOOL, F8_E4M3, ...), or
/// 0 when the name is not a safetensors dtype at all. Used to word errors precisely.
std::size_t safetensors_dtype_size(std::string_view safetensors_name);

}  // namespace r1::io
