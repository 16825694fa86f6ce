// Products of q4_k weights with small batches of tokens (the decode steps of one to a few dozen
// sequences) with 512-bit VNNI and VBMI, rows along the vector lanes, as the q8_0 batch kernel;
// and of q5_k weights repacked at load (the packed kernels at the end: q5_k has q4_k's scales
// and mins, and one more bit per weight).
//
// The reference (ref::vec_dot_q4_k_q8_k) adds each integer product into lane k % 8 (k the
// element index) and keeps 8 float partial sums per row, so the integer work must keep those
// residues apart. For 16 weight rows and one super-block, each 32-byte group of qs is permuted
// (vpermb) so that dword m holds the bytes of residue m (qs[m], [m + 8], [m + 16], [m + 24]:
// low nibbles of sub-block 2 g, high nibbles of 2 g + 1), then transposed so that lane r holds
// row r. Each token then needs, per sub-block and residue, one vpmaddubsw (unsigned nibbles x
// signed activations, their 4 bytes broadcast) and one vpdpwssd with the rows' sub-block scales
// into the residue's int32 accumulator: the 8 accumulators end up with each row's 8 exact lane
// sums, the mins term is 4 vpdpwssd of the rows' mins with the activation's sub-block sums, and
// the float update is the reference's expression with one lane per row. The unpacking is paid
// once per super-block for all the tokens of a pass (up to kMaxPassTokens).
// GCC 12's 512-bit intrinsics hand _mm512_undefined_* to the masked builtins they wrap, which
// -Wmaybe-uninitialized reports at every use.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"  // the same, in the packed_block functions
#include <immintrin.h>

#include <algorithm>
#include <cstddef>
#include <type_traits>
#include <vector>

#include "quant/packed_k.h"
#include "quant/x86/batch_k_rows.h"
#include "quant/x86/q8_k_sub_sums.h"
#include "quant/x86/simd_kernels.h"

namespace r1::quant::x86 {
namespace {

using namespace batch_k;

constexpr int kSubBlocks = 8;                                        // of 32 elements
constexpr std::ptrdiff_t kPrefetchBytes = 4 * sizeof(BlockQ4K);      // ahead of each row stream
constexpr std::ptrdiff_t kPackedBlockBytes = 16 * sizeof(BlockQ4K);  // packed_k_block_bytes
constexpr std::ptrdiff_t kQ5KPackedBlockBytes = 16 * sizeof(BlockQ5K);

/// One token's Q8_K block, prepared once: qs in residue order (sub-block j's residue m in
/// dword 8 j + m); dword p of sub_sums the int16 sums of sub-blocks 2 p and 2 p + 1 (from
/// bsums; |sum| <= 32 * 128 fits).
struct ActQ4K {
  ActResidues q;
  std::int32_t sub_sums[4];
  float d;
};

void prepare_activations(const BlockQ8K* a, std::int64_t n, ActQ4K* out) {
  const __m512i order = residue_order();
  for (std::int64_t i = 0; i < n; ++i) {
    residue_activations(a[i], order, 0, &out[i].q);
    q8_k_sub_sum_pairs(a[i], out[i].sub_sums);
    out[i].d = a[i].d;
  }
}

/// One super-block of 16 rows, unpacked, lane r = row r.
struct GroupBlock {
  __m512i q[kSubBlocks][kResidues];  // the residue's 4 nibbles as unsigned bytes
  __m512i scales[kSubBlocks];        // int16 pairs (scale, scale)
  __m512i mins[4];                   // int16 pairs (min 2 p, min 2 p + 1)
  __m512 d, dmin;
};

/// vpshufb index: in every dword k of a 128-bit lane, bytes (4 k + lo, 0, 4 k + hi, 0).
__m512i pick_pair(int lo, int hi) {
  alignas(64) std::int8_t idx[64];
  for (int j = 0; j < 64; ++j) {
    const int k = (j % 16) / 4;
    const int b = j % 4;
    idx[j] = static_cast<std::int8_t>(b % 2 ? -128 : 4 * k + (b == 0 ? lo : hi));
  }
  return _mm512_load_si512(idx);
}

struct Consts {
  __m512i order = residue_order();
  __m512i scale_pick[4] = {pick_pair(0, 0), pick_pair(1, 1), pick_pair(2, 2), pick_pair(3, 3)};
  __m512i min_pick[2] = {pick_pair(0, 1), pick_pair(2, 3)};
};

/// The 6-bit scales and mins of 16 rows' blocks, one byte each: head[1..3] hold bytes 0..3,
/// 4..7 and 8..11 of the 12 scale bytes (one dword per row). unpack_scale_min_k4 bytewise: byte
/// j of scales_lo / mins_lo is sub-block j's, byte j of scales_hi / mins_hi sub-block 4 + j's (a
/// 32-bit shift by 2 moves bits 6-7 to 4-5 inside each byte).
struct ScaleBytes {
  __m512i scales_lo, scales_hi, mins_lo, mins_hi;
};

inline ScaleBytes scale_bytes(const __m512i* head) {
  const __m512i m6 = _mm512_set1_epi8(0x3F);
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  const __m512i top = _mm512_set1_epi8(0x30);
  // (x & m4) | (y & top): ternary 0xF8 on (y & top, x, m4) is a | (b & c).
  return {_mm512_and_si512(head[1], m6),
          _mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_srli_epi32(head[1], 2), top), head[3],
                                    m4, 0xF8),
          _mm512_and_si512(head[2], m6),
          _mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_srli_epi32(head[2], 2), top),
                                    _mm512_srli_epi32(head[3], 4), m4, 0xF8)};
}

template <bool Sweep, class Source>
inline void unpack_block(const Source& rows, std::int64_t b, const Consts& c, NextGroup* next,
                         GroupBlock* g) {
  // d, dmin and the 12 scale bytes: dword k of each row in head[k].
  __m512i head[4];
  transpose_16_bytes(rows, b, 0, head);
  g->d = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(head[0]));
  g->dmin = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(head[0], 16)));
  const ScaleBytes sb = scale_bytes(head);
  const __m512i sc_lo = sb.scales_lo, sc_hi = sb.scales_hi, mn_lo = sb.mins_lo, mn_hi = sb.mins_hi;
  for (int j = 0; j < 4; ++j) {
    g->scales[j] = _mm512_shuffle_epi8(sc_lo, c.scale_pick[j]);
    g->scales[j + 4] = _mm512_shuffle_epi8(sc_hi, c.scale_pick[j]);
  }
  g->mins[0] = _mm512_shuffle_epi8(mn_lo, c.min_pick[0]);
  g->mins[1] = _mm512_shuffle_epi8(mn_lo, c.min_pick[1]);
  g->mins[2] = _mm512_shuffle_epi8(mn_hi, c.min_pick[0]);
  g->mins[3] = _mm512_shuffle_epi8(mn_hi, c.min_pick[1]);
  // qs in 4 groups of 32 bytes: group k holds sub-blocks 2 k (low nibbles), 2 k + 1 (high).
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  for (int k = 0; k < 4; ++k) {
    if constexpr (Sweep) sweep(b, k, 4, sizeof(BlockQ4K), next);
    __m512i w[8];
    transpose_group(rows, b, offsetof(BlockQ4K, qs) + 32 * k, c.order, w);
    for (int m = 0; m < kResidues; ++m) {
      g->q[2 * k][m] = _mm512_and_si512(w[m], low4);
      g->q[2 * k + 1][m] = _mm512_and_si512(_mm512_srli_epi16(w[m], 4), low4);
    }
  }
}

/// Per token: the reference's 8 float partial sums of each row and its mins sum.
struct TokenSums {
  __m512 lanes[kResidues];
  __m512 sumf;
};

inline void accumulate_token(const GroupBlock& g, const ActQ4K& a, TokenSums* s) {
  __m512i acc[kResidues];
  for (auto& v : acc) v = _mm512_setzero_si512();
  for (int j = 0; j < kSubBlocks; ++j) {
    const __m512i scale = g.scales[j];
    for (int m = 0; m < kResidues; ++m) {
      const __m512i p =
          _mm512_maddubs_epi16(g.q[j][m], _mm512_set1_epi32(a.q.q[kResidues * j + m]));
      acc[m] = _mm512_dpwssd_epi32(acc[m], p, scale);
    }
  }
  __m512i mins = _mm512_setzero_si512();
  for (int p = 0; p < 4; ++p)
    mins = _mm512_dpwssd_epi32(mins, g.mins[p], _mm512_set1_epi32(a.sub_sums[p]));
  const __m512 ad = _mm512_set1_ps(a.d);
  const __m512 d = _mm512_mul_ps(g.d, ad);
  for (int m = 0; m < kResidues; ++m) {
    s->lanes[m] = _mm512_add_ps(s->lanes[m], _mm512_mul_ps(d, _mm512_cvtepi32_ps(acc[m])));
  }
  const __m512 dmin = _mm512_mul_ps(g.dmin, ad);
  s->sumf = _mm512_sub_ps(s->sumf, _mm512_mul_ps(dmin, _mm512_cvtepi32_ps(mins)));
}

void row_group(const BlockQ4K* w, std::int64_t n_rows, std::int64_t nb, std::int64_t r0,
               const ActQ4K* a, std::int64_t n_tokens, bool prefetch_next, const Consts& c,
               float* y, std::int64_t y_stride) {
  Rows rows{{}, sizeof(BlockQ4K)};
  for (int r = 0; r < kRows; ++r) {
    rows.row[r] = reinterpret_cast<const std::uint8_t*>(w + std::min(r0 + r, n_rows - 1) * nb);
  }
  NextGroup next =
      next_group(reinterpret_cast<const std::uint8_t*>(w), n_rows,
                 static_cast<std::ptrdiff_t>(nb * sizeof(BlockQ4K)), r0, prefetch_next);
  TokenSums sums[kMaxPassTokens];
  for (std::int64_t t = 0; t < n_tokens; ++t) {
    for (auto& l : sums[t].lanes) l = _mm512_setzero_ps();
    sums[t].sumf = _mm512_setzero_ps();
  }
  GroupBlock g;
  const auto blocks = [&](auto sweep) {
    for (std::int64_t b = 0; b < nb; ++b) {
      prefetch<sizeof(BlockQ4K), kPrefetchBytes, false>(rows, b, next);
      unpack_block<decltype(sweep)::value, Rows>(rows, b, c, &next, &g);
      for (std::int64_t t = 0; t < n_tokens; ++t) accumulate_token(g, a[t * nb + b], &sums[t]);
    }
  };
  with_sweep(next, blocks);
  const __mmask16 lanes = row_lanes(n_rows, r0);
  for (std::int64_t t = 0; t < n_tokens; ++t) {
    __m512 out = sums[t].sumf;
    for (const __m512& l : sums[t].lanes) out = _mm512_add_ps(out, l);
    _mm512_mask_storeu_ps(y + t * y_stride + r0, lanes, out);
  }
}

// The packed matrices (quant/packed_k.h) take a shorter road, no longer the reference's
// float order: every product is exact in int32 and only the float sums differ (ggml's own
// SIMD kernels sum the same way). A 4-byte lane of a residue vector holds 4 elements of one
// sub-block (its low nibbles) and 4 of the next (its high nibbles), so vpdpbusd adds the 4
// products of a sub-block into one int32 per row; the 8 vectors of a sub-block go into one
// accumulator, scaled once (vpmulld) per sub-block. The high nibbles are used in place (byte &
// 0xF0 = 16 q): their sum is 16 times too large, exactly, and is shifted back once per token.
// Per token and super-block that is 64 vpdpbusd and 8 vpmulld, where the residue order needs
// 64 vpmaddubsw and 64 vpdpwssd, and one float update per row instead of 8. Up to 4 tokens
// share each loaded vector in registers, nothing stored between unpacking and use; a pass of
// more tokens unpacks each block once into L1 (unpacked_tokens, below).

/// A packed super-block's scales for 16 rows, lane r = row r.
struct PackedScales {
  __m512i scales[kSubBlocks];  // int32
  __m512i mins[4];             // int16 pairs (min 2 p, min 2 p + 1)
  __m512 d, dmin;
};

/// vpshufb index: in every dword k of a 128-bit lane, byte 4 k + i zero-extended.
__m512i pick_byte(int i) {
  alignas(64) std::int8_t idx[64];
  for (int j = 0; j < 64; ++j) {
    idx[j] = static_cast<std::int8_t>(j % 4 ? -128 : 4 * ((j % 16) / 4) + i);
  }
  return _mm512_load_si512(idx);
}

struct PackedConsts {
  __m512i scale_pick[4] = {pick_byte(0), pick_byte(1), pick_byte(2), pick_byte(3)};
  __m512i min_pick[2] = {pick_pair(0, 1), pick_pair(2, 3)};
};

inline PackedScales packed_scales(const PackedRows& rows, std::int64_t b, const PackedConsts& c) {
  __m512i head[4];  // d, dmin and the 12 scale bytes: dword k of each row in head[k]
  transpose_16_bytes(rows, b, 0, head);
  PackedScales g;
  g.d = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(head[0]));
  g.dmin = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(head[0], 16)));
  const ScaleBytes sb = scale_bytes(head);
  const __m512i sc_lo = sb.scales_lo, sc_hi = sb.scales_hi, mn_lo = sb.mins_lo, mn_hi = sb.mins_hi;
  for (int j = 0; j < 4; ++j) {
    g.scales[j] = _mm512_shuffle_epi8(sc_lo, c.scale_pick[j]);
    g.scales[j + 4] = _mm512_shuffle_epi8(sc_hi, c.scale_pick[j]);
  }
  g.mins[0] = _mm512_shuffle_epi8(mn_lo, c.min_pick[0]);
  g.mins[1] = _mm512_shuffle_epi8(mn_lo, c.min_pick[1]);
  g.mins[2] = _mm512_shuffle_epi8(mn_hi, c.min_pick[0]);
  g.mins[3] = _mm512_shuffle_epi8(mn_hi, c.min_pick[1]);
  return g;
}

/// One token's block sum (sumi: the integer sum of scale * q * a) into the rows' float sums:
/// d * a.d * sumi - dmin * a.d * (the mins with the activation's sub-block sums).
inline void add_block_sum(const PackedScales& g, const ActQ4K& a, __m512i sumi, __m512* sum) {
  __m512i mins = _mm512_setzero_si512();
  for (int p = 0; p < 4; ++p) {
    mins = _mm512_dpwssd_epi32(mins, g.mins[p], _mm512_set1_epi32(a.sub_sums[p]));
  }
  const __m512 ad = _mm512_set1_ps(a.d);
  *sum = _mm512_fmadd_ps(_mm512_mul_ps(g.d, ad), _mm512_cvtepi32_ps(sumi), *sum);
  *sum = _mm512_fnmadd_ps(_mm512_mul_ps(g.dmin, ad), _mm512_cvtepi32_ps(mins), *sum);
}

/// Each line of the stream is asked for this far ahead, into L1, as in the q8_0 and bf16
/// products (on the AMD EPYC of 2026-12-03, 8 KiB into L1 against 16 KiB into L2: gate_up and
/// lm_head at 2 threads, medians of 7 alternating runs, 32.5-32.7 -> 35.2-39.4 GB/s; ±30 %
/// noise on that host).
constexpr std::ptrdiff_t kNearBytes = 8192;

/// Block b of the group times NT tokens (token t's block at a[t * nb]), added to sums[t];
/// Prefetch: the block kNearBytes on is fetched (once per block, by the first tokens).
/// Not inlined: one call per block of hundreds of instructions, and inlined with its 8
/// instantiations into one function GCC 12 allocated the registers worse (q6_k from L2 at one
/// token 1.3-1.45x slower, r1_bench_quant_decode --shapes in_l2 --working-set-mib 0).
template <int NT, bool Prefetch>
__attribute__((noinline)) void packed_block(const PackedRows& rows, std::int64_t b,
                                            const PackedConsts& c, const ActQ4K* a, std::int64_t nb,
                                            __m512* sums) {
  const PackedScales g = packed_scales(rows, b, c);
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  __m512i low[NT], high[NT];  // high: 16 times its value
  for (int t = 0; t < NT; ++t) low[t] = high[t] = _mm512_setzero_si512();
  for (int k = 0; k < 4; ++k) {  // qs group k: sub-blocks 2 k (low nibbles), 2 k + 1 (high)
    if constexpr (Prefetch) prefetch_packed<kPackedBlockBytes, kNearBytes, true>(rows, b, k, 4);
    const std::uint8_t* p = rows.at(b, offsetof(BlockQ4K, qs) + 32 * k);
    __m512i dot_lo[NT], dot_hi[NT];
    for (int t = 0; t < NT; ++t) dot_lo[t] = dot_hi[t] = _mm512_setzero_si512();
    for (int m = 0; m < kResidues; ++m) {
      const __m512i w = _mm512_loadu_si512(p + 64 * m);
      const __m512i lo = _mm512_and_si512(w, m4);
      const __m512i hi = _mm512_andnot_si512(m4, w);
      for (int t = 0; t < NT; ++t) {
        const std::int32_t* q = a[t * nb].q.q;
        dot_lo[t] = _mm512_dpbusd_epi32(dot_lo[t], lo, _mm512_set1_epi32(q[kResidues * 2 * k + m]));
        dot_hi[t] =
            _mm512_dpbusd_epi32(dot_hi[t], hi, _mm512_set1_epi32(q[kResidues * (2 * k + 1) + m]));
      }
    }
    for (int t = 0; t < NT; ++t) {
      low[t] = _mm512_add_epi32(low[t], _mm512_mullo_epi32(dot_lo[t], g.scales[2 * k]));
      high[t] = _mm512_add_epi32(high[t], _mm512_mullo_epi32(dot_hi[t], g.scales[2 * k + 1]));
    }
  }
  for (int t = 0; t < NT; ++t) {
    add_block_sum(g, a[t * nb], _mm512_add_epi32(low[t], _mm512_srai_epi32(high[t], 4)), &sums[t]);
  }
}

/// Residue vector w of qs group k and its qh vector h as q5_k weights 0..31: lo for sub-block
/// 2 k (low nibbles, bit 2 k of qh), hi for 2 k + 1 (high nibbles, bit 2 k + 1).
inline void q5_k_weights(__m512i w, __m512i h, int k, __m512i* lo, __m512i* hi) {
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  const __m512i bit4 = _mm512_set1_epi8(0x10);
  // The qh bit to bit 4: 16-bit shifts, the bits that cross from the neighbouring byte land
  // outside bit 4. (q & 15) | (h & 0x10): ternary 0xF8 is a | (b & c).
  const __m512i h_lo = k < 2 ? _mm512_slli_epi16(h, 4 - 2 * k) : _mm512_srli_epi16(h, 2 * k - 4);
  const __m512i h_hi = k < 2 ? _mm512_slli_epi16(h, 3 - 2 * k) : _mm512_srli_epi16(h, 2 * k - 3);
  *lo = _mm512_ternarylogic_epi32(_mm512_and_si512(w, m4), h_lo, bit4, 0xF8);
  *hi = _mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_srli_epi16(w, 4), m4), h_hi, bit4, 0xF8);
}

/// Block b of a packed q5_k group times NT tokens, as packed_block for q4_k: the 5th bits (qh,
/// one residue vector per residue m, the same residue order as qs) are merged into each nibble
/// (bit 2 k of qh for group k's low nibbles, bit 2 k + 1 for its high ones), so the weights are
/// 0..31 and every sum stays exact in int32 (32 * 31 * 127 * 63 per sub-block).
template <int NT, bool Prefetch>
__attribute__((noinline)) void packed_q5_k_block(const PackedRows& rows, std::int64_t b,
                                                 const PackedConsts& c, const ActQ4K* a,
                                                 std::int64_t nb, __m512* sums) {
  const PackedScales g = packed_scales(rows, b, c);
  const std::uint8_t* qh = rows.at(b, offsetof(BlockQ5K, qh));
  __m512i sumi[NT];
  for (int t = 0; t < NT; ++t) sumi[t] = _mm512_setzero_si512();
  for (int k = 0; k < 4; ++k) {  // qs group k: sub-blocks 2 k (low nibbles), 2 k + 1 (high)
    if constexpr (Prefetch) prefetch_packed<kQ5KPackedBlockBytes, kNearBytes, true>(rows, b, k, 4);
    const std::uint8_t* p = rows.at(b, offsetof(BlockQ5K, qs) + 32 * k);
    __m512i dot_lo[NT], dot_hi[NT];
    for (int t = 0; t < NT; ++t) dot_lo[t] = dot_hi[t] = _mm512_setzero_si512();
    for (int m = 0; m < kResidues; ++m) {
      __m512i lo, hi;
      q5_k_weights(_mm512_loadu_si512(p + 64 * m), _mm512_loadu_si512(qh + 64 * m), k, &lo, &hi);
      for (int t = 0; t < NT; ++t) {
        const std::int32_t* q = a[t * nb].q.q;
        dot_lo[t] = _mm512_dpbusd_epi32(dot_lo[t], lo, _mm512_set1_epi32(q[kResidues * 2 * k + m]));
        dot_hi[t] =
            _mm512_dpbusd_epi32(dot_hi[t], hi, _mm512_set1_epi32(q[kResidues * (2 * k + 1) + m]));
      }
    }
    for (int t = 0; t < NT; ++t) {
      sumi[t] = _mm512_add_epi32(sumi[t], _mm512_mullo_epi32(dot_lo[t], g.scales[2 * k]));
      sumi[t] = _mm512_add_epi32(sumi[t], _mm512_mullo_epi32(dot_hi[t], g.scales[2 * k + 1]));
    }
  }
  for (int t = 0; t < NT; ++t) add_block_sum(g, a[t * nb], sumi[t], &sums[t]);
}

// A pass of more than 4 tokens (prompts, batched decode) unpacks each block once into L1, the
// weights as plain bytes (q4_k's high nibbles shifted down, q5_k's 5th bits merged in), and every
// 8 tokens take them from there: the unpacking's loads, shifts and masks are paid once per
// block instead of once per 4 tokens (q5_k's are 6 instructions per 2 vectors, against 8
// vpdpbusd at 4 tokens). From L2 (r1_bench_quant_decode --types q5_k,q4_k --tokens 16 --shapes
// in_l2 --working-set-mib 0, AMD EPYC of 2026-12-03): q5_k 1.6x, q4_k 1.1x.

/// Block b's weights one sub-block after another: sub-block j's residue m at out[8 j + m].
constexpr int kUnpackedVectors = kSubBlocks * kResidues;
/// Tokens per call of unpacked_tokens: each loaded vector serves 8 (one accumulator per token,
/// 16 registers with the sums), 1.1-1.2x faster than 4 at 16 tokens from L2.
constexpr int kUnpackedTokensPerCall = 8;

__attribute__((noinline)) void unpack_q4_k(const PackedRows& rows, std::int64_t b, __m512i* out) {
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  for (int k = 0; k < 4; ++k) {
    prefetch_packed<kPackedBlockBytes, kNearBytes, true>(rows, b, k, 4);
    const std::uint8_t* p = rows.at(b, offsetof(BlockQ4K, qs) + 32 * k);
    for (int m = 0; m < kResidues; ++m) {
      const __m512i w = _mm512_loadu_si512(p + 64 * m);
      out[kResidues * 2 * k + m] = _mm512_and_si512(w, m4);
      out[kResidues * (2 * k + 1) + m] = _mm512_and_si512(_mm512_srli_epi16(w, 4), m4);
    }
  }
}

__attribute__((noinline)) void unpack_q5_k(const PackedRows& rows, std::int64_t b, __m512i* out) {
  const std::uint8_t* qh = rows.at(b, offsetof(BlockQ5K, qh));
  for (int k = 0; k < 4; ++k) {
    prefetch_packed<kQ5KPackedBlockBytes, kNearBytes, true>(rows, b, k, 4);
    const std::uint8_t* p = rows.at(b, offsetof(BlockQ5K, qs) + 32 * k);
    for (int m = 0; m < kResidues; ++m) {
      q5_k_weights(_mm512_loadu_si512(p + 64 * m), _mm512_loadu_si512(qh + 64 * m), k,
                   &out[kResidues * 2 * k + m], &out[kResidues * (2 * k + 1) + m]);
    }
  }
}

/// Block b (unpacked into w) times NT tokens, added to sums[t]: per token and sub-block 8
/// vpdpbusd (weights from L1, the activation broadcast from memory) and one vpmulld.
template <int NT>
__attribute__((noinline)) void unpacked_tokens(const PackedRows& rows, std::int64_t b,
                                               const PackedConsts& c, const __m512i* w,
                                               const ActQ4K* a, std::int64_t nb, __m512* sums) {
  const PackedScales g = packed_scales(rows, b, c);
  __m512i sumi[NT];
  for (int t = 0; t < NT; ++t) sumi[t] = _mm512_setzero_si512();
  for (int j = 0; j < kSubBlocks; ++j) {
    __m512i dot[NT];
    for (int t = 0; t < NT; ++t) dot[t] = _mm512_setzero_si512();
    for (int m = 0; m < kResidues; ++m) {
      const __m512i v = _mm512_load_si512(w + kResidues * j + m);
      for (int t = 0; t < NT; ++t) {
        dot[t] =
            _mm512_dpbusd_epi32(dot[t], v, _mm512_set1_epi32(a[t * nb].q.q[kResidues * j + m]));
      }
    }
    for (int t = 0; t < NT; ++t) {
      sumi[t] = _mm512_add_epi32(sumi[t], _mm512_mullo_epi32(dot[t], g.scales[j]));
    }
  }
  for (int t = 0; t < NT; ++t) add_block_sum(g, a[t * nb], sumi[t], &sums[t]);
}

/// A packed q4_k or q5_k product (their activations and scales are alike): passes of up to 4
/// tokens call block(nt, prefetch, group, b, c, a, sums), which adds block b of the group times
/// nt tokens (the first at a, one row of nb blocks apart) to sums; longer passes call
/// unpack(group, b, out) once per block and unpacked_tokens for every 8 tokens.
template <typename Block, typename Unpack>
void packed_product(QuantType type, const std::uint8_t* packed, std::int64_t nb,
                    std::int64_t row_begin, std::int64_t row_end, const BlockQ8K* a,
                    std::int64_t n_tokens, float* y, std::int64_t y_stride, Block&& block,
                    Unpack&& unpack) {
  thread_local std::vector<ActQ4K> acts;
  acts.resize(static_cast<std::size_t>(n_tokens * nb));
  prepare_activations(a, n_tokens * nb, acts.data());
  const PackedConsts c;
  alignas(64) __m512i unpacked[kUnpackedVectors];
  for_each_packed_pass(
      packed_rows(type, packed), nb, row_begin, row_end, n_tokens,
      [&](const PackedRows& group, std::int64_t g, std::int64_t t0, std::int64_t n) {
        const ActQ4K* pass = acts.data() + t0 * nb;
        const bool buffered = n > kTokensInRegisters;
        if (!buffered) {
          packed_group_pass(
              nb, g, row_begin, row_end, n, y + t0 * y_stride, y_stride,
              [&](auto nt, auto prefetch, std::int64_t b, std::int64_t t1, __m512* sums) {
                block(nt, prefetch, group, b, c, pass + t1 * nb + b, sums);
              });
          return;
        }
        packed_group_pass<kUnpackedTokensPerCall>(
            nb, g, row_begin, row_end, n, y + t0 * y_stride, y_stride,
            [&](auto nt, auto, std::int64_t b, std::int64_t t1, __m512* sums) {
              if (t1 == 0) unpack(group, b, unpacked);
              unpacked_tokens<nt()>(group, b, c, unpacked, pass + t1 * nb + b, nb, sums);
            });
      });
}

}  // namespace

void packed_q4_k_avx512_vbmi(const std::uint8_t* packed, std::int64_t nb, std::int64_t row_begin,
                             std::int64_t row_end, const BlockQ8K* a, std::int64_t n_tokens,
                             float* y, std::int64_t y_stride) {
  packed_product(
      QuantType::q4_k, packed, nb, row_begin, row_end, a, n_tokens, y, y_stride,
      [nb](auto nt, auto prefetch, const PackedRows& rows, std::int64_t b, const PackedConsts& c,
           const ActQ4K* at,
           __m512* sums) { packed_block<nt(), prefetch()>(rows, b, c, at, nb, sums); },
      unpack_q4_k);
}

void batch_q4_k_avx512_vbmi(const BlockQ4K* w, std::int64_t n_rows, std::int64_t nb,
                            const BlockQ8K* a, std::int64_t n_tokens, float* y,
                            std::int64_t y_stride) {
  thread_local std::vector<ActQ4K> acts;
  acts.resize(static_cast<std::size_t>(n_tokens * nb));
  prepare_activations(a, n_tokens * nb, acts.data());
  const Consts c;
  for_each_pass(n_rows, n_tokens,
                [&](std::int64_t r0, std::int64_t t0, std::int64_t n, bool fetch_next) {
                  row_group(w, n_rows, nb, r0, acts.data() + t0 * nb, n, fetch_next, c,
                            y + t0 * y_stride, y_stride);
                });
}

void packed_q5_k_avx512_vbmi(const std::uint8_t* packed, std::int64_t nb, std::int64_t row_begin,
                             std::int64_t row_end, const BlockQ8K* a, std::int64_t n_tokens,
                             float* y, std::int64_t y_stride) {
  packed_product(
      QuantType::q5_k, packed, nb, row_begin, row_end, a, n_tokens, y, y_stride,
      [nb](auto nt, auto prefetch, const PackedRows& rows, std::int64_t b, const PackedConsts& c,
           const ActQ4K* at,
           __m512* sums) { packed_q5_k_block<nt(), prefetch()>(rows, b, c, at, nb, sums); },
      unpack_q5_k);
}

}  // namespace r1::quant::x86
