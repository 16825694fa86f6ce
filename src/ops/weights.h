// Weights as the ops see them: views into the mapped checkpoint, never copies.
#pragma once

#include <cstdint>
#include <vector>

#include "core/dtype.h"

namespace r1::ops {

/// How a matrix's bytes are arranged.
enum class WeightLayout {
  rows,    // row-major, as in the file: row r at data + r * row_bytes
  packed,  // 16 rows interleaved at load for the CPU kernels, by type: quant/packed_q8_0.h for
           // q8_0, quant/packed_q4.h for q4_0 and q4_1, quant/packed_k.h for q4_k, q5_k, q6_k
};

/// Matrix of shape [rows = out features, cols = in features], like nn.Linear.weight, row-major
/// as in the file unless a backend repacked it at load (layout). Quantized rows are ggml blocks
/// along cols (cols a multiple of the block size).
struct WeightMatrix {
  DType type = DType::f32;  // as stored; compute is always fp32
  const void* data = nullptr;
  std::int64_t rows = 0;  // out
  std::int64_t cols = 0;  // in
  WeightLayout layout = WeightLayout::rows;
};

/// Bytes of one row of `w` in the file's layout (a packed matrix has the same bytes per row,
/// plus its padding rows).
inline std::size_t row_bytes(const WeightMatrix& w) {
  return static_cast<std::size_t>(dtype_row_bytes(w.type, w.cols));
}

/// Row `row` of `w` as floats (out [w.cols]); quantized blocks are dequantized as ggml does.
void dequantize_row(const WeightMatrix& w, std::int64_t row, float* out);

/// Element (row, col) of `w` as float (slow for quantized types: decodes the block; for tests).
float weight_at(const WeightMatrix& w, std::int64_t row, std::int64_t col);

/// A linear layer y = x W^T + b whose W is one matrix or several stacked along the output rows:
/// q/k/v and gate/up are fused at load this way, so one product reads the activations once and
/// fills one [n_tokens, rows] output (q | k | v, gate | up). The parts stay views into the
/// mapping; all share cols; their dtypes may differ (llama.cpp's q4_k_m mixes q4_k and q6_k).
struct Linear {
  std::vector<WeightMatrix> parts;  // [rows_i, cols] each, in output order
  std::vector<float> bias;          // [rows], empty when no part has a bias
  std::int64_t rows = 0;            // sum of the parts' rows
  std::int64_t cols = 0;
  DType type = DType::f32;  // the first part's; see mixed_types()

  /// Whether the parts have different dtypes (backends then run one product per part).
  bool mixed_types() const;

  /// One matrix, optional bias ([w.rows] or empty).
  static Linear single(const WeightMatrix& w, std::vector<float> bias = {});
  /// Stacks `parts` (same cols, else Error(invalid_file) naming the mismatch). `biases`
  /// is empty or has one entry per part, each [part rows] or empty (zeros then).
  static Linear stacked(std::vector<WeightMatrix> parts,
                        const std::vector<std::vector<float>>& biases);

  /// Bytes of weights one product reads (the parts' rows).
  std::size_t weight_bytes() const;
};

}  // namespace r1::ops
