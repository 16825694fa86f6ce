// The scalar oracle of amx_gemm and the parts of its interface that need no AMX instructions
// (compiled without the AMX flags, so a processor without AMX can load them).
#include <cstring>
#include <vector>

#include "core/half.h"
#include "ops/cpu/amx_gemm.h"

namespace r1::ops::cpu {

bool amx_supports(DType type) {
  return type != DType::f32;  // bf16 in place; f16 and the block formats through bf16 panels
}

void AmxActivations::reshape(std::int64_t tokens, std::int64_t columns) {
  n_tokens = tokens;
  cols = columns;
  padded_tokens = (tokens + 31) / 32 * 32;
  padded_cols = (columns + 31) / 32 * 32;
  const auto n = static_cast<std::size_t>(padded_tokens * padded_cols);
  if (data.size() < n) data.resize(n);
}

void amx_gemm_reference(const WeightMatrix& w, std::int64_t row_begin, std::int64_t row_end,
                        const float* x, std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  std::vector<float> row(static_cast<std::size_t>(w.cols));
  std::vector<double> xr(static_cast<std::size_t>(n_tokens * w.cols));
  for (std::size_t i = 0; i < xr.size(); ++i) xr[i] = bf16_to_f32(f32_to_bf16(x[i]));
  for (std::int64_t r = row_begin; r < row_end; ++r) {
    dequantize_row(w, r, row.data());
    for (float& v : row) v = bf16_to_f32(f32_to_bf16(v));
    for (std::int64_t t = 0; t < n_tokens; ++t) {
      double sum = 0;
      for (std::int64_t k = 0; k < w.cols; ++k) sum += xr[t * w.cols + k] * row[k];
      y[t * y_stride + (r - row_begin)] = static_cast<float>(sum);
    }
  }
}

}  // namespace r1::ops::cpu
