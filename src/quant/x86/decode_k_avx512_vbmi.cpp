// Decode-sized K-quant products (1..4 tokens) with 512-bit VNNI and VBMI, one super-block of a
// weight row at a time, unpacked once and used for every token.
//
// The scalar reference adds each integer product into lane k % 8 (k the element index), and its
// float result depends on those 8 lane sums, so the integer work must keep residues apart.
// vpermb puts the weight bytes of each 32-element group in residue order (byte 4 m + i of a
// dword holds an element of residue m), the activations are permuted the same way once per
// token, vpmaddubsw adds pairs of one residue (one sub-block) into int16, and vpdpwssd scales
// each pair by its sub-block's scale and adds it into int32 lane m. The two 256-bit halves of
// the accumulator then add up to the reference's 8 lanes exactly, and the float update is the
// reference's, lane by lane.
// GCC 12's 512-bit intrinsics hand _mm512_undefined_* to the masked builtins they wrap, which
// -Wmaybe-uninitialized reports at every use.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstddef>
#include <vector>

#include "quant/x86/simd_kernels.h"

namespace r1::quant::x86 {
namespace {

constexpr std::ptrdiff_t kPrefetchBytes = 1024;

/// vpermb index: byte j of each 32-byte half gets element (j % 4) * 8 + (j % 32) / 4 of that
/// half's 32 elements; `half_offset` is added in the upper half (32 to read a 64-byte source's
/// second half, 0 to read the same 32 bytes twice).
__m512i residue_order(int half_offset) {
  alignas(64) std::int8_t idx[64];
  for (int j = 0; j < 64; ++j) {
    idx[j] = static_cast<std::int8_t>((j % 4) * 8 + (j % 32) / 4 + (j >= 32 ? half_offset : 0));
  }
  return _mm512_load_si512(idx);
}

/// Q6_K's order: 16-element sub-blocks s, s + 1 share a dword, bytes [s: m, m + 8, s + 1: m,
/// m + 8], so vpmaddubsw yields one int16 per (sub-block, residue) and vpdpwssd adds the two
/// sub-blocks' scaled pairs into lane m. Each 32-byte half covers 32 elements (2 sub-blocks);
/// `half_offset` as in residue_order (qh holds one byte per element pair 32 apart).
__m512i q6_order(int half_offset) {
  alignas(64) std::int8_t idx[64];
  for (int j = 0; j < 64; ++j) {
    const int m = (j % 32) / 4;
    const int i = j % 4;
    idx[j] = static_cast<std::int8_t>((j / 32) * half_offset + 16 * (i / 2) + 8 * (i % 2) + m);
  }
  return _mm512_load_si512(idx);
}

__m512i load_half(const void* p) {
  return _mm512_zextsi256_si512(_mm256_loadu_si256(static_cast<const __m256i*>(p)));
}

/// int16 words: sc[first + (w >= 16 ? upper : 0) + (w % 2) * pair_step] for w = 0..31, from
/// the 16-bit scales in the low words of `sc`.
__m512i spread_scales(__m512i sc, int first, int upper, int pair_step) {
  alignas(64) std::int16_t idx[32];
  for (int w = 0; w < 32; ++w) {
    idx[w] = static_cast<std::int16_t>(first + (w >= 16 ? upper : 0) + (w % 2) * pair_step);
  }
  return _mm512_permutexvar_epi16(_mm512_load_si512(idx), sc);
}

/// Float update of one block, the reference's: sums[l] += d * lanes[l], lanes being the sum of
/// the accumulator's two halves.
inline __m256 add_lanes(__m256 sums, __m512i acc, float d) {
  const __m256i lanes =
      _mm256_add_epi32(_mm512_castsi512_si256(acc), _mm512_extracti64x4_epi64(acc, 1));
  return _mm256_add_ps(sums, _mm256_mul_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(lanes)));
}

inline float finish(__m256 sums, float sumf) {
  alignas(32) float l[8];
  _mm256_store_ps(l, sums);
  for (float v : l) sumf += v;
  return sumf;
}

inline int hsum_epi32(__m128i v) {
  v = _mm_add_epi32(v, _mm_shuffle_epi32(v, _MM_SHUFFLE(1, 0, 3, 2)));
  v = _mm_add_epi32(v, _mm_shuffle_epi32(v, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(v);
}

// ---- Q4_K and Q5_K ----------------------------------------------------------------------

/// One token's Q8_K block for Q4_K/Q5_K: group g (elements 64 g..64 g + 63) in residue order
/// per 32-element sub-block, and the 8 sub-block sums (from bsums, as the reference uses them).
struct ActK4 {
  __m512i q[4];
  __m128i sub_sums;  // int16
  float d;
};

void prepare_k4(const BlockQ8K* a, std::int64_t nb, ActK4* out) {
  const __m512i order = residue_order(32);
  for (std::int64_t i = 0; i < nb; ++i) {
    for (int g = 0; g < 4; ++g) {
      out[i].q[g] = _mm512_permutexvar_epi8(order, _mm512_loadu_si512(a[i].qs + 64 * g));
    }
    const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[i].bsums));
    // Adjacent bsums pairs: |sum| <= 32 * 128, exact in int16.
    const __m256i pairs = _mm256_madd_epi16(bs, _mm256_set1_epi16(1));
    out[i].sub_sums = _mm256_cvtepi32_epi16(pairs);
    out[i].d = a[i].d;
  }
}

/// The 8 6-bit scales (bytes 0-7) and mins (bytes 8-15) of Q4_K/Q5_K's 12 packed bytes, as
/// unpack_scale_min_k4 gives them. Reads 16 bytes: the 4 after the scales are the block's qs.
inline __m128i unpack_scales_mins(const std::uint8_t* packed) {
  const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(packed));
  // low: scales 0-3 from bytes 0-3, scales 4-7 from bytes 8-11 (low nibbles), mins 0-3 from
  // bytes 4-7, mins 4-7 from bytes 8-11 (high nibbles); top: the 2 high bits for j >= 4.
  const __m128i low = _mm_shuffle_epi8(q, _mm_setr_epi8(0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 8, 9, 10, 11));
  const __m128i top = _mm_shuffle_epi8(q, _mm_setr_epi8(-1, -1, -1, -1, 0, 1, 2, 3, -1, -1, -1, -1, 4, 5, 6, 7));
  const __m128i m6 = _mm_setr_epi8(63, 63, 63, 63, 15, 15, 15, 15, 63, 63, 63, 63, 0, 0, 0, 0);
  const __m128i hi_nibble = _mm_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 15, 15, 15, 15);
  const __m128i r = _mm_or_si128(_mm_and_si128(low, m6),
                                 _mm_and_si128(_mm_srli_epi16(low, 4), hi_nibble));
  return _mm_or_si128(r, _mm_and_si128(_mm_srli_epi16(top, 2), _mm_set1_epi8(0x30)));
}

/// Q4_K's 4 groups, unpacked: group g's low nibbles (sub-block 2 g) in the lower half, its high
/// nibbles (sub-block 2 g + 1) in the upper, both in residue order.
struct WeightsK4 {
  __m512i q[4];
  __m512i scales[4];  // int16: sub-block 2 g's scale in the lower half, 2 g + 1's in the upper
  __m128i mins;       // int16
  float d, dmin;
};

template <typename Block>
inline void unpack_common(const Block& b, WeightsK4* u) {
  const __m128i sm = unpack_scales_mins(b.scales);
  const __m512i sc = _mm512_zextsi128_si512(_mm_cvtepu8_epi16(sm));
  for (int g = 0; g < 4; ++g) u->scales[g] = spread_scales(sc, 2 * g, 1, 0);
  u->mins = _mm_cvtepu8_epi16(_mm_srli_si128(sm, 8));
  u->d = _cvtsh_ss(b.d);
  u->dmin = _cvtsh_ss(b.dmin);
}

inline void unpack_k4(const BlockQ4K& b, __m512i order, WeightsK4* u) {
  const __m512i nibble_shift = _mm512_set_epi64(0x0004000400040004, 0x0004000400040004,
                                                0x0004000400040004, 0x0004000400040004, 0, 0, 0, 0);
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  for (int g = 0; g < 4; ++g) {
    const __m512i q = _mm512_permutexvar_epi8(order, load_half(b.qs + 32 * g));
    u->q[g] = _mm512_and_si512(_mm512_srlv_epi16(q, nibble_shift), low4);
  }
  unpack_common(b, u);
}

/// Q5_K: bit 2 g (lower half) or 2 g + 1 (upper half) of qh[l] becomes bit 4; qh's bytes are
/// indexed by l like qs's, so the same permutation lines them up.
inline void unpack_k4(const BlockQ5K& b, __m512i order, WeightsK4* u) {
  const __m512i nibble_shift = _mm512_set_epi64(0x0004000400040004, 0x0004000400040004,
                                                0x0004000400040004, 0x0004000400040004, 0, 0, 0, 0);
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  const __m512i bit4 = _mm512_set1_epi8(0x10);
  const __m512i qh = _mm512_permutexvar_epi8(order, load_half(b.qh));
  // 16-bit shifts by at most 4 keep the selected bit inside its byte.
  const auto counts = [](int lo, int hi) {
    return _mm512_inserti64x4(_mm512_set1_epi16(static_cast<short>(lo)),
                              _mm256_set1_epi16(static_cast<short>(hi)), 1);
  };
  const __m512i high[4] = {_mm512_sllv_epi16(qh, counts(4, 3)), _mm512_sllv_epi16(qh, counts(2, 1)),
                           _mm512_srlv_epi16(qh, counts(0, 1)), _mm512_srlv_epi16(qh, counts(2, 3))};
  for (int g = 0; g < 4; ++g) {
    const __m512i q = _mm512_permutexvar_epi8(order, load_half(b.qs + 32 * g));
    const __m512i low = _mm512_and_si512(_mm512_srlv_epi16(q, nibble_shift), low4);
    u->q[g] = _mm512_ternarylogic_epi32(low, high[g], bit4, 0xF8);  // low | (high & bit4)
  }
  unpack_common(b, u);
}

template <typename Block, int T>
void decode_k4(const Block* w, std::int64_t n_rows, std::int64_t nb, const BlockQ8K* a, float* y,
               std::int64_t y_stride) {
  thread_local std::vector<ActK4> acts;
  acts.resize(static_cast<std::size_t>(T * nb));
  for (int t = 0; t < T; ++t) prepare_k4(a + t * nb, nb, acts.data() + t * nb);
  const __m512i order = residue_order(0);
  for (std::int64_t r = 0; r < n_rows; ++r) {
    const Block* row = w + r * nb;
    __m256 sums[T];
    float sumf[T];
    for (int t = 0; t < T; ++t) {
      sums[t] = _mm256_setzero_ps();
      sumf[t] = 0.0f;
    }
    for (std::int64_t i = 0; i < nb; ++i) {
      const char* next = reinterpret_cast<const char*>(row + i) + kPrefetchBytes;
      for (std::size_t off = 0; off < sizeof(Block); off += 64) _mm_prefetch(next + off, _MM_HINT_T0);
      WeightsK4 u;
      unpack_k4(row[i], order, &u);
      for (int t = 0; t < T; ++t) {
        const ActK4& ap = acts[t * nb + i];
        __m512i acc = _mm512_setzero_si512();
        for (int g = 0; g < 4; ++g) {
          acc = _mm512_dpwssd_epi32(acc, _mm512_maddubs_epi16(u.q[g], ap.q[g]), u.scales[g]);
        }
        const int sumi = hsum_epi32(_mm_madd_epi16(u.mins, ap.sub_sums));
        sums[t] = add_lanes(sums[t], acc, u.d * ap.d);
        const float dmin = u.dmin * ap.d;
        sumf[t] -= dmin * static_cast<float>(sumi);
      }
    }
    for (int t = 0; t < T; ++t) y[t * y_stride + r] = finish(sums[t], sumf[t]);
  }
}

// ---- Q6_K -------------------------------------------------------------------------------

/// One token's Q8_K block for Q6_K: 64-element chunk c in q6_order, and 32 * (each int16 pair
/// sum) for the q - 32 offset.
struct ActQ6 {
  __m512i q[4];
  __m512i offset[4];
  float d;
};

void prepare_q6(const BlockQ8K* a, std::int64_t nb, ActQ6* out) {
  const __m512i order = q6_order(32);
  for (std::int64_t i = 0; i < nb; ++i) {
    for (int c = 0; c < 4; ++c) {
      out[i].q[c] = _mm512_permutexvar_epi8(order, _mm512_loadu_si512(a[i].qs + 64 * c));
      out[i].offset[c] = _mm512_maddubs_epi16(_mm512_set1_epi8(32), out[i].q[c]);
    }
    out[i].d = a[i].d;
  }
}

template <int T>
void decode_q6(const BlockQ6K* w, std::int64_t n_rows, std::int64_t nb, const BlockQ8K* a,
               float* y, std::int64_t y_stride) {
  thread_local std::vector<ActQ6> acts;
  acts.resize(static_cast<std::size_t>(T * nb));
  for (int t = 0; t < T; ++t) prepare_q6(a + t * nb, nb, acts.data() + t * nb);
  const __m512i order = q6_order(32);
  const __m512i qh_order = q6_order(0);
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  const __m512i two = _mm512_set1_epi8(0x30);
  const auto counts = [](int lo, int hi) {
    return _mm512_inserti64x4(_mm512_set1_epi16(static_cast<short>(lo)),
                              _mm256_set1_epi16(static_cast<short>(hi)), 1);
  };
  const __m512i shift_a = counts(4, 2);  // qh bits 0-1 (lower half), 2-3 (upper) to bits 4-5
  const __m512i shift_b = counts(0, 2);  // qh bits 4-5 (lower half), 6-7 (upper) to bits 4-5
  for (std::int64_t r = 0; r < n_rows; ++r) {
    const BlockQ6K* row = w + r * nb;
    __m256 sums[T];
    for (int t = 0; t < T; ++t) sums[t] = _mm256_setzero_ps();
    for (std::int64_t i = 0; i < nb; ++i) {
      const BlockQ6K& b = row[i];
      const char* next = reinterpret_cast<const char*>(row + i) + kPrefetchBytes;
      for (std::size_t off = 0; off < sizeof(BlockQ6K); off += 64) _mm_prefetch(next + off, _MM_HINT_T0);
      // Chunk 2 h: elements 128 h..128 h + 63 (low nibbles of ql + 64 h, qh fields 0 and 1);
      // chunk 2 h + 1: the next 64 (high nibbles, qh fields 2 and 3).
      __m512i q[4];
      for (int h = 0; h < 2; ++h) {
        const __m512i ql = _mm512_permutexvar_epi8(order, _mm512_loadu_si512(b.ql + 64 * h));
        const __m512i qh = _mm512_permutexvar_epi8(qh_order, load_half(b.qh + 32 * h));
        q[2 * h] = _mm512_ternarylogic_epi32(_mm512_and_si512(ql, low4),
                                             _mm512_sllv_epi16(qh, shift_a), two, 0xF8);
        q[2 * h + 1] = _mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_srli_epi16(ql, 4), low4),
                                                 _mm512_srlv_epi16(qh, shift_b), two, 0xF8);
      }
      // Chunk c: sub-blocks 4 c, 4 c + 1 in the lower half, 4 c + 2, 4 c + 3 in the upper.
      const __m512i sc = _mm512_zextsi256_si512(
          _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales))));
      __m512i scales[4];
      for (int c = 0; c < 4; ++c) scales[c] = spread_scales(sc, 4 * c, 2, 1);
      const float d = _cvtsh_ss(b.d);
      for (int t = 0; t < T; ++t) {
        const ActQ6& ap = acts[t * nb + i];
        __m512i acc = _mm512_setzero_si512();
        for (int c = 0; c < 4; ++c) {
          const __m512i p = _mm512_sub_epi16(_mm512_maddubs_epi16(q[c], ap.q[c]), ap.offset[c]);
          acc = _mm512_dpwssd_epi32(acc, p, scales[c]);
        }
        sums[t] = add_lanes(sums[t], acc, d * ap.d);
      }
    }
    for (int t = 0; t < T; ++t) y[t * y_stride + r] = finish(sums[t], 0.0f);
  }
}

template <typename Block>
void dispatch_k4(const Block* w, std::int64_t n_rows, std::int64_t nb, const BlockQ8K* a,
                 std::int64_t n_tokens, float* y, std::int64_t ys) {
  switch (n_tokens) {
    case 1: return decode_k4<Block, 1>(w, n_rows, nb, a, y, ys);
    case 2: return decode_k4<Block, 2>(w, n_rows, nb, a, y, ys);
    case 3: return decode_k4<Block, 3>(w, n_rows, nb, a, y, ys);
    default: return decode_k4<Block, 4>(w, n_rows, nb, a, y, ys);
  }
}

}  // namespace

void decode_q4_k_avx512_vbmi(const BlockQ4K* w, std::int64_t n_rows, std::int64_t nb,
                             const BlockQ8K* a, std::int64_t n_tokens, float* y,
                             std::int64_t y_stride) {
  dispatch_k4(w, n_rows, nb, a, n_tokens, y, y_stride);
}

void decode_q5_k_avx512_vbmi(const BlockQ5K* w, std::int64_t n_rows, std::int64_t nb,
                             const BlockQ8K* a, std::int64_t n_tokens, float* y,
                             std::int64_t y_stride) {
  dispatch_k4(w, n_rows, nb, a, n_tokens, y, y_stride);
}

void decode_q6_k_avx512_vbmi(const BlockQ6K* w, std::int64_t n_rows, std::int64_t nb,
                             const BlockQ8K* a, std::int64_t n_tokens, float* y,
                             std::int64_t y_stride) {
  switch (n_tokens) {
    case 1: return decode_q6<1>(w, n_rows, nb, a, y, y_stride);
    case 2: return decode_q6<2>(w, n_rows, nb, a, y, y_stride);
    case 3: return decode_q6<3>(w, n_rows, nb, a, y, y_stride);
    default: return decode_q6<4>(w, n_rows, nb, a, y, y_stride);
  }
}

}  // namespace r1::quant::x86
