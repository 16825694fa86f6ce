// Matrix products of fp32 activations with f32 / f16 / bf16 weight rows, one implementation per
// instruction set. Every variant computes each output as one dot product accumulated in fp32 in
// the same order whatever the tile, so decode (1 token) and prefill (many) give identical numbers.
#pragma once

#include <cstdint>
#include <type_traits>

#include "core/dtype.h"

namespace r1::ops::cpu {

enum class CpuIsa { scalar, avx2, avx512 };

/// "scalar", "avx2", "avx512".
const char* isa_name(CpuIsa isa);

/// The best instruction set this processor supports (read at run time).
CpuIsa best_isa();

/// Whether this processor can run kernels of `isa`.
bool isa_supported(CpuIsa isa);

/// y[t * y_stride + r] = sum_i x[t * x_stride + i] * w[r, i] for r < n_rows, t < n_tokens, where
/// the n_rows weight rows of `cols` elements lie contiguously from `w`.
using DotRowsFn = void (*)(const void* w, std::int64_t n_rows, std::int64_t cols, const float* x,
                           std::int64_t x_stride, std::int64_t n_tokens, float* y,
                           std::int64_t y_stride);

/// The product for weights of element type `type` (f32, f16, bf16) on `isa` (which must be
/// supported); nullptr for quantized types.
DotRowsFn dot_rows_kernel(CpuIsa isa, DType type);

/// Calls pick(std::integral_constant<DType, T>{}) for the element type T = type and returns its
/// kernel; nullptr for quantized types (they go through quant::gemm). Each matmul_<isa>.cpp
/// passes its own dot_rows<T>.
template <typename Pick>
DotRowsFn by_element_type(DType type, Pick pick) {
  switch (type) {
    case DType::f32:
      return pick(std::integral_constant<DType, DType::f32>{});
    case DType::f16:
      return pick(std::integral_constant<DType, DType::f16>{});
    case DType::bf16:
      return pick(std::integral_constant<DType, DType::bf16>{});
    default:
      return nullptr;
  }
}

// Per instruction set (defined in matmul_<isa>.cpp, each compiled for its own target).
DotRowsFn dot_rows_scalar(DType type);
DotRowsFn dot_rows_avx2(DType type);
DotRowsFn dot_rows_avx512(DType type);

/// Tokens per chunk so that a chunk of activations rows (cols floats each) stays in the L2 cache
/// while every weight tile passes over it.
inline std::int64_t tokens_per_chunk(std::int64_t cols) {
  constexpr std::int64_t kL2Budget = 768 * 1024;
  const std::int64_t n = kL2Budget / (cols * 4);
  return n < 8 ? 8 : (n / 4) * 4;
}

}  // namespace r1::ops::cpu
