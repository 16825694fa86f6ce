// Prefill-sized products of fp32 activations with f32 / f16 / bf16 weight rows on the FMA units,
// for processors without matrix units (AMX). Each output is one fused multiply-add chain over
// the columns in order, sum = fma(x[i], w[i], sum) from i = 0 — the same number whatever the
// tile, thread split or token count, and bit for bit fma_gemm_reference.
//
// Why not the decode kernels (matmul_<isa>.cpp) or oneDNN: those hold 16 partial sums per
// output and sum them at the end, so a tile must keep every (row, token) pair's 16-lane
// accumulator for the whole row, and their tiles read 4 activation vectors per 16 FMAs;
// oneDNN's bf16 GEMM rests on VDPBF16PS, which on some of these processors issues at half the
// FMA rate (and needs AVX512-BF16). Here the rows lie along the vector lanes: on AVX-512 a panel
// of 64 rows x 128 columns is widened to fp32 and transposed once into L1, each column then costs
// 4 panel loads and one broadcast per token for 24 FMAs (4 x 16 rows x 6 tokens); on AVX2 a
// panel of 16 rows, 2 loads and one broadcast per token for 12 FMAs (2 x 8 rows x 6 tokens).
// Partial sums go back to y between panels of columns (bench/bench_prefill_gemm.cpp measures it
// against the others).
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "ops/cpu/matmul_kernels.h"

namespace r1::ops::cpu {

/// y[t * y_stride + r] = the in-order fma chain over i < cols of x[t * cols + i] * w[r, i],
/// for r < n_rows, t < n_tokens; w holds n_rows rows of `cols` elements of `type` contiguously:
/// f32, f16, bf16, or ggml's quantized blocks (w[r, i] their dequantized value, as
/// quant::dequantize_row gives it).
void fma_gemm_reference(DType type, const void* w, std::int64_t n_rows, std::int64_t cols,
                        const float* x, std::int64_t n_tokens, float* y, std::int64_t y_stride);

/// Whether fma_gemm has a kernel for `isa` (avx512: AVX-512F; avx2: AVX2 + FMA + F16C) and
/// this processor can run it.
bool fma_gemm_available(CpuIsa isa);

/// Whether fma_gemm runs `type` weights on `isa`: f32 / f16 / bf16 on both, the quantized types
/// on AVX2 (processors without AVX-512 have no integer kernel faster than this for prefill;
/// with AVX-512 VNNI the integer kernels are).
bool fma_gemm_supports(CpuIsa isa, DType type);

/// The same product on `isa` (requires fma_gemm_supports(isa, type)); every isa gives the same
/// bits.
void fma_gemm(CpuIsa isa, DType type, const void* w, std::int64_t n_rows, std::int64_t cols,
              const float* x, std::int64_t n_tokens, float* y, std::int64_t y_stride);

/// fma_gemm of rows [row_begin, row_end) of a q8_0 matrix of `cols` columns repacked at load
/// (quant/packed_q8_0.h): the same bits as fma_gemm on the original rows. AVX2 only
/// (fma_gemm_supports(CpuIsa::avx2, DType::q8_0)): there the packed copy serves decode on the
/// integer kernel and prefill here, so the file's rows are never read.
void fma_gemm_packed_q8_0(CpuIsa isa, const std::uint8_t* packed, std::int64_t row_begin,
                          std::int64_t row_end, std::int64_t cols, const float* x,
                          std::int64_t n_tokens, float* y, std::int64_t y_stride);

}  // namespace r1::ops::cpu
