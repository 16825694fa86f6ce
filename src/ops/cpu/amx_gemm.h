// Prefill products on the AMX matrix units (Sapphire Rapids and later), our own kernel.
//
// The product is computed transposed, C^T [rows x tokens] = W [rows x K] . X^T, so that the
// weights are the tiles' A operand exactly as stored: 16 weight rows x 32 bf16 per tile, loaded
// with the row stride straight from the mapped file for bf16 weights. Every other weight type
// (f16, the ggml block formats) is first dequantized to bf16, one panel of 32 rows x a K block
// at a time into a per-thread buffer, and then runs at the same bf16 matrix-unit speed. The
// activations are rounded to bf16 and repacked once per linear call into the pair-interleaved
// ("VNNI") layout the B operand needs, shared by all threads.
//
// Accuracy: bf16 activations times bf16 (dequantized) weights, products exact in fp32, sums in
// fp32. amx_gemm_reference computes the same rounded operands in double: the oracle of the tests.
#pragma once

#include <cstdint>
#include <vector>

#include "ops/weights.h"

namespace r1::ops::cpu {

/// Whether this processor has AMX-BF16, the OS enabled the tile state and Linux granted this
/// process the tile data permission (asked once, on the first call).
bool amx_available();

/// Whether amx_gemm handles weights of `type` (bf16, f16 and every quantized weight format).
bool amx_supports(DType type);

/// Activations rounded to bf16 in the B-operand layout: per block of 16 tokens, K/2 rows of 16
/// (even, odd) element pairs; K padded to a multiple of 32 and tokens to a multiple of 32 with
/// zeros.
struct AmxActivations {
  std::vector<std::uint16_t> data;
  std::int64_t n_tokens = 0;
  std::int64_t cols = 0;
  std::int64_t padded_tokens = 0;  // multiple of 32
  std::int64_t padded_cols = 0;    // multiple of 32

  /// Sizes `data` for x [n_tokens, cols] (no packing yet).
  void reshape(std::int64_t n_tokens, std::int64_t cols);
  /// Number of 16-token blocks (the unit amx_pack_activations is split by).
  std::int64_t token_blocks() const { return padded_tokens / 16; }
};

/// Packs 16-token blocks [block_begin, block_end) of x [n_tokens, cols] (row-major fp32) into
/// `packed` (reshaped beforehand). Threads may pack disjoint block ranges concurrently.
void amx_pack_activations(const float* x, std::int64_t block_begin, std::int64_t block_end,
                          AmxActivations& packed);

/// Per-thread buffers of amx_gemm (the dequantized weight panel, the fp32 accumulators).
struct AmxScratch {
  std::vector<std::uint16_t> panel;
  std::vector<float> row;
  std::vector<std::uint16_t> row_bf16;
  std::vector<float> acc;
};

/// y[t * y_stride + (r - row_begin)] = sum_k bf16(x[t, k]) * bf16(w[r, k]) for weight rows
/// r in [row_begin, row_end) and every token of `x`. Runs on the calling thread (tiles
/// configured and released inside); threads split the rows. Requires amx_available() and
/// amx_supports(w.type).
void amx_gemm(const WeightMatrix& w, std::int64_t row_begin, std::int64_t row_end,
              const AmxActivations& x, float* y, std::int64_t y_stride, AmxScratch& scratch);

/// The scalar oracle of amx_gemm: the same bf16-rounded operands, summed in double.
void amx_gemm_reference(const WeightMatrix& w, std::int64_t row_begin, std::int64_t row_end,
                        const float* x, std::int64_t n_tokens, float* y, std::int64_t y_stride);

}  // namespace r1::ops::cpu
