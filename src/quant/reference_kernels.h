// Per-type scalar kernels behind quantize.h, on whole blocks (nb = number of blocks). Internal
// to r1_quant and its tests; callers use quantize_row / dequantize_row / vec_dot.
#pragma once

#include <cstdint>

#include "quant/blocks.h"

namespace r1::quant::ref {

void quantize_q8_0(const float* x, BlockQ8_0* y, std::int64_t nb);
void quantize_q8_1(const float* x, BlockQ8_1* y, std::int64_t nb);
void quantize_q4_0(const float* x, BlockQ4_0* y, std::int64_t nb);
void quantize_q4_1(const float* x, BlockQ4_1* y, std::int64_t nb);
void quantize_q5_0(const float* x, BlockQ5_0* y, std::int64_t nb);
void quantize_q5_1(const float* x, BlockQ5_1* y, std::int64_t nb);
void quantize_q4_k(const float* x, BlockQ4K* y, std::int64_t nb);
void quantize_q5_k(const float* x, BlockQ5K* y, std::int64_t nb);
void quantize_q6_k(const float* x, BlockQ6K* y, std::int64_t nb);
void quantize_q8_k(const float* x, BlockQ8K* y, std::int64_t nb);

void dequantize_q8_0(const BlockQ8_0* x, float* y, std::int64_t nb);
void dequantize_q8_1(const BlockQ8_1* x, float* y, std::int64_t nb);
void dequantize_q4_0(const BlockQ4_0* x, float* y, std::int64_t nb);
void dequantize_q4_1(const BlockQ4_1* x, float* y, std::int64_t nb);
void dequantize_q5_0(const BlockQ5_0* x, float* y, std::int64_t nb);
void dequantize_q5_1(const BlockQ5_1* x, float* y, std::int64_t nb);
void dequantize_q4_k(const BlockQ4K* x, float* y, std::int64_t nb);
void dequantize_q5_k(const BlockQ5K* x, float* y, std::int64_t nb);
void dequantize_q6_k(const BlockQ6K* x, float* y, std::int64_t nb);
void dequantize_q8_k(const BlockQ8K* x, float* y, std::int64_t nb);

float vec_dot_q8_0_q8_0(const BlockQ8_0* x, const BlockQ8_0* y, std::int64_t nb);
float vec_dot_q4_0_q8_0(const BlockQ4_0* x, const BlockQ8_0* y, std::int64_t nb);
float vec_dot_q4_1_q8_1(const BlockQ4_1* x, const BlockQ8_1* y, std::int64_t nb);
float vec_dot_q5_0_q8_0(const BlockQ5_0* x, const BlockQ8_0* y, std::int64_t nb);
float vec_dot_q5_1_q8_1(const BlockQ5_1* x, const BlockQ8_1* y, std::int64_t nb);
float vec_dot_q4_k_q8_k(const BlockQ4K* x, const BlockQ8K* y, std::int64_t nb);
float vec_dot_q5_k_q8_k(const BlockQ5K* x, const BlockQ8K* y, std::int64_t nb);
float vec_dot_q6_k_q8_k(const BlockQ6K* x, const BlockQ8K* y, std::int64_t nb);

}  // namespace r1::quant::ref
