// The packed q4_k / q5_k / q6_k layout (quant/packed_k.h) back to the file's blocks, 16 rows at a
// time, with in-register transposes (the inverses of batch_k_rows.h's): for the matrix units'
// weight panels, which want each row's elements in order. AVX-512 F/BW/VBMI. GCC 12's 512-bit
// intrinsics hand _mm512_undefined_* to the masked builtins they wrap.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <cstring>

#include "quant/packed_k.h"
#include "quant/x86/simd_kernels.h"
#include "quant/x86/transpose_avx512.h"

namespace r1::quant::x86 {
namespace {

/// vpermb index undoing residue_order in each 32-byte half: file byte 8 i + m comes from byte
/// 4 m + i.
__m512i file_order() {
  alignas(64) std::int8_t idx[64];
  for (int j = 0; j < 64; ++j) {
    const int half = j / 32, k = j % 32, i = k / 8, m = k % 8;
    idx[j] = static_cast<std::int8_t>(half * 32 + 4 * m + i);
  }
  return _mm512_load_si512(idx);
}

// A residues32 segment (8 vectors, lane r = row r's dword m in residue order) to 32 bytes of
// each of the 16 rows' blocks at `offset`.
void residues32_to_rows(const std::uint8_t* segment, const __m512i& order, std::uint8_t* out,
                        std::size_t block_bytes, std::int32_t offset) {
  __m512i v[8], rows[8];
  for (int m = 0; m < 8; ++m)
    v[m] = _mm512_loadu_si512(reinterpret_cast<const __m512i*>(segment + 64 * m));
  untranspose_8x16_dwords(v, rows);
  auto store = [&](int row, __m256i bytes) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + row * block_bytes + offset), bytes);
  };
  for (int m = 0; m < 4; ++m) {
    // Rows m | m + 4 and m + 8 | m + 12 (32 bytes each, residue order), then in file order.
    const __m512i lo = _mm512_permutexvar_epi8(order, rows[m]);
    const __m512i hi = _mm512_permutexvar_epi8(order, rows[4 + m]);
    store(m, _mm512_castsi512_si256(lo));
    store(m + 4, _mm512_extracti64x4_epi64(lo, 1));
    store(m + 8, _mm512_castsi512_si256(hi));
    store(m + 12, _mm512_extracti64x4_epi64(hi, 1));
  }
}

// A bytes16 segment (4 vectors, lane r = row r's dword k) to 16 bytes of each row.
void bytes16_to_rows(const std::uint8_t* segment, std::uint8_t* out, std::size_t block_bytes,
                     std::int32_t offset) {
  __m512i v[4];
  for (int k = 0; k < 4; ++k)
    v[k] = _mm512_loadu_si512(reinterpret_cast<const __m512i*>(segment + 64 * k));
  const __m512i t0 = _mm512_unpacklo_epi32(v[0], v[1]), t1 = _mm512_unpackhi_epi32(v[0], v[1]);
  const __m512i t2 = _mm512_unpacklo_epi32(v[2], v[3]), t3 = _mm512_unpackhi_epi32(v[2], v[3]);
  // u[i], 128-bit lane L: row 4 L + i's 16 bytes.
  const __m512i u[4] = {_mm512_unpacklo_epi64(t0, t2), _mm512_unpackhi_epi64(t0, t2),
                        _mm512_unpacklo_epi64(t1, t3), _mm512_unpackhi_epi64(t1, t3)};
  alignas(64) std::uint8_t lanes[4][64];
  for (int i = 0; i < 4; ++i) _mm512_store_si512(reinterpret_cast<__m512i*>(lanes[i]), u[i]);
  for (int r = 0; r < 16; ++r)
    std::memcpy(out + r * block_bytes + offset, lanes[r % 4] + 16 * (r / 4), 16);
}

}  // namespace

void unpack_k_group_avx512_vbmi(QuantType type, const std::uint8_t* packed_block,
                                std::uint8_t* out) {
  const auto block_bytes = static_cast<std::size_t>(quant::block_bytes(type));
  const __m512i order = file_order();
  std::size_t position = 0;
  for (const PackedSegment& s : packed_k_segments(type)) {
    const std::uint8_t* segment = packed_block + position;
    switch (s.kind) {
      case PackedSegment::Kind::residues32:
        residues32_to_rows(segment, order, out, block_bytes, s.offset);
        position += 512;
        break;
      case PackedSegment::Kind::bytes16:
        bytes16_to_rows(segment, out, block_bytes, s.offset);
        position += 256;
        break;
      case PackedSegment::Kind::halves:
        for (int r = 0; r < 16; ++r) std::memcpy(out + r * block_bytes + s.offset, segment + 2 * r, 2);
        position += 32;
        break;
    }
  }
}

}  // namespace r1::quant::x86
