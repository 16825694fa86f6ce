// Quantizing a loaded model's matrices at load time (`--quant q8_0` on a bf16 checkpoint): each
// layer matrix and the output matrix are converted row by row into owned buffers of ggml blocks,
// and the source pages of the mapping are released, so resident memory ends near the quantized
// size instead of the file size. The embedding stays as stored (one row is read per token).
#pragma once

#include "core/dtype.h"
#include "model/model_weights.h"

namespace r1::model {

/// Converts every Linear of `weights` to `target` (a quantized type). Throws
/// Error(invalid_argument) for an element type, or naming the matrix whose rows are not a
/// multiple of the block size (with the types that would fit).
void quantize_weights(ModelWeights& weights, DType target);

/// Quantizes `rows` rows of `w` into `out` (rows * dtype_row_bytes(target, w.cols) bytes).
void quantize_matrix(const ops::WeightMatrix& w, DType target, std::uint8_t* out);

}  // namespace r1::model
