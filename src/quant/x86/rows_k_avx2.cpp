// AVX2 Q4_K, Q5_K and Q6_K products for decode-sized batches (gemm.h), one weight row at a time
// against up to 4 tokens. Each block's quants are unpacked in registers and used at once for
// every token, and each super-block's integer sums (exact in int32) go into the row's 8 float
// lanes with one multiply and add: the float order of ggml's own SIMD code, not its scalar
// reference's (8 partial sums per row, one per residue), so the outputs agree with the reference
// to float rounding rather than bit for bit (the tiles of gemm_avx2.cpp keep the reference's
// order at 2-4x the cost, which made decode compute-bound on AVX2).
//
// Per block and token: pmaddubsw of the unsigned quants with the int8 activations (pairs,
// int16, no saturation: 31 * 127 * 2 for q4_k / q5_k, 63 * 127 * 2 for q6_k), pmaddwd with the
// sub-block's scale broadcast to every lane (shuffled from the block's scale vector), summed in
// int32. The mins term of q4_k / q5_k (dmin * sum_j min_j * sum of the token's sub-block j) and
// q6_k's offset (32 * sum_j scale_j * sum of the token's group j) come from Q8_K's bsums.
#include <vector>

#include "quant/x86/avx2_common.h"
#include "quant/x86/rows_common.h"
#include "quant/x86/simd_kernels.h"

namespace r1::quant::x86 {
namespace {

/// pshufb mask that broadcasts int16 lane j (of a 128-bit half) to every lane of the half.
inline __m256i broadcast_word_mask(int j) {
  return _mm256_set1_epi16(static_cast<short>((2 * j) | ((2 * j + 1) << 8)));
}

/// The 6-bit scales and mins of a Q4_K / Q5_K block (12 bytes: for j < 4, scale j = s[j] & 63
/// and min j = s[j + 4] & 63; for j >= 4 the low 4 bits come from s[j + 4] (scale: low nibble,
/// min: high nibble) and the top 2 from bits 6-7 of s[j - 4] / s[j]), 4 per 32-bit word.
struct ScalesMins {
  __m128i scales16;  // int16 lanes 0..7: scale j
  __m128i mins16;    // int16 lanes 0..7: min j
};

inline ScalesMins unpack_scales_mins(const std::uint8_t* s) {
  std::uint32_t a, b, c;
  __builtin_memcpy(&a, s, 4);
  __builtin_memcpy(&b, s + 4, 4);
  __builtin_memcpy(&c, s + 8, 4);
  const std::uint32_t scale_lo = a & 0x3F3F3F3Fu;
  const std::uint32_t scale_hi = (c & 0x0F0F0F0Fu) | ((a >> 2) & 0x30303030u);
  const std::uint32_t min_lo = b & 0x3F3F3F3Fu;
  const std::uint32_t min_hi = ((c >> 4) & 0x0F0F0F0Fu) | ((b >> 2) & 0x30303030u);
  const __m128i bytes = _mm_set_epi32(static_cast<int>(min_hi), static_cast<int>(min_lo),
                                      static_cast<int>(scale_hi), static_cast<int>(scale_lo));
  return {_mm_cvtepu8_epi16(bytes), _mm_cvtepu8_epi16(_mm_srli_si128(bytes, 8))};
}

/// Per token: the 8 sub-block sums of its Q8_K block (bsums pairs), int16 (|sum| <= 32 * 128).
inline __m128i sub_block_sums(const BlockQ8K& a) {
  const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.bsums));
  const __m256i pairs = _mm256_madd_epi16(b, _mm256_set1_epi16(1));  // 8 int32
  return _mm_packs_epi32(_mm256_castsi256_si128(pairs), _mm256_extracti128_si256(pairs, 1));
}

/// Q4_K / Q5_K: group g's two sub-blocks (2 g: low nibbles, 2 g + 1: high nibbles, plus the
/// 5th bits for Q5_K) as unsigned bytes in element order.
struct K4Group {
  __m256i lo, hi;
};

inline K4Group q4_k_group(const BlockQ4K& b, int g) {
  const __m256i packed = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs + 32 * g));
  const __m256i mask = _mm256_set1_epi8(0x0F);
  return {_mm256_and_si256(packed, mask), _mm256_and_si256(_mm256_srli_epi16(packed, 4), mask)};
}

inline K4Group q5_k_group(const BlockQ5K& b, int g, __m256i qh) {
  const __m256i packed = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs + 32 * g));
  const __m256i mask = _mm256_set1_epi8(0x0F);
  const __m256i one = _mm256_set1_epi8(1);
  // Bit 2 g (2 g + 1) of each qh byte to bit 4: a 16-bit shift right keeps bit s of each byte
  // at its bit 0 for s < 8, the mask drops what came from the neighbour, the shift left by 4
  // cannot cross a byte.
  const __m256i lo5 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * g), one), 4);
  const __m256i hi5 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * g + 1), one), 4);
  return {_mm256_or_si256(_mm256_and_si256(packed, mask), lo5),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(packed, 4), mask), hi5)};
}

template <typename Block>
inline K4Group k4_group(const Block& b, int g, __m256i qh);
template <>
inline K4Group k4_group(const BlockQ4K& b, int g, __m256i) {
  return q4_k_group(b, g);
}
template <>
inline K4Group k4_group(const BlockQ5K& b, int g, __m256i qh) {
  return q5_k_group(b, g, qh);
}

template <typename Block>
inline __m256i k4_high_bits(const Block&) {
  return _mm256_setzero_si256();
}
template <>
inline __m256i k4_high_bits(const BlockQ5K& b) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qh));
}

/// One Q4_K / Q5_K row against T tokens (a[t] its Q8_K blocks, sums[t] their sub_block_sums).
template <typename Block, int T>
void k4_row(const Block* w, std::int64_t nb, const BlockQ8K* const* a,
            const std::int16_t* const* sums, float* out) {
  __m256 acc[T];
  __m128 acc_min[T];
  for (int t = 0; t < T; ++t) {
    acc[t] = _mm256_setzero_ps();
    acc_min[t] = _mm_setzero_ps();
  }
  for (std::int64_t i = 0; i < nb; ++i) {
    const Block& b = w[i];
    const ScalesMins sm = unpack_scales_mins(b.scales);
    const __m256i scales = _mm256_broadcastsi128_si256(sm.scales16);
    const __m256i qh = k4_high_bits(b);
    __m256i sumi[T];
    for (int t = 0; t < T; ++t) sumi[t] = _mm256_setzero_si256();
    for (int g = 0; g < 4; ++g) {
      const K4Group q = k4_group(b, g, qh);
      const __m256i scale_lo = _mm256_shuffle_epi8(scales, broadcast_word_mask(2 * g));
      const __m256i scale_hi = _mm256_shuffle_epi8(scales, broadcast_word_mask(2 * g + 1));
      for (int t = 0; t < T; ++t) {
        const auto* qs = a[t][i].qs + 64 * g;
        const __m256i y_lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs));
        const __m256i y_hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs + 32));
        const __m256i p_lo = _mm256_madd_epi16(_mm256_maddubs_epi16(q.lo, y_lo), scale_lo);
        const __m256i p_hi = _mm256_madd_epi16(_mm256_maddubs_epi16(q.hi, y_hi), scale_hi);
        sumi[t] = _mm256_add_epi32(sumi[t], _mm256_add_epi32(p_lo, p_hi));
      }
    }
    const float d = f16(b.d);
    const float dmin = f16(b.dmin);
    for (int t = 0; t < T; ++t) {
      const float ad = a[t][i].d;
      acc[t] =
          _mm256_add_ps(acc[t], _mm256_mul_ps(_mm256_set1_ps(d * ad), _mm256_cvtepi32_ps(sumi[t])));
      const __m128i sub_sums = _mm_loadu_si128(reinterpret_cast<const __m128i*>(sums[t] + 8 * i));
      const __m128i mins = _mm_madd_epi16(sm.mins16, sub_sums);
      acc_min[t] =
          _mm_add_ps(acc_min[t], _mm_mul_ps(_mm_set1_ps(dmin * ad), _mm_cvtepi32_ps(mins)));
    }
  }
  for (int t = 0; t < T; ++t) out[t] = hsum_ps(acc[t]) - hsum_ps(acc_min[t]);
}

/// Q6_K chunks 4 h .. 4 h + 3 (elements 128 h .. 128 h + 127) as unsigned 6-bit values in element
/// order: chunk 4 h + j from the low (j < 2) or high nibbles of ql's 32 bytes 64 h + 32 (j % 2)
/// and bits 2 j, 2 j + 1 of qh's 32 bytes 32 h.
inline void q6_k_half(const BlockQ6K& b, int h, __m256i* q) {
  const __m256i mask = _mm256_set1_epi8(0x0F);
  const __m256i two = _mm256_set1_epi8(0x30);
  const __m256i ql0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.ql + 64 * h));
  const __m256i ql1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.ql + 64 * h + 32));
  const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qh + 32 * h));
  q[0] =
      _mm256_or_si256(_mm256_and_si256(ql0, mask), _mm256_and_si256(_mm256_slli_epi16(qh, 4), two));
  q[1] =
      _mm256_or_si256(_mm256_and_si256(ql1, mask), _mm256_and_si256(_mm256_slli_epi16(qh, 2), two));
  q[2] =
      _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), mask), _mm256_and_si256(qh, two));
  q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), mask),
                         _mm256_and_si256(_mm256_srli_epi16(qh, 2), two));
}

/// pshufb mask for Q6_K chunk c % 4 on a vector holding scales 8 * (c / 4) .. + 7 in both
/// halves (int16): the low half gets scale 2 (c % 4), the high half scale 2 (c % 4) + 1.
inline __m256i q6_scale_mask(int c) {
  const int j = 2 * (c % 4);
  const auto word = [](int k) { return static_cast<short>((2 * k) | ((2 * k + 1) << 8)); };
  const __m128i lo = _mm_set1_epi16(word(j));
  const __m128i hi = _mm_set1_epi16(word(j + 1));
  return _mm256_set_m128i(hi, lo);
}

/// One Q6_K row against T tokens: sum over chunks of scale * q * y, minus 32 * sum_j scale_j *
/// bsums_j, per block in int32.
template <int T>
void q6_k_row(const BlockQ6K* w, std::int64_t nb, const BlockQ8K* const* a, float* out) {
  __m256 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  for (std::int64_t i = 0; i < nb; ++i) {
    const BlockQ6K& b = w[i];
    const __m256i scales16 =
        _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales)));
    const __m256i first8 = _mm256_permute2x128_si256(scales16, scales16, 0x00);
    const __m256i last8 = _mm256_permute2x128_si256(scales16, scales16, 0x11);
    __m256i sumi[T];
    for (int t = 0; t < T; ++t) {
      // The offset: 32 * sum_j scale_j * bsums_j (|each product| <= 128 * 4096).
      const __m256i bsums = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[t][i].bsums));
      sumi[t] = _mm256_sub_epi32(_mm256_setzero_si256(),
                                 _mm256_slli_epi32(_mm256_madd_epi16(scales16, bsums), 5));
    }
    for (int h = 0; h < 2; ++h) {
      __m256i q[4];  // a half at a time: fewer registers live than the whole block's 8 chunks
      q6_k_half(b, h, q);
      for (int j = 0; j < 4; ++j) {
        const int c = 4 * h + j;
        const __m256i scale = _mm256_shuffle_epi8(h == 0 ? first8 : last8, q6_scale_mask(c));
        for (int t = 0; t < T; ++t) {
          const __m256i y =
              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[t][i].qs + 32 * c));
          sumi[t] =
              _mm256_add_epi32(sumi[t], _mm256_madd_epi16(_mm256_maddubs_epi16(q[j], y), scale));
        }
      }
    }
    const float d = f16(b.d);
    for (int t = 0; t < T; ++t) {
      acc[t] = _mm256_add_ps(
          acc[t], _mm256_mul_ps(_mm256_set1_ps(d * a[t][i].d), _mm256_cvtepi32_ps(sumi[t])));
    }
  }
  for (int t = 0; t < T; ++t) out[t] = hsum_ps(acc[t]);
}

template <typename Block>
void k4_rows(const Block* w, std::int64_t n_rows, std::int64_t nb, const BlockQ8K* a,
             std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  thread_local std::vector<std::int16_t> sums;  // 8 per block of every token
  sums.resize(static_cast<std::size_t>(n_tokens * nb * 8));
  for (std::int64_t t = 0; t < n_tokens; ++t) {
    for (std::int64_t i = 0; i < nb; ++i) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(sums.data() + (t * nb + i) * 8),
                       sub_block_sums(a[t * nb + i]));
    }
  }
  for_token_groups<kRowGroupTokens>(
      n_rows, n_tokens, y, y_stride, [&](std::int64_t r, std::int64_t t0, int n, float* out) {
        const BlockQ8K* toks[kRowGroupTokens];
        const std::int16_t* s[kRowGroupTokens];
        for (int t = 0; t < n; ++t) {
          toks[t] = a + (t0 + t) * nb;
          s[t] = sums.data() + (t0 + t) * nb * 8;
        }
        with_token_count(n,
                         [&](auto count) { k4_row<Block, count()>(w + r * nb, nb, toks, s, out); });
      });
}

}  // namespace

void rows_q4_k_avx2(const BlockQ4K* w, std::int64_t n_rows, std::int64_t nb, const BlockQ8K* a,
                    std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  k4_rows(w, n_rows, nb, a, n_tokens, y, y_stride);
}

void rows_q5_k_avx2(const BlockQ5K* w, std::int64_t n_rows, std::int64_t nb, const BlockQ8K* a,
                    std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  k4_rows(w, n_rows, nb, a, n_tokens, y, y_stride);
}

void rows_q6_k_avx2(const BlockQ6K* w, std::int64_t n_rows, std::int64_t nb, const BlockQ8K* a,
                    std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  for_token_groups<kRowGroupTokens>(
      n_rows, n_tokens, y, y_stride, [&](std::int64_t r, std::int64_t t0, int n, float* out) {
        const BlockQ8K* toks[kRowGroupTokens];
        for (int t = 0; t < n; ++t) toks[t] = a + (t0 + t) * nb;
        with_token_count(n, [&](auto count) { q6_k_row<count()>(w + r * nb, nb, toks, out); });
      });
}

}  // namespace r1::quant::x86
