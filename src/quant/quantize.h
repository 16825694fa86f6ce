// Scalar reference quantization of rows of floats into ggml blocks and back, and the integer
// dot products the quantized matmul kernels compute. They reproduce ggml's reference code bit
// for bit (quantize_row_*_ref, dequantize_row_*, the scalar ggml_vec_dot_*_generic): same
// rounding, same f16 conversions, same order of float operations. They are the oracle and the
// fallback of every faster kernel.
//
// Every function takes a row of n elements; n must be a multiple of the type's block size
// (otherwise r1::Error(invalid_argument) naming the type and n). Block buffers hold
// row_bytes(type, n) bytes, aligned to 2 bytes (4 for q8_k).
#pragma once

#include <cstdint>

#include "quant/quant_type.h"

namespace r1::quant {

/// in[0..n) -> blocks, like ggml's quantize_row_<type>_ref (what llama-quantize writes without
/// an importance matrix).
void quantize_row(QuantType type, const float* in, void* blocks, std::int64_t n);

/// blocks -> out[0..n), like ggml's dequantize_row_<type>.
void dequantize_row(QuantType type, const void* blocks, float* out, std::int64_t n);

/// The activation format ggml pairs with a weight type in its dot products: q8_0 for q8_0,
/// q4_0 and q5_0; q8_1 for q4_1 and q5_1; q8_k for q4_k, q5_k and q6_k. Throws
/// r1::Error(unsupported) for the activation-only types q8_1 and q8_k.
QuantType vec_dot_activation_type(QuantType weight_type);

/// Dot product of a weight row (blocks of `weight_type`) with an activation row quantized to
/// vec_dot_activation_type(weight_type), like ggml_vec_dot_<w>_<a>_generic: integer sums per
/// block, scaled and accumulated in float in ggml's order.
float vec_dot(QuantType weight_type, const void* weight_blocks, const void* activation_blocks,
              std::int64_t n);

/// Float-activation reference: sum over i of dequantize(w)[i] * x[i], accumulated in double
/// (for tests of the quantized dot products, not a ggml function).
double vec_dot_f32(QuantType weight_type, const void* weight_blocks, const float* x,
                   std::int64_t n);

}  // namespace r1::quant
