// Run-time-dispatched SIMD versions of the quantized dot products. They return exactly what
// the scalar reference vec_dot (quantize.h) returns: the integer sums are exact and the float
// steps are done in the reference's order. Kernels exist for every weight type (AVX2;
// AVX-512 VNNI for q8_0 and q4_0); CPUs without the instructions use the scalar reference.
#pragma once

#include <cstdint>

#include "quant/quant_type.h"

namespace r1::quant {

/// Instruction sets the kernels are written for (avx2 includes F16C). The build machine's features
/// are never assumed: the SIMD code is compiled for its target and chosen by CPUID at run time.
enum class SimdLevel { scalar, avx2, avx512_vnni };

/// "scalar", "avx2", "avx512_vnni".
const char* simd_level_name(SimdLevel level);

/// Whether this build has kernels for `level` and this CPU can run them.
bool simd_level_available(SimdLevel level);

/// The best available level (cached after the first call).
SimdLevel best_simd_level();

/// The level whose kernel vec_dot_at(level, type, ...) actually runs: `level` itself or a lower
/// one where `type` has no kernel at `level`.
SimdLevel vec_dot_kernel_level(SimdLevel level, QuantType weight_type);

/// vec_dot with the kernels of `level`. Throws r1::Error(unsupported) when the level is not
/// available on this CPU; otherwise the same checks and result as vec_dot.
float vec_dot_at(SimdLevel level, QuantType weight_type, const void* weight_blocks,
                 const void* activation_blocks, std::int64_t n);

/// vec_dot_at(best_simd_level(), ...).
float vec_dot_fast(QuantType weight_type, const void* weight_blocks, const void* activation_blocks,
                   std::int64_t n);

}  // namespace r1::quant
