// q4_0 and q4_1 products on the repacked layout (quant/packed_q4.h) with 512-bit VNNI, one lane
// per weight row, as the packed q8_0 kernel: a block of 16 rows is 4 vector loads, split into
// low nibbles (w & 15: elements 4v..4v+3) and high nibbles in place (w & 0xF0 = 16 q: elements
// 16 + 4v..), and each token then costs 8 vpdpbusd with its 4 activation bytes broadcast; the
// high nibbles' sum is 16 times too large, exactly, and is shifted back once per block.
//
// The integer sums are exact (q4_0's - 8 comes back as -8 * sum(a), from the accumulator's
// start), and each row's float sum takes its blocks in order with the reference's expression
// (ref::vec_dot_q4_0_q8_0: (sumi * dx) * dy; ref::vec_dot_q4_1_q8_1: (dx * dy) * sumi + mx *
// sy), so the products equal the reference bit for bit. Up to 4 tokens share each loaded block
// in registers; a pass of more tokens loads the block again (from L1) for every 4.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12's _mm512_undefined_* in masks
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <type_traits>
#include <vector>

#include "quant/blocks.h"
#include "quant/packed_q4.h"
#include "quant/x86/packed_q4_common.h"
#include "quant/x86/simd_kernels.h"

namespace r1::quant::x86 {
namespace {

constexpr int kMaxPassTokens = kPackedQ4MaxPassTokens;
constexpr int kTokensInRegisters = 4;  // tokens sharing one load of a block
constexpr std::ptrdiff_t kBlockQuantBytes = 256;
// Each line of the quant stream is asked for this far ahead, into L1, as in the q8_0 and K-quant
// products; the head stream (an eighth or a quarter of the bytes) the same number of blocks on.
constexpr std::ptrdiff_t kPrefetchBytes = 8192;
constexpr std::ptrdiff_t kPrefetchBlocks = kPrefetchBytes / kBlockQuantBytes;

using TokenBlock = PackedQ4TokenBlock;
template <bool Q41>
using Activation = PackedQ4Activation<Q41>;

inline __m512i broadcast4(const std::int8_t* p) {
  std::int32_t four;
  std::memcpy(&four, p, 4);
  return _mm512_set1_epi32(four);
}

/// Block b of one group (heads at head, quants at quants) times NT tokens (token t's block at
/// a[t * nb], tb[t * nb]), added to acc[t].
template <bool Q41, int NT, bool Prefetch>
inline void block_tokens(const std::uint8_t* head, const std::uint8_t* quants,
                         const Activation<Q41>* a, const TokenBlock* tb, std::int64_t nb,
                         __m512* acc) {
  constexpr std::ptrdiff_t kHeadBytes = Q41 ? 64 : 32;
  if constexpr (Prefetch) {
    for (int line = 0; line < 4; ++line)
      _mm_prefetch(reinterpret_cast<const char*>(quants + kPrefetchBytes + 64 * line), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(head + kPrefetchBlocks * kHeadBytes), _MM_HINT_T0);
  }
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  __m512i low[4], high[4];  // high: 16 q
  for (int v = 0; v < 4; ++v) {
    const __m512i w = _mm512_loadu_si512(quants + 64 * v);
    low[v] = _mm512_and_si512(w, m4);
    high[v] = _mm512_andnot_si512(m4, w);
  }
  const __m512 dx = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(head)));
  for (int t = 0; t < NT; ++t) {
    const std::int8_t* qs = a[t * nb].qs;
    const TokenBlock& s = tb[t * nb];
    __m512i sum_low = _mm512_set1_epi32(s.start), sum_high = _mm512_setzero_si512();
    for (int v = 0; v < 4; ++v) {
      sum_low = _mm512_dpbusd_epi32(sum_low, low[v], broadcast4(qs + 4 * v));
      sum_high = _mm512_dpbusd_epi32(sum_high, high[v], broadcast4(qs + 16 + 4 * v));
    }
    const __m512 sumi =
        _mm512_cvtepi32_ps(_mm512_add_epi32(sum_low, _mm512_srai_epi32(sum_high, 4)));
    const __m512 dy = _mm512_set1_ps(s.d);
    if constexpr (Q41) {
      const __m512 mx =
          _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(head + 32)));
      const __m512 term = _mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(dx, dy), sumi),
                                        _mm512_mul_ps(mx, _mm512_set1_ps(s.s)));
      acc[t] = _mm512_add_ps(acc[t], term);
    } else {
      acc[t] = _mm512_add_ps(acc[t], _mm512_mul_ps(_mm512_mul_ps(sumi, dx), dy));
    }
  }
}

template <bool Q41, bool Prefetch>
inline void block_chunk(int n, const std::uint8_t* head, const std::uint8_t* quants,
                        const Activation<Q41>* a, const TokenBlock* tb, std::int64_t nb,
                        __m512* acc) {
  switch (n) {
    case 1:
      return block_tokens<Q41, 1, Prefetch>(head, quants, a, tb, nb, acc);
    case 2:
      return block_tokens<Q41, 2, Prefetch>(head, quants, a, tb, nb, acc);
    case 3:
      return block_tokens<Q41, 3, Prefetch>(head, quants, a, tb, nb, acc);
    default:
      return block_tokens<Q41, 4, Prefetch>(head, quants, a, tb, nb, acc);
  }
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
  __m512 acc[kMaxPassTokens];
  for (std::int64_t t = 0; t < n_tokens; ++t) acc[t] = _mm512_setzero_ps();
  for (std::int64_t b = 0; b < nb; ++b) {
    const std::uint8_t* head = group + b * kHeadBytes;
    const std::uint8_t* q = quants + b * kBlockQuantBytes;
    for (std::int64_t t0 = 0; t0 < n_tokens; t0 += kTokensInRegisters) {
      const int n = static_cast<int>(std::min<std::int64_t>(kTokensInRegisters, n_tokens - t0));
      if (t0 == 0) {
        block_chunk<Q41, true>(n, head, q, a + b, tb + b, nb, acc);
      } else {
        block_chunk<Q41, false>(n, head, q, a + t0 * nb + b, tb + t0 * nb + b, nb, acc + t0);
      }
    }
  }
  const std::int64_t first = g * kPackedQ4Rows;
  const std::int64_t lo = std::max(first, row_begin);
  const std::int64_t hi = std::min(first + kPackedQ4Rows, row_end);
  for (std::int64_t t = 0; t < n_tokens; ++t) {
    float* out = y + t * y_stride + (lo - row_begin);
    if (lo == first && hi == first + kPackedQ4Rows) {
      _mm512_storeu_ps(out, acc[t]);
    } else {
      alignas(64) float lanes[kPackedQ4Rows];
      _mm512_store_ps(lanes, acc[t]);
      std::memcpy(out, lanes + (lo - first), static_cast<std::size_t>(hi - lo) * sizeof(float));
    }
  }
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

void packed_q4_avx512_vnni(QuantType type, const std::uint8_t* packed, std::int64_t nb,
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
