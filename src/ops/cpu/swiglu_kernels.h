// SwiGLU rows, out[j] = silu(gate[j]) * up[j] = gate[j] / (1 + exp(-gate[j])) * up[j], with the
// vectorized exp of simd_exp.h; one version per instruction set (swiglu_<isa>.cpp, compiled for
// its target), the scalar one (vector_ops.h's swiglu_row, std::exp) being their reference.
#pragma once

#include <cstdint>

#include "ops/cpu/matmul_kernels.h"

namespace r1::ops::cpu {

using SwigluRowFn = void (*)(const float* gate, const float* up, std::int64_t ff, float* out);

/// The row function for `isa` (which must be supported).
SwigluRowFn swiglu_kernel(CpuIsa isa);

/// out[i] = exp(x[i]) with simd_exp.h's exp for `isa` (std::exp for scalar): lets the tests
/// measure the exp that SwiGLU and the attention softmax use.
using ExpRowFn = void (*)(const float* x, std::int64_t n, float* out);
ExpRowFn exp_kernel(CpuIsa isa);

void exp_row_avx2(const float* x, std::int64_t n, float* out);
void exp_row_avx512(const float* x, std::int64_t n, float* out);
void swiglu_row_avx2(const float* gate, const float* up, std::int64_t ff, float* out);
void swiglu_row_avx512(const float* gate, const float* up, std::int64_t ff, float* out);

}  // namespace r1::ops::cpu
