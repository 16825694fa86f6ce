// Products of q6_k weights with small batches of tokens with 512-bit VNNI and VBMI, rows along
// the vector lanes, as the q4_k batch kernel (see there for the residue order).
//
// A 32-element group holds two 16-element sub-blocks; in residue order dword m holds elements
// m, m + 8 (first sub-block) and m + 16, m + 24 (second), so vpmaddubsw gives one int16 per
// sub-block and vpdpwssd scales the pair by the two sub-blocks' scales into residue m's int32
// lane. vpmaddubsw wants one unsigned operand: the activations are made unsigned (a + 128) and
// the weights signed (q - 32), and each row's accumulators start from -128 * sum(scale * (q -
// 32)) per residue, computed once per super-block for all the tokens (vpdpbusd of the unsigned
// q with the scales, less 64 * the sum of the scales). The float update is the reference's
// (ref::vec_dot_q6_k_q8_k), one lane per row.
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
#include "quant/x86/simd_kernels.h"

namespace r1::quant::x86 {
namespace {

using namespace batch_k;

constexpr int kGroups = 8;  // of 32 elements (two sub-blocks each)
constexpr std::ptrdiff_t kPrefetchBytes = 3 * sizeof(BlockQ6K);  // ahead of each row stream
constexpr std::ptrdiff_t kPackedBlockBytes = (16 * sizeof(BlockQ6K) + 63) / 64 * 64;

/// One token's Q8_K block in residue order, as unsigned bytes a + 128.
struct ActQ6K {
  ActResidues q;
  float d;
};

/// One super-block of 16 rows, unpacked, lane r = row r.
struct GroupBlock {
  __m512i q[kGroups][kResidues];  // q - 32 as signed bytes
  __m512i scales[kGroups];        // int16 pairs (scale 2 c, scale 2 c + 1)
  __m512i start[kResidues];       // each token's accumulator start
  __m512 d;
};

/// vpshufb index: in every dword k of a 128-bit lane, bytes 4 k + pick[i] (-1: zero).
__m512i pick_bytes(int b0, int b1, int b2, int b3) {
  alignas(64) std::int8_t idx[64];
  const int pick[4] = {b0, b1, b2, b3};
  for (int j = 0; j < 64; ++j) {
    const int p = pick[j % 4];
    idx[j] = static_cast<std::int8_t>(p < 0 ? -128 : 4 * ((j % 16) / 4) + p);
  }
  return _mm512_load_si512(idx);
}

struct Consts {
  __m512i order = residue_order();
  // Group c's scales (2 c, 2 c + 1) sit in bytes 2 (c % 2), + 1 of the scales' dword c / 2.
  __m512i scale_bytes[2] = {pick_bytes(0, 0, 1, 1), pick_bytes(2, 2, 3, 3)};  // for vpdpbusd
  __m512i scale_words[2] = {pick_bytes(-1, 0, -1, 1), pick_bytes(-1, 2, -1, 3)};  // << 8
  alignas(64) int offsets[kRows];  // of each row's block from row 0's
};

/// The 16 rows' d of block b: gathered from the file's rows, loaded from a packed block.
inline __m512 block_scales(const Rows& rows, std::int64_t b, const Consts& c) {
  const __m512i dbits = _mm512_i32gather_epi32(_mm512_load_si512(c.offsets),
                                               rows.at(0, b, offsetof(BlockQ6K, d) - 2), 1);
  return _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(dbits, 16)));
}

inline __m512 block_scales(const PackedRows& rows, std::int64_t b, const Consts&) {
  return _mm512_cvtph_ps(
      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows.at(b, offsetof(BlockQ6K, d)))));
}

template <bool Sweep, class Source>
inline void unpack_block(const Source& rows, std::int64_t b, const Consts& c, NextGroup* next,
                         GroupBlock* g) {
  g->d = block_scales(rows, b, c);
  __m512i sc[4];  // scale bytes 4 k..4 k + 3 of each row
  transpose_16_bytes(rows, b, offsetof(BlockQ6K, scales), sc);
  __m512i scale_bytes[kGroups];
  __m512i sum_scales = _mm512_setzero_si512();
  const __m512i ones = _mm512_set1_epi8(1);
  for (int k = 0; k < 4; ++k) sum_scales = _mm512_dpbusd_epi32(sum_scales, ones, sc[k]);
  for (int cg = 0; cg < kGroups; ++cg) {
    scale_bytes[cg] = _mm512_shuffle_epi8(sc[cg / 2], c.scale_bytes[cg % 2]);
    g->scales[cg] = _mm512_srai_epi16(_mm512_shuffle_epi8(sc[cg / 2], c.scale_words[cg % 2]), 8);
  }
  // sum over groups of scale * q per residue (q unsigned), for the accumulators' start.
  __m512i sq[kResidues];
  for (auto& v : sq) v = _mm512_setzero_si512();
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  const __m512i bits45 = _mm512_set1_epi8(0x30);
  const __m512i m32 = _mm512_set1_epi8(32);
  for (int h = 0; h < 2; ++h) {
    __m512i high[kResidues];  // qh: 2 bits of groups 4 h + u at bits 2 u
    transpose_group(rows, b, offsetof(BlockQ6K, qh) + 32 * h, c.order, high);
    for (int v = 0; v < 2; ++v) {
      if constexpr (Sweep) sweep(b, 2 * h + v, 4, sizeof(BlockQ6K), next);
      __m512i low[kResidues];  // ql: low nibbles of group 4 h + v, high of 4 h + 2 + v
      transpose_group(rows, b, offsetof(BlockQ6K, ql) + 64 * h + 32 * v, c.order, low);
      const int g_lo = 4 * h + v;
      const int g_hi = g_lo + 2;
      for (int m = 0; m < kResidues; ++m) {
        // 16-bit shifts: the bits that cross into a neighbouring byte are masked off.
        const __m512i hb_lo = v == 0 ? _mm512_slli_epi16(high[m], 4) : _mm512_slli_epi16(high[m], 2);
        const __m512i hb_hi = v == 0 ? high[m] : _mm512_srli_epi16(high[m], 2);
        // lo | (hb & 0x30): ternary 0xF8 on (lo, hb, 0x30) is a | (b & c).
        const __m512i q_lo = _mm512_ternarylogic_epi32(_mm512_and_si512(low[m], low4), hb_lo,
                                                       bits45, 0xF8);
        const __m512i q_hi = _mm512_ternarylogic_epi32(
            _mm512_and_si512(_mm512_srli_epi16(low[m], 4), low4), hb_hi, bits45, 0xF8);
        sq[m] = _mm512_dpbusd_epi32(sq[m], q_lo, scale_bytes[g_lo]);
        sq[m] = _mm512_dpbusd_epi32(sq[m], q_hi, scale_bytes[g_hi]);
        g->q[g_lo][m] = _mm512_sub_epi8(q_lo, m32);
        g->q[g_hi][m] = _mm512_sub_epi8(q_hi, m32);
      }
    }
  }
  // Residue m has 2 elements of each of the 16 sub-blocks: sum(scale * (q - 32)) is
  // sq - 64 * sum(scales); the token's sum of (a + 128) * scale * (q - 32) is 128 times that
  // too many.
  const __m512i sixty_four_sum = _mm512_slli_epi32(sum_scales, 6);
  for (int m = 0; m < kResidues; ++m) {
    g->start[m] = _mm512_slli_epi32(_mm512_sub_epi32(sixty_four_sum, sq[m]), 7);
  }
}

inline void accumulate_token(const GroupBlock& g, const ActQ6K& a, __m512* sums) {
  __m512i acc[kResidues];
  for (int m = 0; m < kResidues; ++m) acc[m] = g.start[m];
  for (int cg = 0; cg < kGroups; ++cg) {
    const __m512i scale = g.scales[cg];
    for (int m = 0; m < kResidues; ++m) {
      const __m512i p =
          _mm512_maddubs_epi16(_mm512_set1_epi32(a.q.q[kResidues * cg + m]), g.q[cg][m]);
      acc[m] = _mm512_dpwssd_epi32(acc[m], p, scale);
    }
  }
  const __m512 d = _mm512_mul_ps(g.d, _mm512_set1_ps(a.d));
  for (int m = 0; m < kResidues; ++m) {
    sums[m] = _mm512_add_ps(sums[m], _mm512_mul_ps(d, _mm512_cvtepi32_ps(acc[m])));
  }
}

void row_group(const BlockQ6K* w, std::int64_t n_rows, std::int64_t nb, std::int64_t r0,
               const ActQ6K* a, std::int64_t n_tokens, bool prefetch_next, Consts& c, float* y,
               std::int64_t y_stride) {
  Rows rows{{}, sizeof(BlockQ6K)};
  for (int r = 0; r < kRows; ++r) {
    rows.row[r] = reinterpret_cast<const std::uint8_t*>(w + std::min(r0 + r, n_rows - 1) * nb);
    c.offsets[r] = static_cast<int>(rows.row[r] - rows.row[0]);
  }
  NextGroup next = next_group(reinterpret_cast<const std::uint8_t*>(w), n_rows,
                              static_cast<std::ptrdiff_t>(nb * sizeof(BlockQ6K)), r0,
                              prefetch_next);
  __m512 sums[kMaxPassTokens][kResidues];
  for (std::int64_t t = 0; t < n_tokens; ++t) {
    for (auto& l : sums[t]) l = _mm512_setzero_ps();
  }
  GroupBlock g;
  const auto blocks = [&](auto sweep) {
    for (std::int64_t b = 0; b < nb; ++b) {
      prefetch<sizeof(BlockQ6K), kPrefetchBytes, true>(rows, b, next);
      unpack_block<decltype(sweep)::value, Rows>(rows, b, c, &next, &g);
      for (std::int64_t t = 0; t < n_tokens; ++t) accumulate_token(g, a[t * nb + b], sums[t]);
    }
  };
  with_sweep(next, blocks);
  const __mmask16 lanes = row_lanes(n_rows, r0);
  for (std::int64_t t = 0; t < n_tokens; ++t) {
    __m512 out = _mm512_setzero_ps();  // the reference's finish(sums, 0.0f)
    for (const __m512& l : sums[t]) out = _mm512_add_ps(out, l);
    _mm512_mask_storeu_ps(y + t * y_stride + r0, lanes, out);
  }
}

// The packed matrices (quant/packed_k.h) take a shorter road, no longer the reference's float
// order (as q4_k's, see there): every integer sum is exact, only the float sums differ. The
// weights stay unsigned (q, not q - 32) and the activations signed, so vpmaddubsw's pair sums
// of residues m and m + 1 can be added in int16 (|2 * 2 * 63 * 128| < 2^15) before one vpdpwssd
// with the two sub-blocks' scales; the 32 q of the unsigned weights are taken back per token
// with the activations' sub-block sums (bsums): 32 * sum(scale * bsum). Per token and
// super-block: 64 vpmaddubsw, 32 vpaddw, 40 vpdpwssd (the residue order: 64 + 64, and 8 float
// updates per row instead of 1). Nothing is stored between unpacking and use; up to 4 tokens
// share each unpacked vector. A pass of more tokens (prompts, batched decode) unpacks each block
// once into L1 with one sub-block per dword (residue pairs rearranged), so that vpdpbusd sums
// each sub-block's products and one vpmulld scales them (sub_block_tokens): 1.6-1.8x faster at
// 8-16 tokens (r1_bench_quant_decode --types q6_k --shapes in_l2 --working-set-mib 0).

/// One token's Q8_K block for the packed kernel: qs in residue order (signed), dword c of
/// sub_sums the int16 sums of sub-blocks 2 c and 2 c + 1; and for passes of more than 4 tokens
/// the same bytes one sub-block per dword (first_sub_block, second_sub_block).
struct ActQ6KPacked {
  ActResidues q;
  std::int32_t sub_sums[8];
  float d;
  std::int32_t by_sub_block[8][4][2];  // group, residue pair, which of its two sub-blocks
};

/// Residue dwords x (elements m, m + 8 | m + 16, m + 24 of a group) and y (m + 1, m + 9 |
/// m + 17, m + 25) rearranged so that each dword holds one sub-block's elements: first
/// (m, m + 8, m + 1, m + 9), second (m + 16, m + 24, m + 17, m + 25).
inline std::int32_t first_sub_block(std::int32_t x, std::int32_t y) {
  return static_cast<std::int32_t>((static_cast<std::uint32_t>(x) & 0xFFFFu) |
                                   (static_cast<std::uint32_t>(y) << 16));
}
inline std::int32_t second_sub_block(std::int32_t x, std::int32_t y) {
  return static_cast<std::int32_t>((static_cast<std::uint32_t>(x) >> 16) |
                                   (static_cast<std::uint32_t>(y) & 0xFFFF0000u));
}
// The same on 16 rows' vectors.
inline __m512i first_sub_block(__m512i x, __m512i y) {
  return _mm512_mask_blend_epi16(0xAAAAAAAA, x, _mm512_slli_epi32(y, 16));
}
inline __m512i second_sub_block(__m512i x, __m512i y) {
  return _mm512_mask_blend_epi16(0xAAAAAAAA, _mm512_srli_epi32(x, 16), y);
}

void prepare_packed_activations(const BlockQ8K* a, std::int64_t n, bool by_sub_block,
                                ActQ6KPacked* out) {
  const __m512i order = residue_order();
  for (std::int64_t i = 0; i < n; ++i) {
    residue_activations(a[i], order, 0, &out[i].q);
    for (int c = 0; c < 8; ++c) {
      const auto lo = static_cast<std::uint16_t>(a[i].bsums[2 * c]);
      const auto hi = static_cast<std::uint16_t>(a[i].bsums[2 * c + 1]);
      out[i].sub_sums[c] = static_cast<std::int32_t>(lo | (std::uint32_t{hi} << 16));
      for (int p = 0; p < 4 && by_sub_block; ++p) {
        const std::int32_t x = out[i].q.q[kResidues * c + 2 * p];
        const std::int32_t y = out[i].q.q[kResidues * c + 2 * p + 1];
        out[i].by_sub_block[c][p][0] = first_sub_block(x, y);
        out[i].by_sub_block[c][p][1] = second_sub_block(x, y);
      }
    }
    out[i].d = a[i].d;
  }
}

/// Each line of the stream is asked for this far ahead, into L1, as in the q4_k product.
constexpr std::ptrdiff_t kNearBytes = 8192;

/// Block b's d and scales (int16 pairs: scale 2 c, scale 2 c + 1 of group c) of the 16 rows.
inline __m512 packed_scales(const PackedRows& rows, std::int64_t b, const Consts& c,
                            __m512i* scales) {
  __m512i sc[4];  // scale bytes 4 k..4 k + 3 of each row
  transpose_16_bytes(rows, b, offsetof(BlockQ6K, scales), sc);
  for (int cg = 0; cg < kGroups; ++cg) {
    scales[cg] = _mm512_srai_epi16(_mm512_shuffle_epi8(sc[cg / 2], c.scale_words[cg % 2]), 8);
  }
  return block_scales(rows, b, c);
}

/// Residue m of block b's ql/qh group (h, v) as 6-bit q (0..63): q_lo for group 4 h + v (low
/// nibbles of ql, qh bits 2 v), q_hi for group 4 h + 2 + v (high nibbles, qh bits 4 + 2 v).
inline void unpack_q6_k(const PackedRows& rows, std::int64_t b, int h, int v, int m, __m512i* q_lo,
                        __m512i* q_hi) {
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  const __m512i bits45 = _mm512_set1_epi8(0x30);
  const __m512i high = _mm512_loadu_si512(rows.at(b, offsetof(BlockQ6K, qh) + 32 * h) + 64 * m);
  const __m512i low =
      _mm512_loadu_si512(rows.at(b, offsetof(BlockQ6K, ql) + 64 * h + 32 * v) + 64 * m);
  // 16-bit shifts: the bits that cross into a neighbouring byte are masked off.
  const __m512i hb_lo = v == 0 ? _mm512_slli_epi16(high, 4) : _mm512_slli_epi16(high, 2);
  const __m512i hb_hi = v == 0 ? high : _mm512_srli_epi16(high, 2);
  // lo | (hb & 0x30): ternary 0xF8 on (lo, hb, 0x30) is a | (b & c).
  *q_lo = _mm512_ternarylogic_epi32(_mm512_and_si512(low, low4), hb_lo, bits45, 0xF8);
  *q_hi = _mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_srli_epi16(low, 4), low4), hb_hi,
                                    bits45, 0xF8);
}

/// One token's block sum (sumi: the integer sum of scale * q * a, q unsigned) into the rows'
/// float sums: d * a.d * (sumi - 32 * sum(scale * bsum)).
inline void add_block_sum(__m512 d, const __m512i* scales, const ActQ6KPacked& a, __m512i sumi,
                          __m512* sum) {
  __m512i offset = _mm512_setzero_si512();  // sum(scale * bsum): 32 of it too much in sumi
  for (int cg = 0; cg < kGroups; ++cg) {
    offset = _mm512_dpwssd_epi32(offset, scales[cg], _mm512_set1_epi32(a.sub_sums[cg]));
  }
  sumi = _mm512_sub_epi32(sumi, _mm512_slli_epi32(offset, 5));
  *sum = _mm512_fmadd_ps(_mm512_mul_ps(d, _mm512_set1_ps(a.d)), _mm512_cvtepi32_ps(sumi), *sum);
}

/// Block b's 64 vectors one sub-block per dword (first_sub_block / second_sub_block of residue
/// pair p of group c at out[2 (4 c + p)], out[2 (4 c + p) + 1]), for passes of more than 4
/// tokens; the block kNearBytes on is fetched.
inline void unpack_by_sub_block(const PackedRows& rows, std::int64_t b, __m512i* out) {
  for (int hv = 0; hv < 4; ++hv) {
    prefetch_packed<kPackedBlockBytes, kNearBytes, true>(rows, b, hv, 4);
    const int h = hv / 2, v = hv % 2, g_lo = 4 * h + v, g_hi = g_lo + 2;
    for (int p = 0; p < 4; ++p) {
      __m512i x_lo, x_hi, y_lo, y_hi;
      unpack_q6_k(rows, b, h, v, 2 * p, &x_lo, &x_hi);
      unpack_q6_k(rows, b, h, v, 2 * p + 1, &y_lo, &y_hi);
      out[2 * (4 * g_lo + p)] = first_sub_block(x_lo, y_lo);
      out[2 * (4 * g_lo + p) + 1] = second_sub_block(x_lo, y_lo);
      out[2 * (4 * g_hi + p)] = first_sub_block(x_hi, y_hi);
      out[2 * (4 * g_hi + p) + 1] = second_sub_block(x_hi, y_hi);
    }
  }
}

/// Block b (unpacked by sub-block into w) times NT tokens, added to sums[t]: each sub-block's
/// 16 products per row summed by 4 vpdpbusd into one int32, then scaled once (vpmulld): per
/// token and super-block 64 vpdpbusd, 16 vpmulld and the 8 vpdpwssd of the offset, against the
/// one-at-a-time path's 64 vpmaddubsw and 40 vpdpwssd.
template <int NT>
__attribute__((noinline)) void sub_block_tokens(const PackedRows& rows, std::int64_t b,
                                                const Consts& c, const __m512i* w,
                                                const ActQ6KPacked* a, std::int64_t nb,
                                                __m512* sums) {
  __m512i scales[kGroups];
  const __m512 d = packed_scales(rows, b, c, scales);
  __m512i sumi[NT];
  for (int t = 0; t < NT; ++t) sumi[t] = _mm512_setzero_si512();
  for (int cg = 0; cg < kGroups; ++cg) {
    const __m512i first = _mm512_srai_epi32(_mm512_slli_epi32(scales[cg], 16), 16);
    const __m512i second = _mm512_srai_epi32(scales[cg], 16);
    for (int t = 0; t < NT; ++t) {
      const std::int32_t(*x)[2] = a[t * nb].by_sub_block[cg];
      __m512i dot0 = _mm512_setzero_si512(), dot1 = _mm512_setzero_si512();
      for (int p = 0; p < 4; ++p) {
        dot0 = _mm512_dpbusd_epi32(dot0, w[2 * (4 * cg + p)], _mm512_set1_epi32(x[p][0]));
        dot1 = _mm512_dpbusd_epi32(dot1, w[2 * (4 * cg + p) + 1], _mm512_set1_epi32(x[p][1]));
      }
      sumi[t] = _mm512_add_epi32(sumi[t], _mm512_mullo_epi32(dot0, first));
      sumi[t] = _mm512_add_epi32(sumi[t], _mm512_mullo_epi32(dot1, second));
    }
  }
  for (int t = 0; t < NT; ++t) add_block_sum(d, scales, a[t * nb], sumi[t], &sums[t]);
}

/// Block b of the group times NT tokens (token t's block at a[t * nb]), added to sums[t];
/// Prefetch: the block kNearBytes on is fetched.
/// Not inlined: one call per block of hundreds of instructions, and inlined with its 8
/// instantiations into one function GCC 12 allocated the registers worse (q6_k from L2 at one
/// token 1.3-1.45x slower, r1_bench_quant_decode --shapes in_l2 --working-set-mib 0).
template <int NT, bool Prefetch>
__attribute__((noinline)) void packed_block(const PackedRows& rows, std::int64_t b, const Consts& c,
                                            const ActQ6KPacked* a, std::int64_t nb, __m512* sums) {
  __m512i scales[kGroups];  // int16 pairs (scale 2 c, scale 2 c + 1)
  const __m512 d = packed_scales(rows, b, c, scales);
  constexpr int kChains = NT == 1 ? 4 : 2;  // int32 accumulators per token (latency)
  __m512i acc[NT][kChains];
  for (auto& token : acc) {
    for (auto& v : token) v = _mm512_setzero_si512();
  }
  for (int h = 0; h < 2; ++h) {
    for (int v = 0; v < 2; ++v) {
      if constexpr (Prefetch)
        prefetch_packed<kPackedBlockBytes, kNearBytes, true>(rows, b, 2 * h + v, 4);
      const int g_lo = 4 * h + v;  // low nibbles of ql, qh bits 2 v
      const int g_hi = g_lo + 2;   // high nibbles, qh bits 4 + 2 v
      __m512i pair_lo[NT], pair_hi[NT];
      for (int m = 0; m < kResidues; ++m) {
        __m512i q_lo, q_hi;
        unpack_q6_k(rows, b, h, v, m, &q_lo, &q_hi);
        for (int t = 0; t < NT; ++t) {
          const std::int32_t* q = a[t * nb].q.q;
          const __m512i p_lo =
              _mm512_maddubs_epi16(q_lo, _mm512_set1_epi32(q[kResidues * g_lo + m]));
          const __m512i p_hi =
              _mm512_maddubs_epi16(q_hi, _mm512_set1_epi32(q[kResidues * g_hi + m]));
          if (m % 2 == 0) {
            pair_lo[t] = p_lo;
            pair_hi[t] = p_hi;
            continue;
          }
          const int chain = (m / 2) % kChains;
          acc[t][chain] =
              _mm512_dpwssd_epi32(acc[t][chain], _mm512_add_epi16(pair_lo[t], p_lo), scales[g_lo]);
          const int other = (chain + 1) % kChains;
          acc[t][other] =
              _mm512_dpwssd_epi32(acc[t][other], _mm512_add_epi16(pair_hi[t], p_hi), scales[g_hi]);
        }
      }
    }
  }
  for (int t = 0; t < NT; ++t) {
    __m512i sumi = acc[t][0];
    for (int k = 1; k < kChains; ++k) sumi = _mm512_add_epi32(sumi, acc[t][k]);
    add_block_sum(d, scales, a[t * nb], sumi, &sums[t]);
  }
}

// One pass over group g of a packed matrix.
void packed_group(const PackedRows& rows, std::int64_t nb, std::int64_t g, std::int64_t row_begin,
                  std::int64_t row_end, const ActQ6KPacked* a, std::int64_t n_tokens,
                  const Consts& c, float* y, std::int64_t y_stride) {
  // More tokens than the registers hold: each block is unpacked once, one sub-block per dword,
  // into `by_sub_block` (L1), and every 4 tokens read it from there.
  alignas(64) __m512i by_sub_block[kGroups * kResidues];
  const bool buffered = n_tokens > kTokensInRegisters;
  packed_group_pass(nb, g, row_begin, row_end, n_tokens, y, y_stride,
                    [&](auto nt, auto prefetch, std::int64_t b, std::int64_t t0, __m512* sums) {
                      const ActQ6KPacked* at = a + t0 * nb + b;
                      if (!buffered) {
                        packed_block<nt(), prefetch()>(rows, b, c, at, nb, sums);
                        return;
                      }
                      if (t0 == 0) unpack_by_sub_block(rows, b, by_sub_block);
                      sub_block_tokens<nt()>(rows, b, c, by_sub_block, at, nb, sums);
                    });
}

void prepare_activations(const BlockQ8K* a, std::int64_t n, ActQ6K* out) {
  const __m512i order = residue_order();
  for (std::int64_t i = 0; i < n; ++i) {
    residue_activations(a[i], order, static_cast<std::int8_t>(0x80), &out[i].q);
    out[i].d = a[i].d;
  }
}

}  // namespace

void packed_q6_k_avx512_vbmi(const std::uint8_t* packed, std::int64_t nb, std::int64_t row_begin,
                             std::int64_t row_end, const BlockQ8K* a, std::int64_t n_tokens,
                             float* y, std::int64_t y_stride) {
  thread_local std::vector<ActQ6KPacked> acts;
  acts.resize(static_cast<std::size_t>(n_tokens * nb));
  // (the sub-block order only for passes of more than 4 tokens: see packed_group)
  prepare_packed_activations(a, n_tokens * nb, n_tokens > kTokensInRegisters, acts.data());
  const Consts c{};
  for_each_packed_pass(packed_rows(QuantType::q6_k, packed), nb, row_begin, row_end, n_tokens,
                       [&](const PackedRows& group, std::int64_t g, std::int64_t t0, std::int64_t n) {
                         packed_group(group, nb, g, row_begin, row_end, acts.data() + t0 * nb, n,
                                      c, y + t0 * y_stride, y_stride);
                       });
}

void batch_q6_k_avx512_vbmi(const BlockQ6K* w, std::int64_t n_rows, std::int64_t nb,
                            const BlockQ8K* a, std::int64_t n_tokens, float* y,
                            std::int64_t y_stride) {
  thread_local std::vector<ActQ6K> acts;
  acts.resize(static_cast<std::size_t>(n_tokens * nb));
  prepare_activations(a, n_tokens * nb, acts.data());
  Consts c;
  for_each_pass(n_rows, n_tokens, [&](std::int64_t r0, std::int64_t t0, std::int64_t n,
                                      bool fetch_next) {
    row_group(w, n_rows, nb, r0, acts.data() + t0 * nb, n, fetch_next, c, y + t0 * y_stride,
              y_stride);
  });
}

}  // namespace r1::quant::x86
