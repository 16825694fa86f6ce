// Row-wise CPU ops (norm, rotary embedding, scalar SwiGLU, bf16 rounding) written as plain
// loops that the compiler vectorizes, cloned per instruction set and picked at run time.
#pragma once

#include <cstdint>

#include "ops/reference_ops.h"
#include "ops/rope.h"

namespace r1::ops::cpu {

/// One row of rmsnorm_reference.
void rmsnorm_row(const float* x, const float* weight, std::int64_t dim, float eps, float* out);

/// One token of rope_reference: x [n_heads, head_dim], with cos/sin of its angles [head_dim / 2].
void rope_row(float* x, std::int64_t n_heads, std::int64_t head_dim, const float* cos_a,
              const float* sin_a, RopeLayout layout);

/// out[j] = silu(gate[j]) * up[j] for j < ff, with std::exp: the reference of the SIMD versions
/// (swiglu_kernels.h).
void swiglu_row(const float* gate, const float* up, std::int64_t ff, float* out);

/// Rounds x[0..n) to bf16 like f32_to_bf16 (round to nearest even), vectorized.
void round_to_bf16(const float* x, std::int64_t n, std::uint16_t* out);

}  // namespace r1::ops::cpu
