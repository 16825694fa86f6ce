// q4_k and q5_k products on the repacked layout (quant/packed_k.h) with AVX2 and FMA, one lane per
// weight row as the AVX-512 VBMI kernels (batch_q4_k_q5_k_avx512_vbmi.cpp), each 64-byte vector of
// a block taken as two halves of 8 rows.
//
// Dword r of a residue vector m of qs group k holds row r's bytes m, m + 8, m + 16, m + 24 of the
// group: 4 elements of sub-block 2 k (low nibbles) and 4 of sub-block 2 k + 1 (high nibbles).
// Each token's activations are put once per call into the same residue order, so one dword
// broadcast pairs with a whole residue vector: per token, half and residue vector, 2 pmaddubsw.
// The 8 residues of a q4_k sub-block add up in int16 (each pair <= 2 * 15 * 128, all 8 <= 30720:
// exact), q5_k's 4 at a time (2 * 31 * 128 * 4 = 31744), and one pmaddwd with the rows' sub-block
// scale (as an int16 pair) widens them into the block's int32 sum. The mins term is 4 pmaddwd of
// the rows' mins with the activation's sub-block sums (from Q8_K's bsums), and each super-block's
// two exact integer sums reach the row's float sum with one FMA each (d * a.d * sumi - dmin *
// a.d * mins, as the VBMI kernels): within float rounding of the reference, not bit for bit
// (ggml's own SIMD kernels add in this order too).
//
// Per 8 rows, super-block and token that is 64 pmaddubsw and 12 pmaddwd where the row kernels
// (rows_k_avx2.cpp) spend 64 and 64, and the scales are unpacked once for 8 rows, with no
// horizontal sums. One token (decode) takes both halves in one pass (block_one_token), so each
// broadcast serves 16 rows. This core (Zen 1: one pipe for the integer multiplies, which the
// adds and ands share) runs a pmaddubsw every 2 cycles at best; the kernels run at about 3.5.
#include <immintrin.h>

#include <algorithm>
#include <cstddef>
#include <vector>

#include "quant/blocks.h"
#include "quant/packed_k.h"
#include "quant/x86/avx2_common.h"
#include "quant/x86/q8_k_sub_sums.h"
#include "quant/x86/simd_kernels.h"

namespace r1::quant::x86 {
namespace {

constexpr int kSubBlocks = 8;  // of 32 elements
constexpr int kResidues = 8;
constexpr std::int64_t kMaxPassTokens = 16;      // tokens per pass over a group (it stays in cache)
constexpr int kTokensInRegisters = 3;            // 3 accumulators each, with the weights' 5 in 16
constexpr std::ptrdiff_t kPrefetchBytes = 8192;  // ahead of the group's stream, into L1

/// One token's Q8_K block, prepared once per call: dword 8 j + m of q holds the 4 activation bytes
/// of sub-block j's residue m (qs[32 j + m + 8 i], i = 0..3), the order of the weights' residue
/// vectors; dword p of sub_sums the int16 sums of sub-blocks 2 p and 2 p + 1 (from bsums; |sum|
/// <= 32 * 128 fits).
struct Token {
  std::int32_t q[kSubBlocks * kResidues];
  std::int32_t sub_sums[4];
  float d;
};

void prepare_tokens(const BlockQ8K* a, std::int64_t n, Token* out) {
  for (std::int64_t i = 0; i < n; ++i) {
    for (int j = 0; j < kSubBlocks; ++j) {
      const auto* qs = reinterpret_cast<const __m128i*>(a[i].qs + 32 * j);
      const __m128i lo = _mm_loadu_si128(qs), hi = _mm_loadu_si128(qs + 1);
      // words m: (byte m, byte m + 8), then (16 + m, 24 + m); interleaved into dwords m.
      const __m128i near = _mm_unpacklo_epi8(lo, _mm_srli_si128(lo, 8));
      const __m128i far = _mm_unpacklo_epi8(hi, _mm_srli_si128(hi, 8));
      auto* q = reinterpret_cast<__m128i*>(out[i].q + kResidues * j);
      _mm_storeu_si128(q, _mm_unpacklo_epi16(near, far));
      _mm_storeu_si128(q + 1, _mm_unpackhi_epi16(near, far));
    }
    q8_k_sub_sum_pairs(a[i], out[i].sub_sums);
    out[i].d = a[i].d;
  }
}

/// Where a packed block's segments lie (bytes from the block's start).
struct Positions {
  std::ptrdiff_t head;   // d, dmin and the 12 scale bytes (bytes16)
  std::ptrdiff_t qs[4];  // the residue vectors of qs group k
  std::ptrdiff_t qh;     // q5_k: the residue vectors of qh
};

Positions positions_of(QuantType type) {
  Positions p{};
  const bool q5 = type == QuantType::q5_k;
  const std::int32_t qs = q5 ? offsetof(BlockQ5K, qs) : offsetof(BlockQ4K, qs);
  p.head = static_cast<std::ptrdiff_t>(packed_k_segment_position(type, 0));
  for (int k = 0; k < 4; ++k)
    p.qs[k] = static_cast<std::ptrdiff_t>(packed_k_segment_position(type, qs + 32 * k));
  if (q5)
    p.qh = static_cast<std::ptrdiff_t>(packed_k_segment_position(type, offsetof(BlockQ5K, qh)));
  return p;
}

/// pshufb index: in every dword k of a 128-bit lane, bytes 4 k + a and 4 k + b as int16s.
__m256i pick_pair(int a, int b) {
  alignas(32) std::int8_t idx[32];
  for (int j = 0; j < 32; ++j) {
    const int base = 4 * ((j % 16) / 4);
    idx[j] = static_cast<std::int8_t>(j % 2 ? -128 : base + (j % 4 == 0 ? a : b));
  }
  return _mm256_load_si256(reinterpret_cast<const __m256i*>(idx));
}

struct Consts {
  __m256i same[4] = {pick_pair(0, 0), pick_pair(1, 1), pick_pair(2, 2), pick_pair(3, 3)};
  __m256i pairs[2] = {pick_pair(0, 1), pick_pair(2, 3)};
  // d (bytes 0, 1 of each dword) to the low 8 bytes of each 128-bit lane, dmin to the high.
  __m256i split_halves = _mm256_setr_epi8(0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15, 0,
                                          1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15);
};

/// A packed super-block's scales for 8 rows, lane r = row r.
struct HalfScales {
  __m256i scales[kSubBlocks];  // the sub-block's scale as an int16 pair
  __m256i mins[4];             // int16 pairs (min 2 p, min 2 p + 1)
  __m256 d, dmin;
};

/// Half h of the bytes16 segment at head: dword r of vector v holds row r's bytes 4 v .. 4 v + 3
/// (v = 0: d, dmin; 1..3: the 12 scale bytes, decoded as unpack_scale_min_k4).
inline void half_scales(const std::uint8_t* head, const Consts& c, HalfScales* s) {
  __m256i v[4];
  for (int k = 0; k < 4; ++k)
    v[k] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(head + 64 * k));
  const __m256i low6 = _mm256_set1_epi8(0x3F), low4 = _mm256_set1_epi8(0x0F);
  const __m256i bits45 = _mm256_set1_epi8(0x30);
  // Sub-blocks 0..3: the low 6 bits of bytes j (scale) and j + 4 (min); 4..7: 4 bits of byte
  // j + 4 (low nibble: scale, high: min) and the top 2 bits of bytes j - 4 (scale) and j (min).
  // The 32-bit shifts move bits across bytes only into places the masks clear.
  const __m256i sc_lo = _mm256_and_si256(v[1], low6);
  const __m256i mn_lo = _mm256_and_si256(v[2], low6);
  const __m256i sc_hi = _mm256_or_si256(_mm256_and_si256(v[3], low4),
                                        _mm256_and_si256(_mm256_srli_epi32(v[1], 2), bits45));
  const __m256i mn_hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi32(v[3], 4), low4),
                                        _mm256_and_si256(_mm256_srli_epi32(v[2], 2), bits45));
  for (int j = 0; j < 4; ++j) {
    s->scales[j] = _mm256_shuffle_epi8(sc_lo, c.same[j]);
    s->scales[j + 4] = _mm256_shuffle_epi8(sc_hi, c.same[j]);
  }
  s->mins[0] = _mm256_shuffle_epi8(mn_lo, c.pairs[0]);
  s->mins[1] = _mm256_shuffle_epi8(mn_lo, c.pairs[1]);
  s->mins[2] = _mm256_shuffle_epi8(mn_hi, c.pairs[0]);
  s->mins[3] = _mm256_shuffle_epi8(mn_hi, c.pairs[1]);
  // Quadwords: d rows 0-3, dmin 0-3, d 4-7, dmin 4-7 -> d 0-7, dmin 0-7.
  const __m256i halves =
      _mm256_permute4x64_epi64(_mm256_shuffle_epi8(v[0], c.split_halves), _MM_SHUFFLE(3, 1, 2, 0));
  s->d = _mm256_cvtph_ps(_mm256_castsi256_si128(halves));
  s->dmin = _mm256_cvtph_ps(_mm256_extracti128_si256(halves, 1));
}

/// Residue vector w of qs group k (and, q5_k, its qh vector h) as weights of sub-blocks 2 k (lo)
/// and 2 k + 1 (hi): nibbles, with q5_k's bit 2 k / 2 k + 1 of qh as bit 4 (16-bit shifts: the
/// bits that cross from the neighbouring byte land outside bit 4).
template <bool Q5>
inline void weights(__m256i w, __m256i h, int k, __m256i* lo, __m256i* hi) {
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  *lo = _mm256_and_si256(w, low4);
  *hi = _mm256_and_si256(_mm256_srli_epi16(w, 4), low4);
  if constexpr (Q5) {
    const __m256i bit4 = _mm256_set1_epi8(0x10);
    const __m256i h_lo = k < 2 ? _mm256_slli_epi16(h, 4 - 2 * k) : _mm256_srli_epi16(h, 2 * k - 4);
    const __m256i h_hi = k < 2 ? _mm256_slli_epi16(h, 3 - 2 * k) : _mm256_srli_epi16(h, 2 * k - 3);
    *lo = _mm256_or_si256(*lo, _mm256_and_si256(h_lo, bit4));
    *hi = _mm256_or_si256(*hi, _mm256_and_si256(h_hi, bit4));
  }
}

inline __m256i broadcast(const std::int32_t& four) {
  return _mm256_set1_epi32(four);
}

/// Asks for the cache lines kPrefetchBytes past qs group k of the block at block (and its qh
/// and head lines with k < 2 and k == 0), each line once per block: the residue vectors of a group
/// are 64 bytes apart, one line each.
template <bool Q5>
inline void prefetch_ahead(const std::uint8_t* block, const Positions& pos, int k) {
  const std::uint8_t* const ahead = block + kPrefetchBytes;
  for (int m = 0; m < kResidues; ++m)
    _mm_prefetch(reinterpret_cast<const char*>(ahead + pos.qs[k] + 64 * m), _MM_HINT_T0);
  if (Q5 && k < 2) {
    for (int m = 4 * k; m < 4 * k + 4; ++m)
      _mm_prefetch(reinterpret_cast<const char*>(ahead + pos.qh + 64 * m), _MM_HINT_T0);
  }
  if (k == 0) {
    for (int v = 0; v < 4; ++v)
      _mm_prefetch(reinterpret_cast<const char*>(ahead + pos.head + 64 * v), _MM_HINT_T0);
  }
}

/// Half h (rows 8 h .. 8 h + 7) of one packed block (at block) times NT tokens (token t's
/// prepared block at a[t * nb]), added to acc[t]. Prefetch: the block kPrefetchBytes on is asked
/// for (once per block, with the first half of the first tokens). Not inlined, and the pointers
/// copied in, so that GCC 12 keeps them in registers (as rows_legacy_avx2.cpp).
template <bool Q5, int NT, bool Prefetch>
__attribute__((noinline)) void half_block(const std::uint8_t* block_in, const Positions& pos, int h,
                                          const HalfScales& s, const Token* a_in, std::int64_t nb,
                                          __m256* acc) {
  const std::uint8_t* const block = block_in;
  const Token* const a = a_in;
  __m256i sumi[NT];
  for (int t = 0; t < NT; ++t) sumi[t] = _mm256_setzero_si256();
  // q4_k adds a sub-block's 8 residues in int16 before widening, q5_k 4 (see the top).
  constexpr int kResiduesPerWidening = Q5 ? 4 : 8;
  for (int k = 0; k < 4; ++k) {
    const std::uint8_t* const qs = block + pos.qs[k] + 32 * h;
    const std::uint8_t* const qh = block + pos.qh + 32 * h;
    if constexpr (Prefetch) prefetch_ahead<Q5>(block, pos, k);
    for (int m0 = 0; m0 < kResidues; m0 += kResiduesPerWidening) {
      __m256i dot_lo[NT], dot_hi[NT];
      for (int t = 0; t < NT; ++t) dot_lo[t] = dot_hi[t] = _mm256_setzero_si256();
      for (int m = m0; m < m0 + kResiduesPerWidening; ++m) {
        __m256i lo, hi;
        const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs + 64 * m));
        const __m256i hbits =
            Q5 ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qh + 64 * m)) : w;
        weights<Q5>(w, hbits, k, &lo, &hi);
        for (int t = 0; t < NT; ++t) {
          const std::int32_t* q = a[t * nb].q;
          dot_lo[t] = _mm256_add_epi16(
              dot_lo[t], _mm256_maddubs_epi16(lo, broadcast(q[kResidues * 2 * k + m])));
          dot_hi[t] = _mm256_add_epi16(
              dot_hi[t], _mm256_maddubs_epi16(hi, broadcast(q[kResidues * (2 * k + 1) + m])));
          in_order(dot_lo[t]);
          in_order(dot_hi[t]);
        }
      }
      for (int t = 0; t < NT; ++t) {
        sumi[t] = _mm256_add_epi32(sumi[t], _mm256_madd_epi16(dot_lo[t], s.scales[2 * k]));
        sumi[t] = _mm256_add_epi32(sumi[t], _mm256_madd_epi16(dot_hi[t], s.scales[2 * k + 1]));
      }
    }
  }
  for (int t = 0; t < NT; ++t) {
    const Token& token = a[t * nb];
    __m256i mins = _mm256_madd_epi16(s.mins[0], broadcast(token.sub_sums[0]));
    for (int p = 1; p < 4; ++p)
      mins = _mm256_add_epi32(mins, _mm256_madd_epi16(s.mins[p], broadcast(token.sub_sums[p])));
    const __m256 ad = _mm256_set1_ps(token.d);
    acc[t] = _mm256_fmadd_ps(_mm256_mul_ps(s.d, ad), _mm256_cvtepi32_ps(sumi[t]), acc[t]);
    acc[t] = _mm256_fnmadd_ps(_mm256_mul_ps(s.dmin, ad), _mm256_cvtepi32_ps(mins), acc[t]);
  }
}

/// Both halves (all 16 rows) of one packed block times one token (decode), added to acc[0] (rows
/// 0-7) and acc[1] (rows 8-15): each broadcast of the token's activations serves 16 rows, and the
/// calls and loop steps are half those of two half_block calls. Lane by lane the same operations
/// as half_block<Q5, 1, Prefetch>, so the same results bit for bit.
template <bool Q5, bool Prefetch>
__attribute__((noinline)) void block_one_token(const std::uint8_t* block_in, const Positions& pos,
                                               const HalfScales* s_in, const Token* a_in,
                                               __m256* acc) {
  const std::uint8_t* const block = block_in;
  const HalfScales* const s = s_in;
  const Token& token = *a_in;
  __m256i sumi[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
  constexpr int kResiduesPerWidening = Q5 ? 4 : 8;
  for (int k = 0; k < 4; ++k) {
    const std::uint8_t* const qs = block + pos.qs[k];
    const std::uint8_t* const qh = block + pos.qh;
    if constexpr (Prefetch) prefetch_ahead<Q5>(block, pos, k);
    for (int m0 = 0; m0 < kResidues; m0 += kResiduesPerWidening) {
      __m256i dot_lo[2], dot_hi[2];
      for (int h = 0; h < 2; ++h) dot_lo[h] = dot_hi[h] = _mm256_setzero_si256();
      for (int m = m0; m < m0 + kResiduesPerWidening; ++m) {
        const __m256i a_lo = broadcast(token.q[kResidues * 2 * k + m]);
        const __m256i a_hi = broadcast(token.q[kResidues * (2 * k + 1) + m]);
        for (int h = 0; h < 2; ++h) {
          __m256i lo, hi;
          const __m256i w =
              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs + 64 * m + 32 * h));
          const __m256i hbits =
              Q5 ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qh + 64 * m + 32 * h)) : w;
          weights<Q5>(w, hbits, k, &lo, &hi);
          dot_lo[h] = _mm256_add_epi16(dot_lo[h], _mm256_maddubs_epi16(lo, a_lo));
          dot_hi[h] = _mm256_add_epi16(dot_hi[h], _mm256_maddubs_epi16(hi, a_hi));
          in_order(dot_lo[h]);
          in_order(dot_hi[h]);
        }
      }
      for (int h = 0; h < 2; ++h) {
        sumi[h] = _mm256_add_epi32(sumi[h], _mm256_madd_epi16(dot_lo[h], s[h].scales[2 * k]));
        sumi[h] = _mm256_add_epi32(sumi[h], _mm256_madd_epi16(dot_hi[h], s[h].scales[2 * k + 1]));
      }
    }
  }
  __m256i sub_sums[4];
  for (int p = 0; p < 4; ++p) sub_sums[p] = broadcast(token.sub_sums[p]);
  const __m256 ad = _mm256_set1_ps(token.d);
  for (int h = 0; h < 2; ++h) {
    __m256i mins = _mm256_madd_epi16(s[h].mins[0], sub_sums[0]);
    for (int p = 1; p < 4; ++p)
      mins = _mm256_add_epi32(mins, _mm256_madd_epi16(s[h].mins[p], sub_sums[p]));
    acc[h] = _mm256_fmadd_ps(_mm256_mul_ps(s[h].d, ad), _mm256_cvtepi32_ps(sumi[h]), acc[h]);
    acc[h] = _mm256_fnmadd_ps(_mm256_mul_ps(s[h].dmin, ad), _mm256_cvtepi32_ps(mins), acc[h]);
  }
}

/// Half h of a block for n (1..kTokensInRegisters) tokens.
template <bool Q5, bool Prefetch>
inline void half_block_tokens(int n, const std::uint8_t* block, const Positions& pos, int h,
                              const HalfScales& s, const Token* a, std::int64_t nb, __m256* acc) {
  static_assert(kTokensInRegisters == 3);
  switch (n) {
    case 1:
      return half_block<Q5, 1, Prefetch>(block, pos, h, s, a, nb, acc);
    case 2:
      return half_block<Q5, 2, Prefetch>(block, pos, h, s, a, nb, acc);
    default:
      return half_block<Q5, 3, Prefetch>(block, pos, h, s, a, nb, acc);
  }
}

/// One pass of n_tokens (<= kMaxPassTokens) over the 16 rows of group g (at group); lanes
/// outside [row_begin, row_end) are not stored.
template <bool Q5>
void group_pass(const std::uint8_t* group, std::ptrdiff_t block_bytes, const Positions& pos,
                const Consts& c, std::int64_t nb, std::int64_t g, std::int64_t row_begin,
                std::int64_t row_end, const Token* a, std::int64_t n_tokens, float* y,
                std::int64_t y_stride) {
  __m256 acc[2][kMaxPassTokens];
  for (std::int64_t t = 0; t < n_tokens; ++t) acc[0][t] = acc[1][t] = _mm256_setzero_ps();
  HalfScales s[2];
  for (std::int64_t b = 0; b < nb; ++b) {
    const std::uint8_t* block = group + b * block_bytes;
    if (n_tokens == 1) {
      for (int h = 0; h < 2; ++h) half_scales(block + pos.head + 32 * h, c, &s[h]);
      __m256 pair[2] = {acc[0][0], acc[1][0]};
      block_one_token<Q5, true>(block, pos, s, a + b, pair);
      acc[0][0] = pair[0];
      acc[1][0] = pair[1];
      continue;
    }
    for (int h = 0; h < 2; ++h) {
      half_scales(block + pos.head + 32 * h, c, &s[0]);
      for (std::int64_t t0 = 0; t0 < n_tokens; t0 += kTokensInRegisters) {
        const int n = static_cast<int>(std::min<std::int64_t>(kTokensInRegisters, n_tokens - t0));
        if (t0 == 0 && h == 0) {
          half_block_tokens<Q5, true>(n, block, pos, h, s[0], a + b, nb, acc[h]);
        } else {
          half_block_tokens<Q5, false>(n, block, pos, h, s[0], a + t0 * nb + b, nb, acc[h] + t0);
        }
      }
    }
  }
  store_group_rows(acc, g, row_begin, row_end, n_tokens, y, y_stride);
}

template <bool Q5>
void product(QuantType type, const std::uint8_t* packed, std::int64_t nb, std::int64_t row_begin,
             std::int64_t row_end, const BlockQ8K* a, std::int64_t n_tokens, float* y,
             std::int64_t y_stride) {
  thread_local std::vector<Token> tokens;
  tokens.resize(static_cast<std::size_t>(n_tokens * nb));
  prepare_tokens(a, n_tokens * nb, tokens.data());
  const Positions pos = positions_of(type);
  const Consts c;
  const auto block_bytes = static_cast<std::ptrdiff_t>(packed_k_block_bytes(type));
  for (std::int64_t g = row_begin / kPackedKRows; g * kPackedKRows < row_end; ++g) {
    const std::uint8_t* group = packed + g * nb * block_bytes;
    for (std::int64_t t0 = 0; t0 < n_tokens; t0 += kMaxPassTokens) {
      const std::int64_t n = std::min(kMaxPassTokens, n_tokens - t0);
      group_pass<Q5>(group, block_bytes, pos, c, nb, g, row_begin, row_end, tokens.data() + t0 * nb,
                     n, y + t0 * y_stride, y_stride);
    }
  }
}

}  // namespace

void packed_k_avx2(QuantType type, const std::uint8_t* packed, std::int64_t nb,
                   std::int64_t row_begin, std::int64_t row_end, const BlockQ8K* a,
                   std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  if (type == QuantType::q5_k) {
    return product<true>(type, packed, nb, row_begin, row_end, a, n_tokens, y, y_stride);
  }
  product<false>(type, packed, nb, row_begin, row_end, a, n_tokens, y, y_stride);
}

}  // namespace r1::quant::x86
