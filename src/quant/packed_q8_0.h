// q8_0 weights repacked once at load for the rows-along-lanes kernels: 16 rows interleaved so
// that one block of the 16 rows is 8 aligned 64-byte vectors already in the order the VNNI
// instruction wants (vector q = bytes 4q..4q+3 of rows 0..15), the rows' 16 scales beside them.
// A product then streams one contiguous run of memory per thread with no in-register transpose
// and no gather (llama.cpp's CPU "repack" buffers do the same for their formats).
//
// Layout of a matrix of n_rows rows x nb blocks: groups of 16 rows (the last padded with zero
// rows), group g at g * packed_q8_0_group_bytes(nb). In a group: the scales, nb x 16 fp16 (block
// b's 16 rows at b * 16), padded to 64 bytes; then the quants, nb x 512 bytes: block b's vector
// q (64 bytes) at b * 512 + q * 64 holds, for lane r = 0..15, bytes 4q..4q+3 of row 16g + r's
// block b, each stored as unsigned q + 128 (vpdpbusd's unsigned operand).
#pragma once

#include <cstddef>
#include <cstdint>

#include "quant/blocks.h"

namespace r1::quant {

inline constexpr std::int64_t kPackedQ8Rows = 16;

/// Bytes of the scale area at the start of a group (nb x 32, padded to 64).
std::size_t packed_q8_0_scale_bytes(std::int64_t nb);
/// Bytes of one group of 16 rows.
std::size_t packed_q8_0_group_bytes(std::int64_t nb);
/// Bytes of a packed matrix of n_rows rows.
std::size_t packed_q8_0_bytes(std::int64_t n_rows, std::int64_t nb);

/// Packs n_rows rows of nb blocks (row r at rows + r * nb) into out (packed_q8_0_bytes; 64-byte
/// alignment makes every vector load aligned, but any address works).
void pack_q8_0(const BlockQ8_0* rows, std::int64_t n_rows, std::int64_t nb, std::uint8_t* out);

/// Row `row`'s blocks [b0, b0 + n) back in the file's format (out [n]).
void unpack_q8_0_row(const std::uint8_t* packed, std::int64_t nb, std::int64_t row,
                     std::int64_t b0, std::int64_t n, BlockQ8_0* out);

namespace ref {
/// y[t * y_stride + (r - row_begin)] = vec_dot_q8_0_q8_0(row r, token t) for r in [row_begin,
/// row_end), read from the packed matrix; token t's blocks at a + t * nb. The oracle of the
/// packed kernels: the same integer sums and the same float expression, block by block.
void gemm_packed_q8_0(const std::uint8_t* packed, std::int64_t nb, std::int64_t row_begin,
                      std::int64_t row_end, const BlockQ8_0* a, std::int64_t n_tokens, float* y,
                      std::int64_t y_stride);
}  // namespace ref

/// The same product on the fastest kernel this CPU has (AVX-512 VNNI, AVX2; else the reference).
void gemm_packed_q8_0(const std::uint8_t* packed, std::int64_t nb, std::int64_t row_begin,
                      std::int64_t row_end, const BlockQ8_0* a, std::int64_t n_tokens, float* y,
                      std::int64_t y_stride);

/// Whether gemm_packed_q8_0 runs a SIMD kernel here (packing pays off only then; with AVX2 the
/// prefill of a packed matrix runs on the FMA kernel, ops/cpu/fma_gemm.h).
bool packed_q8_0_kernel_available();

}  // namespace r1::quant
