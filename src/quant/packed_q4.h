// q4_0 and q4_1 weights repacked once at load for the rows-along-lanes kernels, as q8_0's
// (quant/packed_q8_0.h): 16 rows interleaved so that one block of the 16 rows is 4 aligned
// 64-byte vectors in the order the VNNI instruction wants, the rows' scales (and q4_1's mins)
// beside them, and each thread streams one contiguous run of memory.
//
// Layout of a matrix of n_rows rows x nb blocks: groups of 16 rows (the last padded with zero
// rows), group g at g * packed_q4_group_bytes(type, nb). In a group: the heads, per block b the
// 16 rows' d (fp16) at b * head, then for q4_1 their 16 m (fp16), head = 32 (q4_0) or 64 (q4_1)
// bytes, the area padded to 64 bytes; then the quants, nb x 256 bytes: block b's vector v (64
// bytes) at b * 256 + v * 64 holds, for lane r = 0..15, bytes 4v..4v+3 of row 16g + r's qs (the
// file's nibbles: low = element 4v + i, high = element 16 + 4v + i).
#pragma once

#include <cstddef>
#include <cstdint>

#include "quant/quant_type.h"

namespace r1::quant {

inline constexpr std::int64_t kPackedQ4Rows = 16;

/// Whether `type` has this layout (q4_0, q4_1).
bool has_packed_q4_layout(QuantType type);
/// Bytes of the head area at the start of a group.
std::size_t packed_q4_head_bytes(QuantType type, std::int64_t nb);
/// Bytes of one group of 16 rows.
std::size_t packed_q4_group_bytes(QuantType type, std::int64_t nb);
/// Bytes of a packed matrix of n_rows rows.
std::size_t packed_q4_bytes(QuantType type, std::int64_t n_rows, std::int64_t nb);

/// Packs n_rows rows of nb blocks (row r at rows + r * nb * block_bytes) into out.
void pack_q4(QuantType type, const std::uint8_t* rows, std::int64_t n_rows, std::int64_t nb,
             std::uint8_t* out);
/// Row `row`'s blocks [b0, b0 + n) back in the file's format (out: n blocks).
void unpack_q4_row(QuantType type, const std::uint8_t* packed, std::int64_t nb, std::int64_t row,
                   std::int64_t b0, std::int64_t n, std::uint8_t* out);

namespace ref {
/// y[t * y_stride + (r - row_begin)] = vec_dot(type, row r, activation row t) for r in
/// [row_begin, row_end) of the packed matrix (activations: q8_0 rows for q4_0, q8_1 for q4_1,
/// of nb blocks): each row unpacked, then the scalar reference.
void gemm_packed_q4(QuantType type, const std::uint8_t* packed, std::int64_t nb,
                    std::int64_t row_begin, std::int64_t row_end, const void* activations,
                    std::int64_t n_tokens, float* y, std::int64_t y_stride);
}  // namespace ref

/// The same product on the kernel of this CPU (AVX-512 VNNI or AVX2), else the reference. Bit for
/// bit the reference either way: the integer sums are exact and each row's float sum takes its
/// blocks in order with the reference's expression.
void gemm_packed_q4(QuantType type, const std::uint8_t* packed, std::int64_t nb,
                    std::int64_t row_begin, std::int64_t row_end, const void* activations,
                    std::int64_t n_tokens, float* y, std::int64_t y_stride);

/// Whether gemm_packed_q4 runs a SIMD kernel here (packing pays off only then).
bool packed_q4_kernel_available();

}  // namespace r1::quant
