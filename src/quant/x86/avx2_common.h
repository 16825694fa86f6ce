// Inline AVX2 building blocks shared by the x86 dot-product and tiled-product kernels (include
// only from files compiled with -mavx2 -mf16c). Every integer step is exact for every input
// byte; float steps are left to the callers, which keep the scalar reference's order.
//
// K-quant "residue lanes": the scalar reference accumulates integer products into lane k % 8
// (k the element index). Here the bytes of each 16-element half-register are shuffled so that
// elements j and j + 8 sit side by side; pmaddubsw then yields one int16 per residue j, and
// interleaving two such vectors before pmaddwd with their two sub-block scales keeps every
// int32 lane within one residue. residue_lanes() folds the result back to lanes 0..7.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "quant/blocks.h"

namespace r1::quant::x86 {
// Internal linkage: each including file gets its own copy compiled for its own target, so no
// AVX-512 build of a helper can stand in for the AVX2 one at link time.
namespace {

/// Ends GCC's reassociation of an accumulator's chain of adds where it would rewrite the chain
/// into a tree with every product live at once, spilled to the stack (GCC 12 did so in the
/// packed kernels' int16 sums): the value passes through an empty asm statement.
inline void in_order(__m256i& accumulator) {
  asm("" : "+x"(accumulator));
}

/// The outputs of one pass over the 16-row group g of a packed matrix (the lane kernels'
/// layouts: quant/packed_q8_0.h, packed_q4.h, packed_k.h): acc[0][t] holds rows 16 g .. 16 g + 7
/// of token t, acc[1][t] the next 8; the rows inside [row_begin, row_end) go to
/// y[t * y_stride + (r - row_begin)].
template <std::size_t N>
inline void store_group_rows(const __m256 (&acc)[2][N], std::int64_t g, std::int64_t row_begin,
                             std::int64_t row_end, std::int64_t n_tokens, float* y,
                             std::int64_t y_stride) {
  constexpr std::int64_t kGroupRows = 16;
  const std::int64_t first = g * kGroupRows;
  const std::int64_t lo = first > row_begin ? first : row_begin;
  const std::int64_t hi = first + kGroupRows < row_end ? first + kGroupRows : row_end;
  for (std::int64_t t = 0; t < n_tokens; ++t) {
    alignas(32) float lanes[kGroupRows];
    _mm256_store_ps(lanes, acc[0][t]);
    _mm256_store_ps(lanes + 8, acc[1][t]);
    __builtin_memcpy(y + t * y_stride + (lo - row_begin), lanes + (lo - first),
                     static_cast<std::size_t>(hi - lo) * sizeof(float));
  }
}

/// A token's activation bytes 4 k .. 4 k + 3 (at p) in every dword: the lane kernels pair one
/// such broadcast with a whole vector of rows' weights.
inline __m256i broadcast4(const std::int8_t* p) {
  std::int32_t four;
  __builtin_memcpy(&four, p, 4);
  return _mm256_set1_epi32(four);
}

/// Whether any activation byte of count q8_0 blocks is -128, which the sign trick of the q8_0
/// kernels (pmaddubsw of |w| against y with w's sign) cannot take.
inline bool has_minus_128(const BlockQ8_0* a, std::int64_t count) {
  const __m256i m128 = _mm256_set1_epi8(static_cast<char>(-128));
  __m256i any = _mm256_setzero_si256();
  for (std::int64_t i = 0; i < count; ++i) {
    any = _mm256_or_si256(
        any,
        _mm256_cmpeq_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[i].qs)), m128));
  }
  return !_mm256_testz_si256(any, any);
}

/// F16C conversion: exact, like r1::f16_to_f32.
inline float f16(std::uint16_t h) {
  return _cvtsh_ss(h);
}

/// Sum of the 8 int32 lanes.
inline int hsum_epi32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

/// Lane p of the result = sum of the 8 int32 lanes of v[p] (8 horizontal sums at once).
inline __m256i hsum8_epi32(const __m256i* v) {
  const __m256i s01 = _mm256_hadd_epi32(v[0], v[1]);
  const __m256i s23 = _mm256_hadd_epi32(v[2], v[3]);
  const __m256i s45 = _mm256_hadd_epi32(v[4], v[5]);
  const __m256i s67 = _mm256_hadd_epi32(v[6], v[7]);
  const __m256i s0123 = _mm256_hadd_epi32(s01, s23);
  const __m256i s4567 = _mm256_hadd_epi32(s45, s67);
  return _mm256_add_epi32(_mm256_permute2x128_si256(s0123, s4567, 0x20),
                          _mm256_permute2x128_si256(s0123, s4567, 0x31));
}

/// The 32 nibbles of 16 packed bytes as unsigned bytes in element order (low nibbles, then high).
inline __m256i unpack_nibbles16(const std::uint8_t* qs) {
  const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m128i mask = _mm_set1_epi8(0x0F);
  return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(packed, 4), mask),
                          _mm_and_si128(packed, mask));
}

/// 0x10 in byte j where bit j of the little-endian 32-bit qh is set (Q5_0/Q5_1's 5th bits).
inline __m256i fifth_bits(const std::uint8_t* qh) {
  std::uint32_t bits;
  __builtin_memcpy(&bits, qh, 4);
  const __m256i spread = _mm256_shuffle_epi8(
      _mm256_set1_epi32(static_cast<int>(bits)),
      _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0));
  const __m256i select = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ULL));
  const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(spread, select), select);
  return _mm256_and_si256(set, _mm256_set1_epi8(0x10));
}

/// Byte order of residue pairs within each 16-byte half: 0, 8, 1, 9, ..., 7, 15.
inline __m256i residue_shuffle() {
  return _mm256_set_epi8(15, 7, 14, 6, 13, 5, 12, 4, 11, 3, 10, 2, 9, 1, 8, 0, 15, 7, 14, 6, 13,
                         5, 12, 4, 11, 3, 10, 2, 9, 1, 8, 0);
}

/// 32 bytes loaded and put in residue-pair order.
inline __m256i load_residue_order(const void* p, __m256i shuffle) {
  return _mm256_shuffle_epi8(_mm256_loadu_si256(static_cast<const __m256i*>(p)), shuffle);
}

/// int16 lane j of each half: w[j] * a[j] + w[j + 8] * a[j + 8] of that half (w unsigned
/// < 64, a signed: |result| <= 2 * 63 * 128, no saturation), inputs in residue-pair order.
inline __m256i residue_products(__m256i w, __m256i a) {
  return _mm256_maddubs_epi16(w, a);
}

/// Accumulates two residue-product vectors p0, p1 weighted by the int16 scales in `scales`
/// (pattern s0, s1 repeated per half, s0 for p0, s1 for p1): lo gets residues 0..3 of each
/// half, hi residues 4..7.
inline void accumulate_scaled(__m256i p0, __m256i p1, __m256i scales, __m256i* lo, __m256i* hi) {
  *lo = _mm256_add_epi32(*lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(p0, p1), scales));
  *hi = _mm256_add_epi32(*hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(p0, p1), scales));
}

/// The reference's 8 lanes (residues 0..7) from accumulate_scaled's lo and hi.
inline __m256i residue_lanes(__m256i lo, __m256i hi) {
  return _mm256_add_epi32(_mm256_permute2x128_si256(lo, hi, 0x20),
                          _mm256_permute2x128_si256(lo, hi, 0x31));
}

/// int16 scale pattern (a, b) repeated in the low half and (c, d) in the high half.
inline __m256i scale_pairs(int a, int b, int c, int d) {
  const int lo = (a & 0xFFFF) | (b << 16);
  const int hi = (c & 0xFFFF) | (d << 16);
  return _mm256_set_epi32(hi, hi, hi, hi, lo, lo, lo, lo);
}

/// A Q4_K/Q5_K weight block ready for dot products: the 8 sub-blocks' unsigned quants in
/// residue-pair order, scale pairs per sub-block pair, and the 8 mins.
struct UnpackedK4 {
  __m256i q[8];
  __m256i scales[4];
  std::int16_t mins[16];  // mins[j / 2] per 16-element group j, for the bsums term
};

/// Q4_K: sub-block 2 g is the low nibbles of qs[32 g..32 g + 31], 2 g + 1 the high nibbles.
inline void unpack_q4_k(const BlockQ4K& b, __m256i shuffle, UnpackedK4* u) {
  std::uint8_t sc[8];
  std::uint8_t mn[8];
  for (int j = 0; j < 8; ++j) unpack_scale_min_k4(j, b.scales, &sc[j], &mn[j]);
  const __m256i mask = _mm256_set1_epi8(0x0F);
  for (int g = 0; g < 4; ++g) {
    const __m256i packed = load_residue_order(b.qs + 32 * g, shuffle);
    u->q[2 * g] = _mm256_and_si256(packed, mask);
    u->q[2 * g + 1] = _mm256_and_si256(_mm256_srli_epi16(packed, 4), mask);
    u->scales[g] = scale_pairs(sc[2 * g], sc[2 * g + 1], sc[2 * g], sc[2 * g + 1]);
  }
  for (int j = 0; j < 16; ++j) u->mins[j] = mn[j / 2];
}

/// Q5_K: Q4_K's nibbles plus bit 2 g (sub-block 2 g) or 2 g + 1 of qh[l] as bit 4.
inline void unpack_q5_k(const BlockQ5K& b, __m256i shuffle, UnpackedK4* u) {
  std::uint8_t sc[8];
  std::uint8_t mn[8];
  for (int j = 0; j < 8; ++j) unpack_scale_min_k4(j, b.scales, &sc[j], &mn[j]);
  const __m256i mask = _mm256_set1_epi8(0x0F);
  const __m256i bit4 = _mm256_set1_epi8(0x10);
  const __m256i qh = load_residue_order(b.qh, shuffle);
  for (int g = 0; g < 4; ++g) {
    const __m256i packed = load_residue_order(b.qs + 32 * g, shuffle);
    // Bit 2 g of qh moved to bit 4: shift left by 4 - 2 g (or right), then mask.
    const __m256i lo_bit =
        2 * g <= 4 ? _mm256_slli_epi16(qh, 4 - 2 * g) : _mm256_srli_epi16(qh, 2 * g - 4);
    const __m256i hi_bit =
        2 * g + 1 <= 4 ? _mm256_slli_epi16(qh, 3 - 2 * g) : _mm256_srli_epi16(qh, 2 * g - 3);
    u->q[2 * g] = _mm256_or_si256(_mm256_and_si256(packed, mask), _mm256_and_si256(lo_bit, bit4));
    u->q[2 * g + 1] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(packed, 4), mask),
                                      _mm256_and_si256(hi_bit, bit4));
    u->scales[g] = scale_pairs(sc[2 * g], sc[2 * g + 1], sc[2 * g], sc[2 * g + 1]);
  }
  for (int j = 0; j < 16; ++j) u->mins[j] = mn[j / 2];
}

/// The integer part of a Q4_K/Q5_K block against 8 residue-ordered Q8_K sub-blocks `a`:
/// lanes (residues 0..7) of sum scale * q * a, and sum bsums * mins.
inline __m256i k4_block_lanes(const UnpackedK4& u, const __m256i* a) {
  __m256i lo = _mm256_setzero_si256();
  __m256i hi = _mm256_setzero_si256();
  for (int g = 0; g < 4; ++g) {
    accumulate_scaled(residue_products(u.q[2 * g], a[2 * g]),
                      residue_products(u.q[2 * g + 1], a[2 * g + 1]), u.scales[g], &lo, &hi);
  }
  return residue_lanes(lo, hi);
}

/// sum over the 16 groups of bsums[j] * mins[j]: exact (|bsums| <= 2048, mins < 64).
inline int k4_min_term(const std::int16_t* mins, const std::int16_t* bsums) {
  const __m256i m = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(mins));
  const __m256i s = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bsums));
  return hsum_epi32(_mm256_madd_epi16(m, s));
}

/// A Q6_K weight block ready for dot products: 8 chunks of 32 unsigned 6-bit quants (chunk c
/// = elements 32 c..32 c + 31, sub-blocks 2 c and 2 c + 1) in residue-pair order, and the
/// scale patterns for chunk pairs (2 k, 2 k + 1).
struct UnpackedQ6K {
  __m256i q[8];
  __m256i scales[4];
};

inline void unpack_q6_k(const BlockQ6K& b, __m256i shuffle, UnpackedQ6K* u) {
  const __m256i mask = _mm256_set1_epi8(0x0F);
  const __m256i two = _mm256_set1_epi8(0x30);
  for (int h = 0; h < 2; ++h) {
    const __m256i ql0 = load_residue_order(b.ql + 64 * h, shuffle);
    const __m256i ql1 = load_residue_order(b.ql + 64 * h + 32, shuffle);
    const __m256i qh = load_residue_order(b.qh + 32 * h, shuffle);
    u->q[4 * h + 0] = _mm256_or_si256(_mm256_and_si256(ql0, mask),
                                      _mm256_and_si256(_mm256_slli_epi16(qh, 4), two));
    u->q[4 * h + 1] = _mm256_or_si256(_mm256_and_si256(ql1, mask),
                                      _mm256_and_si256(_mm256_slli_epi16(qh, 2), two));
    u->q[4 * h + 2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), mask),
                                      _mm256_and_si256(qh, two));
    u->q[4 * h + 3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), mask),
                                      _mm256_and_si256(_mm256_srli_epi16(qh, 2), two));
  }
  const std::int8_t* s = b.scales;
  for (int k = 0; k < 4; ++k) {
    // Chunk 2 k: sub-blocks 4 k (low half), 4 k + 1 (high half); chunk 2 k + 1: 4 k + 2, 4 k + 3.
    u->scales[k] = scale_pairs(s[4 * k], s[4 * k + 2], s[4 * k + 1], s[4 * k + 3]);
  }
}

/// 32 * (a[j] + a[j + 8]) per residue pair: the q - 32 offset term of Q6_K.
inline __m256i q6_offset(__m256i a) {
  return _mm256_maddubs_epi16(_mm256_set1_epi8(32), a);
}

/// The integer lanes of a Q6_K block against 8 residue-ordered Q8_K chunks `a` and their
/// q6_offset values `off`: sum scale * (q - 32) * a per residue (|per pair| <= 8192).
inline __m256i q6_k_block_lanes(const UnpackedQ6K& u, const __m256i* a, const __m256i* off) {
  __m256i lo = _mm256_setzero_si256();
  __m256i hi = _mm256_setzero_si256();
  for (int k = 0; k < 4; ++k) {
    const __m256i p0 = _mm256_sub_epi16(residue_products(u.q[2 * k], a[2 * k]), off[2 * k]);
    const __m256i p1 =
        _mm256_sub_epi16(residue_products(u.q[2 * k + 1], a[2 * k + 1]), off[2 * k + 1]);
    accumulate_scaled(p0, p1, u.scales[k], &lo, &hi);
  }
  return residue_lanes(lo, hi);
}

/// The 8 residue-ordered 32-byte chunks of a Q8_K block.
inline void load_q8_k(const BlockQ8K& b, __m256i shuffle, __m256i* a) {
  for (int c = 0; c < 8; ++c) a[c] = load_residue_order(b.qs + 32 * c, shuffle);
}

}  // namespace
}  // namespace r1::quant::x86
