// q4_0 and q4_1 products on the repacked layout (quant/packed_q4.h) with AVX2, one lane per
// weight row as the AVX-512 VNNI kernel (packed_q4_avx512_vnni.cpp), each 64-byte vector of a
// block taken as two halves of 8 rows. Per half a block is 4 loads, split into low and high
// nibbles (elements 4v..4v+3 and 16 + 4v..); each token then costs 8 pmaddubsw against its 4
// activation bytes broadcast, the 8 int16 results added in int16 (each pair <= 2 * 15 * 128, all
// 8 <= 30720: exact) and widened once with pmaddwd. Per block and 8 rows that is 9 integer
// multiplies where the row kernels (rows_legacy_avx2.cpp) spend 16, and the rows' scales convert
// 8 at a time with no horizontal sum.
//
// The integer sums are exact (q4_0's - 8 comes back as -8 * sum(a)), and each row's float sum
// takes its blocks in order with the reference's expression (ref::vec_dot_q4_0_q8_0:
// (sumi * dx) * dy; ref::vec_dot_q4_1_q8_1: (dx * dy) * sumi + mx * sy), lane by lane, so the
// products equal the reference bit for bit.
#include <immintrin.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <type_traits>
#include <vector>

#include "quant/blocks.h"
#include "quant/packed_q4.h"
#include "quant/x86/avx2_common.h"
#include "quant/x86/packed_q4_common.h"
#include "quant/x86/simd_kernels.h"

namespace r1::quant::x86 {
namespace {

constexpr int kMaxPassTokens = kPackedQ4MaxPassTokens;
constexpr int kTokensInRegisters = 4;  // tokens sharing one split of a block half
constexpr std::ptrdiff_t kBlockQuantBytes = 256;
constexpr std::ptrdiff_t kPrefetchBytes = 8192;
constexpr std::ptrdiff_t kPrefetchBlocks = kPrefetchBytes / kBlockQuantBytes;
constexpr int kHalfRows = 8;

using TokenBlock = PackedQ4TokenBlock;
template <bool Q41>
using Activation = PackedQ4Activation<Q41>;

inline __m256 load_halves(const std::uint8_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

/// acc plus one block's term for half h of a group's rows, from its int16 sums sum16, the rows'
/// scales dx and the token's block s, in the reference's float order (see the top).
template <bool Q41>
inline __m256 add_block_sum(__m256 acc, __m256i sum16, __m256 dx, const std::uint8_t* head, int h,
                            const TokenBlock& s) {
  const __m256 sumi = _mm256_cvtepi32_ps(
      _mm256_add_epi32(_mm256_madd_epi16(sum16, _mm256_set1_epi16(1)), _mm256_set1_epi32(s.start)));
  const __m256 dy = _mm256_set1_ps(s.d);
  if constexpr (Q41) {
    const __m256 mx = load_halves(head + 32 + 2 * kHalfRows * h);
    const __m256 term = _mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(dx, dy), sumi),
                                      _mm256_mul_ps(mx, _mm256_set1_ps(s.s)));
    return _mm256_add_ps(acc, term);
  }
  return _mm256_add_ps(acc, _mm256_mul_ps(_mm256_mul_ps(sumi, dx), dy));
}

/// Half h (rows 8 h .. 8 h + 7) of block b of one group (heads at head, quants at quants) times
/// NT tokens (token t's block at a[t * nb], tb[t * nb]), added to acc[t].
template <bool Q41, int NT>
inline void half_tokens(int h, const std::uint8_t* head, const std::uint8_t* quants,
                        const Activation<Q41>* a, const TokenBlock* tb, std::int64_t nb,
                        __m256* acc) {
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  __m256i low[4], high[4];
  for (int v = 0; v < 4; ++v) {
    const __m256i w =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(quants + 64 * v + 32 * h));
    low[v] = _mm256_and_si256(w, m4);
    high[v] = _mm256_and_si256(_mm256_srli_epi16(w, 4), m4);
  }
  const __m256 dx = load_halves(head + 2 * kHalfRows * h);
  for (int t = 0; t < NT; ++t) {
    const std::int8_t* qs = a[t * nb].qs;
    const TokenBlock& s = tb[t * nb];
    __m256i sum16 = _mm256_setzero_si256();
    for (int v = 0; v < 4; ++v) {
      sum16 = _mm256_add_epi16(sum16, _mm256_maddubs_epi16(low[v], broadcast4(qs + 4 * v)));
      sum16 = _mm256_add_epi16(sum16, _mm256_maddubs_epi16(high[v], broadcast4(qs + 16 + 4 * v)));
    }
    acc[t] = add_block_sum<Q41>(acc[t], sum16, dx, head, h, s);
  }
}

/// Block b for n (<= kTokensInRegisters) tokens; acc[h][t] is token t's half h.
template <bool Q41, bool Prefetch>
inline void block_chunk(int n, const std::uint8_t* head, const std::uint8_t* quants,
                        const Activation<Q41>* a, const TokenBlock* tb, std::int64_t nb,
                        __m256* const acc[2]) {
  constexpr std::ptrdiff_t kHeadBytes = Q41 ? 64 : 32;
  if constexpr (Prefetch) {
    for (int line = 0; line < 4; ++line)
      _mm_prefetch(reinterpret_cast<const char*>(quants + kPrefetchBytes + 64 * line), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(head + kPrefetchBlocks * kHeadBytes), _MM_HINT_T0);
  }
  for (int h = 0; h < 2; ++h) {
    switch (n) {
      case 1:
        half_tokens<Q41, 1>(h, head, quants, a, tb, nb, acc[h]);
        break;
      case 2:
        half_tokens<Q41, 2>(h, head, quants, a, tb, nb, acc[h]);
        break;
      case 3:
        half_tokens<Q41, 3>(h, head, quants, a, tb, nb, acc[h]);
        break;
      default:
        half_tokens<Q41, 4>(h, head, quants, a, tb, nb, acc[h]);
        break;
    }
  }
}

/// One token (decode) over every block of a group (heads at heads, quants at quants), added to
/// acc[0] (rows 0-7) and acc[1] (rows 8-15): both halves of a block share the token's
/// broadcasts, and the row sums stay in registers. Lane by lane the operations of
/// half_tokens<Q41, 1> in the same order, so the same bits.
template <bool Q41>
__attribute__((noinline)) void group_one_token(const std::uint8_t* heads_in,
                                               const std::uint8_t* quants_in,
                                               const Activation<Q41>* a_in, const TokenBlock* tb_in,
                                               std::int64_t nb, __m256* acc) {
  constexpr std::ptrdiff_t kHeadBytes = Q41 ? 64 : 32;
  const std::uint8_t* const heads = heads_in;
  const std::uint8_t* const quants_of_group = quants_in;
  const Activation<Q41>* const a = a_in;
  const TokenBlock* const tb = tb_in;
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  __m256 sums[2] = {acc[0], acc[1]};
  for (std::int64_t b = 0; b < nb; ++b) {
    const std::uint8_t* const head = heads + b * kHeadBytes;
    const std::uint8_t* const quants = quants_of_group + b * kBlockQuantBytes;
    for (int line = 0; line < 4; ++line)
      _mm_prefetch(reinterpret_cast<const char*>(quants + kPrefetchBytes + 64 * line), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(head + kPrefetchBlocks * kHeadBytes), _MM_HINT_T0);
    const std::int8_t* const qs = a[b].qs;
    const TokenBlock& s = tb[b];
    __m256i sum16[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
    for (int v = 0; v < 4; ++v) {
      const __m256i a_low = broadcast4(qs + 4 * v);
      const __m256i a_high = broadcast4(qs + 16 + 4 * v);
      for (int h = 0; h < 2; ++h) {
        const __m256i w =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(quants + 64 * v + 32 * h));
        sum16[h] = _mm256_add_epi16(sum16[h], _mm256_maddubs_epi16(_mm256_and_si256(w, m4), a_low));
        in_order(sum16[h]);
        sum16[h] = _mm256_add_epi16(
            sum16[h], _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(w, 4), m4), a_high));
        in_order(sum16[h]);
      }
    }
    for (int h = 0; h < 2; ++h)
      sums[h] =
          add_block_sum<Q41>(sums[h], sum16[h], load_halves(head + 2 * kHalfRows * h), head, h, s);
  }
  acc[0] = sums[0];
  acc[1] = sums[1];
}

/// One pass of n_tokens (<= kMaxPassTokens) over group g; lanes outside [row_begin, row_end)
/// are not stored.
template <bool Q41>
void group_pass(const std::uint8_t* packed, std::int64_t nb, std::int64_t g, std::int64_t row_begin,
                std::int64_t row_end, const Activation<Q41>* a, const TokenBlock* tb,
                std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  constexpr QuantType kType = Q41 ? QuantType::q4_1 : QuantType::q4_0;
  constexpr std::ptrdiff_t kHeadBytes = Q41 ? 64 : 32;
  const std::uint8_t* group =
      packed + static_cast<std::size_t>(g) * packed_q4_group_bytes(kType, nb);
  const std::uint8_t* quants = group + packed_q4_head_bytes(kType, nb);
  __m256 acc[2][kMaxPassTokens];
  for (std::int64_t t = 0; t < n_tokens; ++t) acc[0][t] = acc[1][t] = _mm256_setzero_ps();
  if (n_tokens == 1) {
    __m256 pair[2] = {acc[0][0], acc[1][0]};
    group_one_token<Q41>(group, quants, a, tb, nb, pair);
    acc[0][0] = pair[0];
    acc[1][0] = pair[1];
  }
  for (std::int64_t b = 0; n_tokens > 1 && b < nb; ++b) {
    const std::uint8_t* head = group + b * kHeadBytes;
    const std::uint8_t* q = quants + b * kBlockQuantBytes;
    for (std::int64_t t0 = 0; t0 < n_tokens; t0 += kTokensInRegisters) {
      const int n = static_cast<int>(std::min<std::int64_t>(kTokensInRegisters, n_tokens - t0));
      __m256* const chunk[2] = {acc[0] + t0, acc[1] + t0};
      if (t0 == 0) {
        block_chunk<Q41, true>(n, head, q, a + b, tb + b, nb, chunk);
      } else {
        block_chunk<Q41, false>(n, head, q, a + t0 * nb + b, tb + t0 * nb + b, nb, chunk);
      }
    }
  }
  store_group_rows(acc, g, row_begin, row_end, n_tokens, y, y_stride);
}

template <bool Q41>
void product(const std::uint8_t* packed, std::int64_t nb, std::int64_t row_begin,
             std::int64_t row_end, const Activation<Q41>* a, std::int64_t n_tokens, float* y,
             std::int64_t y_stride) {
  packed_q4_passes<Q41>(nb, row_begin, row_end, a, n_tokens, y, y_stride,
                        [&](std::int64_t g, const Activation<Q41>* pass_a, const TokenBlock* tb,
                            std::int64_t n, float* pass_y) {
                          group_pass<Q41>(packed, nb, g, row_begin, row_end, pass_a, tb, n, pass_y,
                                          y_stride);
                        });
}

}  // namespace

void packed_q4_avx2(QuantType type, const std::uint8_t* packed, std::int64_t nb,
                    std::int64_t row_begin, std::int64_t row_end, const void* activations,
                    std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  if (type == QuantType::q4_1) {
    return product<true>(packed, nb, row_begin, row_end, static_cast<const BlockQ8_1*>(activations),
                         n_tokens, y, y_stride);
  }
  product<false>(packed, nb, row_begin, row_end, static_cast<const BlockQ8_0*>(activations),
                 n_tokens, y, y_stride);
}

}  // namespace r1::quant::x86
