// Quantized matrix products for prefill: every weight row against every quantized activation
// row, in tiles of rows x tokens so that each weight block is unpacked once for several tokens
// and each activation block loaded once for several rows. Each output equals the scalar
// vec_dot (quantize.h) of its row and token bit for bit: only integer work is shared, and each
// output's float accumulation keeps the reference's order.
#pragma once

#include <cstdint>

#include "quant/quant_type.h"
#include "quant/vec_dot_fast.h"

namespace r1::quant {

/// y[t * y_stride + r] = vec_dot(weight_type, row r, activation row t, cols) for r < n_rows,
/// t < n_tokens. Weight rows are contiguous, row_bytes(weight_type, cols) apart; activations
/// are n_tokens rows of row_bytes(vec_dot_activation_type(weight_type), cols). Tiled kernels:
/// q8_0 and q4_0 (AVX2, AVX-512 VNNI), q4_k, q5_k, q6_k (AVX2); other types loop over
/// vec_dot_fast. Throws like vec_dot on a bad type or cols.
void gemm(QuantType weight_type, const void* weight_rows, std::int64_t n_rows, std::int64_t cols,
          const void* activations, std::int64_t n_tokens, float* y, std::int64_t y_stride);

/// gemm with the kernels of `level` (for tests and benchmarks). Throws r1::Error(unsupported)
/// when the level is not available on this CPU.
void gemm_at(SimdLevel level, QuantType weight_type, const void* weight_rows, std::int64_t n_rows,
             std::int64_t cols, const void* activations, std::int64_t n_tokens, float* y,
             std::int64_t y_stride);

/// gemm_at, except that the sums may be taken in another float order than the reference's
/// where that is much faster: within float rounding of vec_dot rather than bit for bit. Today
/// q8_0, q4_0 and the K-quants (q4_k, q5_k, q6_k) on AVX2 for up to 16 tokens, one row at a
/// time, each block's integer sums (exact) added to the row's 8 float lanes as one product, as
/// ggml's own SIMD code sums (2-4x gemm_at's tiles there, which keep the reference's order with
/// a horizontal sum per block and output). The CPU backend's products use this; everything else
/// is gemm_at's.
void gemm_relaxed_at(SimdLevel level, QuantType weight_type, const void* weight_rows,
                     std::int64_t n_rows, std::int64_t cols, const void* activations,
                     std::int64_t n_tokens, float* y, std::int64_t y_stride);

/// gemm_relaxed_at with the best level this CPU runs.
void gemm_relaxed(QuantType weight_type, const void* weight_rows, std::int64_t n_rows,
                  std::int64_t cols, const void* activations, std::int64_t n_tokens, float* y,
                  std::int64_t y_stride);

/// The level whose tiled kernel gemm_at(level, type, ...) runs, or SimdLevel::scalar where it
/// loops over vec_dot_at(level, ...).
SimdLevel gemm_kernel_level(SimdLevel level, QuantType weight_type);

}  // namespace r1::quant
