// x86 SIMD dot-product kernels (one file per instruction set, each compiled for its target).
// Same contract as the scalar ref:: kernels, and bit-identical results.
#pragma once

#include <cstdint>

#include "quant/blocks.h"

namespace r1::quant::x86 {

float vec_dot_q8_0_q8_0_avx2(const BlockQ8_0* x, const BlockQ8_0* y, std::int64_t nb);
float vec_dot_q4_0_q8_0_avx2(const BlockQ4_0* x, const BlockQ8_0* y, std::int64_t nb);
float vec_dot_q4_k_q8_k_avx2(const BlockQ4K* x, const BlockQ8K* y, std::int64_t nb);

float vec_dot_q8_0_q8_0_avx512_vnni(const BlockQ8_0* x, const BlockQ8_0* y, std::int64_t nb);
float vec_dot_q4_0_q8_0_avx512_vnni(const BlockQ4_0* x, const BlockQ8_0* y, std::int64_t nb);

}  // namespace r1::quant::x86
