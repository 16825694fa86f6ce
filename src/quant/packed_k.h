// q4_k, q5_k and q6_k weights repacked once at load for the rows-along-lanes batch kernels
// (x86/batch_q4_k_q5_k_avx512_vbmi.cpp, x86/batch_q6_k_avx512_vbmi.cpp): a pure permutation of the
// bytes of 16 rows' super-blocks into the order those kernels' registers hold them after their
// in-register transposes, so that the transposes (and the gather of q6_k's scales) happen once at
// load instead of on every product, and each thread reads one contiguous stream.
//
// Layout: groups of 16 rows (the last padded with zero rows), group g at g * nb *
// packed_k_block_bytes(type); in a group, block b of all 16 rows at b * packed_k_block_bytes.
// A block is the type's segments in order (packed_k_segments), each one of:
//   residues32 at offset o (512 bytes): vector m (64 bytes) lane r = bytes o + m, + 8, + 16, + 24
//              of row r's block (the residue order of the reference's 8 integer lanes);
//   bytes16 at o (256 bytes): vector k lane r = bytes o + 4 k .. o + 4 k + 3 of row r's block;
//   halves at o (32 bytes): the 2 bytes at o of rows 0..15 (an fp16 per row).
// then padding to a multiple of 64 bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "quant/quant_type.h"

namespace r1::quant {

inline constexpr std::int64_t kPackedKRows = 16;

struct PackedSegment {
  enum class Kind { residues32, bytes16, halves } kind;
  std::int32_t offset;  // in the file's block
};

/// Whether `type` has a packed layout (q4_k, q5_k, q6_k).
bool has_packed_k_layout(QuantType type);
/// The segments of a packed block of `type`, in their order (empty if none).
std::span<const PackedSegment> packed_k_segments(QuantType type);
/// Where the segment starting at `offset` of the file's block lies in a packed block.
std::size_t packed_k_segment_position(QuantType type, std::int32_t offset);
/// Bytes of one packed block of 16 rows.
std::size_t packed_k_block_bytes(QuantType type);
/// Bytes of a packed matrix of n_rows rows of nb blocks.
std::size_t packed_k_bytes(QuantType type, std::int64_t n_rows, std::int64_t nb);

/// Packs n_rows rows of nb blocks (row r at rows + r * nb * block_bytes) into out.
void pack_k(QuantType type, const std::uint8_t* rows, std::int64_t n_rows, std::int64_t nb,
            std::uint8_t* out);
/// Row `row`'s blocks [b0, b0 + n) back in the file's format (out: n blocks).
void unpack_k_row(QuantType type, const std::uint8_t* packed, std::int64_t nb, std::int64_t row,
                  std::int64_t b0, std::int64_t n, std::uint8_t* out);

/// The 16 rows of group g's block b in the file's format (out: 16 blocks, row 16 g + r's at
/// out + r * block_bytes; padding rows come out as zeros). SIMD where the kernels run.
void unpack_k_group(QuantType type, const std::uint8_t* packed, std::int64_t nb, std::int64_t g,
                    std::int64_t b, std::uint8_t* out);

namespace ref {
/// y[t * y_stride + (r - row_begin)] = vec_dot(type, row r, activation row t) for r in
/// [row_begin, row_end) of the packed matrix (activations: q8_k rows of nb blocks): each row
/// unpacked, then the scalar reference.
void gemm_packed_k(QuantType type, const std::uint8_t* packed, std::int64_t nb,
                   std::int64_t row_begin, std::int64_t row_end, const void* activations,
                   std::int64_t n_tokens, float* y, std::int64_t y_stride);
}  // namespace ref

/// The same product on the batch kernel of this CPU (AVX-512 VNNI + VBMI: every type; AVX2 + FMA:
/// q4_k, q5_k), else the reference.
void gemm_packed_k(QuantType type, const std::uint8_t* packed, std::int64_t nb,
                   std::int64_t row_begin, std::int64_t row_end, const void* activations,
                   std::int64_t n_tokens, float* y, std::int64_t y_stride);

/// Whether gemm_packed_k runs a SIMD kernel for `type` here (packing pays off only then).
bool packed_k_kernel_available(QuantType type);

}  // namespace r1::quant
