// x86 SIMD dot-product kernels (one file per instruction set, each compiled for its target).
// Same contract as the scalar ref:: kernels, and bit-identical results.
#pragma once

#include <cstdint>

#include "quant/blocks.h"
#include "quant/quant_type.h"

namespace r1::quant::x86 {

inline constexpr std::int64_t kDecodeMaxTokens = 4;

float vec_dot_q8_0_q8_0_avx2(const BlockQ8_0* x, const BlockQ8_0* y, std::int64_t nb);
float vec_dot_q4_0_q8_0_avx2(const BlockQ4_0* x, const BlockQ8_0* y, std::int64_t nb);
float vec_dot_q4_k_q8_k_avx2(const BlockQ4K* x, const BlockQ8K* y, std::int64_t nb);
float vec_dot_q5_k_q8_k_avx2(const BlockQ5K* x, const BlockQ8K* y, std::int64_t nb);
float vec_dot_q6_k_q8_k_avx2(const BlockQ6K* x, const BlockQ8K* y, std::int64_t nb);
float vec_dot_q4_1_q8_1_avx2(const BlockQ4_1* x, const BlockQ8_1* y, std::int64_t nb);
float vec_dot_q5_0_q8_0_avx2(const BlockQ5_0* x, const BlockQ8_0* y, std::int64_t nb);
float vec_dot_q5_1_q8_1_avx2(const BlockQ5_1* x, const BlockQ8_1* y, std::int64_t nb);

float vec_dot_q8_0_q8_0_avx512_vnni(const BlockQ8_0* x, const BlockQ8_0* y, std::int64_t nb);
float vec_dot_q4_0_q8_0_avx512_vnni(const BlockQ4_0* x, const BlockQ8_0* y, std::int64_t nb);

// Activation quantizers (AVX512F/BW), bit-exact with ref::quantize_q8_0 / q8_1 / q8_k on finite
// input.
void quantize_q8_0_avx512(const float* x, BlockQ8_0* y, std::int64_t nb);
void quantize_q8_1_avx512(const float* x, BlockQ8_1* y, std::int64_t nb);
void quantize_q8_k_avx512(const float* x, BlockQ8K* y, std::int64_t nb);

// Tiled products (gemm.h): row r of w at w + r * nb, token t of a at a + t * nb, output
// y[t * y_stride + r].
#define R1_GEMM_DECL(wtype, atype, name)                                                    \
  void name(const wtype* w, std::int64_t n_rows, std::int64_t nb, const atype* a,           \
            std::int64_t n_tokens, float* y, std::int64_t y_stride)
R1_GEMM_DECL(BlockQ8_0, BlockQ8_0, gemm_q8_0_avx2);
R1_GEMM_DECL(BlockQ4_0, BlockQ8_0, gemm_q4_0_avx2);
R1_GEMM_DECL(BlockQ4K, BlockQ8K, gemm_q4_k_avx2);
R1_GEMM_DECL(BlockQ5K, BlockQ8K, gemm_q5_k_avx2);
R1_GEMM_DECL(BlockQ6K, BlockQ8K, gemm_q6_k_avx2);
// The K-quants one row at a time, each super-block's sums added as one float (rows_k_avx2.cpp:
// within float rounding of the reference, not bit for bit); for decode-sized batches on AVX2.
R1_GEMM_DECL(BlockQ4K, BlockQ8K, rows_q4_k_avx2);
R1_GEMM_DECL(BlockQ5K, BlockQ8K, rows_q5_k_avx2);
R1_GEMM_DECL(BlockQ6K, BlockQ8K, rows_q6_k_avx2);
// Q8_0 and Q4_0 the same way, each block's sums added as one float (rows_legacy_avx2.cpp).
R1_GEMM_DECL(BlockQ8_0, BlockQ8_0, rows_q8_0_avx2);
R1_GEMM_DECL(BlockQ4_0, BlockQ8_0, rows_q4_0_avx2);
R1_GEMM_DECL(BlockQ4_0, BlockQ8_0, gemm_q4_0_avx512_vnni);
// Decode-sized products (n_tokens 1..kDecodeMaxTokens): the K-quant ones also need AVX512_VBMI
// (q4_k and q6_k have their batch kernels below).
R1_GEMM_DECL(BlockQ4_0, BlockQ8_0, decode_q4_0_avx512_vnni);
R1_GEMM_DECL(BlockQ4_1, BlockQ8_1, decode_q4_1_avx512_vnni);
R1_GEMM_DECL(BlockQ5_0, BlockQ8_0, decode_q5_0_avx512_vnni);
R1_GEMM_DECL(BlockQ5_1, BlockQ8_1, decode_q5_1_avx512_vnni);
R1_GEMM_DECL(BlockQ5K, BlockQ8K, decode_q5_k_avx512_vbmi);
// q8_0 at every token count (rows along the lanes; faster than the tiles from 1 to 64+ tokens).
R1_GEMM_DECL(BlockQ8_0, BlockQ8_0, batch_q8_0_avx512_vnni);
// q4_k and q6_k the same way (these need AVX512_VBMI too).
R1_GEMM_DECL(BlockQ4K, BlockQ8K, batch_q4_k_avx512_vbmi);
R1_GEMM_DECL(BlockQ6K, BlockQ8K, batch_q6_k_avx512_vbmi);
#undef R1_GEMM_DECL

// q8_0 repacked 16 rows at a time (packed_q8_0.h): rows [row_begin, row_end) of the packed
// matrix against n_tokens tokens, output y[t * y_stride + (r - row_begin)].
void packed_q8_0_avx512_vnni(const std::uint8_t* packed, std::int64_t nb, std::int64_t row_begin,
                             std::int64_t row_end, const BlockQ8_0* a, std::int64_t n_tokens,
                             float* y, std::int64_t y_stride);
// The same on AVX2 (packed_q8_0_avx2.cpp), bit for bit too.
void packed_q8_0_avx2(const std::uint8_t* packed, std::int64_t nb, std::int64_t row_begin,
                      std::int64_t row_end, const BlockQ8_0* a, std::int64_t n_tokens, float* y,
                      std::int64_t y_stride);
// q4_0 / q4_1 repacked 16 rows at a time (packed_q4.h); activations q8_0 / q8_1 rows of nb blocks.
void packed_q4_avx512_vnni(QuantType type, const std::uint8_t* packed, std::int64_t nb,
                           std::int64_t row_begin, std::int64_t row_end, const void* activations,
                           std::int64_t n_tokens, float* y, std::int64_t y_stride);
// The same on AVX2 (packed_q4_avx2.cpp), bit for bit too.
void packed_q4_avx2(QuantType type, const std::uint8_t* packed, std::int64_t nb,
                    std::int64_t row_begin, std::int64_t row_end, const void* activations,
                    std::int64_t n_tokens, float* y, std::int64_t y_stride);
// q4_k, q5_k and q6_k repacked 16 rows at a time (packed_k.h), the same way (these need VBMI too);
// and one packed block back to the 16 rows' file blocks (out: 16 blocks, row r's at r).
void unpack_k_group_avx512_vbmi(QuantType type, const std::uint8_t* packed_block,
                                std::uint8_t* out);
void packed_q4_k_avx512_vbmi(const std::uint8_t* packed, std::int64_t nb, std::int64_t row_begin,
                             std::int64_t row_end, const BlockQ8K* a, std::int64_t n_tokens,
                             float* y, std::int64_t y_stride);
void packed_q5_k_avx512_vbmi(const std::uint8_t* packed, std::int64_t nb, std::int64_t row_begin,
                             std::int64_t row_end, const BlockQ8K* a, std::int64_t n_tokens,
                             float* y, std::int64_t y_stride);
void packed_q6_k_avx512_vbmi(const std::uint8_t* packed, std::int64_t nb, std::int64_t row_begin,
                             std::int64_t row_end, const BlockQ8K* a, std::int64_t n_tokens,
                             float* y, std::int64_t y_stride);
// q4_k and q5_k on AVX2 + FMA (packed_k_avx2.cpp), within float rounding as the VBMI kernels.
void packed_k_avx2(QuantType type, const std::uint8_t* packed, std::int64_t nb,
                   std::int64_t row_begin, std::int64_t row_end, const BlockQ8K* a,
                   std::int64_t n_tokens, float* y, std::int64_t y_stride);

}  // namespace r1::quant::x86
