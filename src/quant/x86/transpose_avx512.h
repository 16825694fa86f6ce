// Register transposes for the rows-along-lanes kernels (AVX512F; include from files compiled
// for AVX-512 only).
#pragma once

#include <immintrin.h>

namespace r1::quant::x86 {

/// 16 rows x 8 dwords to 8 vectors of 16 lanes. z[i] holds row i's 8 dwords in its lower 256
/// bits and row i + 8's in its upper 256 bits; out[q] gets dword q of rows 0..15, lane r = row r.
inline void transpose_16x8_dwords(const __m512i* z, __m512i* out) {
  // Each 256-bit half holds 8 rows x 8 dwords (rows i and i + 8): transpose both halves.
  __m512i a[8], c[8];
  for (int i = 0; i < 4; ++i) {
    a[2 * i] = _mm512_unpacklo_epi32(z[2 * i], z[2 * i + 1]);
    a[2 * i + 1] = _mm512_unpackhi_epi32(z[2 * i], z[2 * i + 1]);
  }
  // c[0..3]: dword {0,1,2,3} (and {4,5,6,7} in odd 128-bit lanes) of rows 0-3 | 8-11;
  // c[4..7]: the same for rows 4-7 | 12-15.
  for (int h = 0; h < 2; ++h) {
    const __m512i* s = a + 4 * h;
    c[4 * h + 0] = _mm512_unpacklo_epi64(s[0], s[2]);
    c[4 * h + 1] = _mm512_unpackhi_epi64(s[0], s[2]);
    c[4 * h + 2] = _mm512_unpacklo_epi64(s[1], s[3]);
    c[4 * h + 3] = _mm512_unpackhi_epi64(s[1], s[3]);
  }
  // Output q < 4 takes the even 128-bit lanes of c[q] and c[q + 4], q >= 4 the odd ones, in
  // row order 0-3, 4-7, 8-11, 12-15.
  const __m512i even = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13);
  const __m512i odd = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
  for (int q = 0; q < 4; ++q) {
    out[q] = _mm512_permutex2var_epi64(c[q], even, c[q + 4]);
    out[q + 4] = _mm512_permutex2var_epi64(c[q], odd, c[q + 4]);
  }
}

/// The inverse of transpose_16x8_dwords: v[q] holds dword q of rows 0..15 (lane r = row r);
/// for m < 4, rows[m] gets rows m (low 256 bits) and m + 4 (high 256 bits), rows[4 + m] rows
/// m + 8 and m + 12 (each row's 8 dwords in order).
inline void untranspose_8x16_dwords(const __m512i* v, __m512i* rows) {
  __m512i t[8], u[8];
  for (int k = 0; k < 4; ++k) {
    t[2 * k] = _mm512_unpacklo_epi32(v[2 * k], v[2 * k + 1]);
    t[2 * k + 1] = _mm512_unpackhi_epi32(v[2 * k], v[2 * k + 1]);
  }
  // u[m] (m < 4), 128-bit lane L: dwords 0..3 of row 4 L + m; u[4 + m]: its dwords 4..7.
  for (int h = 0; h < 2; ++h) {
    const __m512i* s = t + 4 * h;
    u[4 * h + 0] = _mm512_unpacklo_epi64(s[0], s[2]);
    u[4 * h + 1] = _mm512_unpackhi_epi64(s[0], s[2]);
    u[4 * h + 2] = _mm512_unpacklo_epi64(s[1], s[3]);
    u[4 * h + 3] = _mm512_unpackhi_epi64(s[1], s[3]);
  }
  const __m512i first_halves = _mm512_setr_epi64(0, 1, 8, 9, 2, 3, 10, 11);
  const __m512i second_halves = _mm512_setr_epi64(4, 5, 12, 13, 6, 7, 14, 15);
  for (int m = 0; m < 4; ++m) {
    rows[m] = _mm512_permutex2var_epi64(u[m], first_halves, u[4 + m]);
    rows[4 + m] = _mm512_permutex2var_epi64(u[m], second_halves, u[4 + m]);
  }
}

}  // namespace r1::quant::x86
