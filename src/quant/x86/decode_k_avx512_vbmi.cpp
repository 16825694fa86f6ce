// Decode-sized Q5_K products (1..4 tokens) with 512-bit VNNI and VBMI, one super-block of a
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

#include <algorithm>
#include <cstddef>
#include <vector>

#include "quant/x86/simd_kernels.h"

namespace r1::quant::x86 {
namespace {

constexpr std::ptrdiff_t kPrefetchBytes = 1024;
// Rows in flight: each super-block's integer chain is ~40 cycles long, so two independent rows
// keep the ports busy where one leaves them waiting.
constexpr int kRowsAtOnce = 2;

template <typename Block>
inline void prefetch_block(const Block* b) {
  const char* next = reinterpret_cast<const char*>(b) + kPrefetchBytes;
  for (std::size_t off = 0; off < sizeof(Block); off += 64) _mm_prefetch(next + off, _MM_HINT_T0);
}

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

__m512i load_half(const void* p) {
  return _mm512_zextsi256_si512(_mm256_loadu_si256(static_cast<const __m256i*>(p)));
}

/// vpermw index: word w gets scale first + (w >= 16 ? upper : 0) + (w % 2) * pair_step.
__m512i scale_index(int first, int upper, int pair_step) {
  alignas(64) std::int16_t idx[32];
  for (int w = 0; w < 32; ++w) {
    idx[w] = static_cast<std::int16_t>(first + (w >= 16 ? upper : 0) + (w % 2) * pair_step);
  }
  return _mm512_load_si512(idx);
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

/// The finished outputs of rows r0.. (those below n_rows) for every token.
template <int T>
inline void store_rows(const __m256 (&sums)[kRowsAtOnce][T], const float (&sumf)[kRowsAtOnce][T],
                       std::int64_t r0, std::int64_t n_rows, float* y, std::int64_t y_stride) {
  for (int r = 0; r < kRowsAtOnce && r0 + r < n_rows; ++r) {
    for (int t = 0; t < T; ++t) y[t * y_stride + r0 + r] = finish(sums[r][t], sumf[r][t]);
  }
}

inline int hsum_epi32(__m128i v) {
  v = _mm_add_epi32(v, _mm_shuffle_epi32(v, _MM_SHUFFLE(1, 0, 3, 2)));
  v = _mm_add_epi32(v, _mm_shuffle_epi32(v, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(v);
}

// ---- Q5_K (Q4_K's layout and a 5th bit; Q4_K and Q6_K have their batch kernels) ------

/// One token's Q8_K block for Q4_K/Q5_K, laid out like WeightsK4::q: register 2 h + i holds
/// sub-block 4 h + i (lower half) and 4 h + 2 + i (upper half), each in residue order; and the
/// 8 sub-block sums from bsums (as the reference uses them; |sum| <= 32 * 128 fits int16).
struct ActK4 {
  __m512i q[4];
  __m128i sub_sums;  // int16
  float d;
};

/// vpermt2b index taking 32-element sub-block `lo` of source A (0 or 1) into the lower half and
/// sub-block `hi` of source B into the upper half, both in residue order.
__m512i pick_subblocks(int lo, int hi) {
  alignas(64) std::int8_t idx[64];
  for (int j = 0; j < 64; ++j) {
    const int within = (j % 4) * 8 + (j % 32) / 4;
    idx[j] = static_cast<std::int8_t>(j < 32 ? 32 * lo + within : 64 + 32 * hi + within);
  }
  return _mm512_load_si512(idx);
}

void prepare_k4(const BlockQ8K* a, std::int64_t nb, ActK4* out) {
  const __m512i even = pick_subblocks(0, 0);
  const __m512i odd = pick_subblocks(1, 1);
  for (std::int64_t i = 0; i < nb; ++i) {
    for (int h = 0; h < 2; ++h) {
      const __m512i first = _mm512_loadu_si512(a[i].qs + 128 * h);  // sub-blocks 4 h, 4 h + 1
      const __m512i second = _mm512_loadu_si512(a[i].qs + 128 * h + 64);
      out[i].q[2 * h] = _mm512_permutex2var_epi8(first, even, second);
      out[i].q[2 * h + 1] = _mm512_permutex2var_epi8(first, odd, second);
    }
    const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[i].bsums));
    out[i].sub_sums = _mm256_cvtepi32_epi16(_mm256_madd_epi16(bs, _mm256_set1_epi16(1)));
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

/// A Q4_K/Q5_K block unpacked: register 2 h + i holds sub-block 4 h + i (lower half) and
/// 4 h + 2 + i (upper half) as unsigned bytes in residue order: the low (i = 0) or high (i = 1)
/// nibbles of qs[64 h..64 h + 63], one vpermb for both.
struct WeightsK4 {
  __m512i q[4];
  __m512i scales[4];  // int16, the two sub-blocks' scales for the halves of q
  __m128i mins;       // int16
  float d, dmin;
};

struct K4Consts {
  __m512i order;      // residue order within each 32-byte half
  __m512i order_dup;  // the same for a 32-byte source read into both halves
  __m512i scale_idx[4];
};

K4Consts k4_consts() {
  K4Consts c{residue_order(32), residue_order(0), {}};
  for (int k = 0; k < 4; ++k) c.scale_idx[k] = scale_index(4 * (k / 2) + k % 2, 2, 0);
  return c;
}

template <typename Block>
inline void unpack_common(const Block& b, const K4Consts& c, WeightsK4* u) {
  const __m128i sm = unpack_scales_mins(b.scales);
  const __m512i sc = _mm512_zextsi128_si512(_mm_cvtepu8_epi16(sm));
  for (int k = 0; k < 4; ++k) u->scales[k] = _mm512_permutexvar_epi16(c.scale_idx[k], sc);
  u->mins = _mm_cvtepu8_epi16(_mm_srli_si128(sm, 8));
  u->d = _cvtsh_ss(b.d);
  u->dmin = _cvtsh_ss(b.dmin);
}

inline void unpack_nibbles(const std::uint8_t* qs, const K4Consts& c, WeightsK4* u) {
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  for (int h = 0; h < 2; ++h) {
    const __m512i q = _mm512_permutexvar_epi8(c.order, _mm512_loadu_si512(qs + 64 * h));
    u->q[2 * h] = _mm512_and_si512(q, low4);
    u->q[2 * h + 1] = _mm512_and_si512(_mm512_srli_epi16(q, 4), low4);
  }
}

/// Q5_K: register 2 h + i's sub-blocks s = 4 h + i and s + 2 take bit s (lower half) and bit
/// s + 2 (upper half) of qh[l] as bit 4; qh's bytes are indexed by l like qs's, so the same
/// permutation lines them up.
inline void unpack_k4(const BlockQ5K& b, const K4Consts& c, WeightsK4* u) {
  unpack_nibbles(b.qs, c, u);
  const __m512i qh = _mm512_permutexvar_epi8(c.order_dup, load_half(b.qh));
  // 16-bit shifts by at most 4 keep the selected bit inside its byte.
  const auto counts = [](int lo, int hi) {
    return _mm512_inserti64x4(_mm512_set1_epi16(static_cast<short>(lo)),
                              _mm256_set1_epi16(static_cast<short>(hi)), 1);
  };
  const __m512i high[4] = {_mm512_sllv_epi16(qh, counts(4, 2)), _mm512_sllv_epi16(qh, counts(3, 1)),
                           _mm512_srlv_epi16(qh, counts(0, 2)), _mm512_srlv_epi16(qh, counts(1, 3))};
  const __m512i bit4 = _mm512_set1_epi8(0x10);
  for (int k = 0; k < 4; ++k) {
    u->q[k] = _mm512_ternarylogic_epi32(u->q[k], high[k], bit4, 0xF8);  // q | (high & bit4)
  }
  unpack_common(b, c, u);
}

template <typename Block, int T>
void decode_k4(const Block* w, std::int64_t n_rows, std::int64_t nb, const BlockQ8K* a, float* y,
               std::int64_t y_stride) {
  thread_local std::vector<ActK4> acts;
  acts.resize(static_cast<std::size_t>(T * nb));
  for (int t = 0; t < T; ++t) prepare_k4(a + t * nb, nb, acts.data() + t * nb);
  const K4Consts consts = k4_consts();
  for (std::int64_t r0 = 0; r0 < n_rows; r0 += kRowsAtOnce) {
    const Block* rows[kRowsAtOnce];
    for (int r = 0; r < kRowsAtOnce; ++r) rows[r] = w + std::min(r0 + r, n_rows - 1) * nb;
    __m256 sums[kRowsAtOnce][T];
    float sumf[kRowsAtOnce][T];
    for (int r = 0; r < kRowsAtOnce; ++r) {
      for (int t = 0; t < T; ++t) {
        sums[r][t] = _mm256_setzero_ps();
        sumf[r][t] = 0.0f;
      }
    }
    for (std::int64_t i = 0; i < nb; ++i) {
      WeightsK4 u[kRowsAtOnce];
      for (int r = 0; r < kRowsAtOnce; ++r) {
        prefetch_block(rows[r] + i);
        unpack_k4(rows[r][i], consts, &u[r]);
      }
      for (int t = 0; t < T; ++t) {
        const ActK4& ap = acts[t * nb + i];
        for (int r = 0; r < kRowsAtOnce; ++r) {
          // Two accumulators: shorter dependency chains; the integer sum is the same.
          __m512i acc[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()};
          for (int k = 0; k < 4; ++k) {
            acc[k / 2] = _mm512_dpwssd_epi32(acc[k / 2], _mm512_maddubs_epi16(u[r].q[k], ap.q[k]),
                                             u[r].scales[k]);
          }
          const int sumi = hsum_epi32(_mm_madd_epi16(u[r].mins, ap.sub_sums));
          sums[r][t] = add_lanes(sums[r][t], _mm512_add_epi32(acc[0], acc[1]), u[r].d * ap.d);
          const float dmin = u[r].dmin * ap.d;
          sumf[r][t] -= dmin * static_cast<float>(sumi);
        }
      }
    }
    store_rows<T>(sums, sumf, r0, n_rows, y, y_stride);
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

void decode_q5_k_avx512_vbmi(const BlockQ5K* w, std::int64_t n_rows, std::int64_t nb,
                             const BlockQ8K* a, std::int64_t n_tokens, float* y,
                             std::int64_t y_stride) {
  dispatch_k4(w, n_rows, nb, a, n_tokens, y, y_stride);
}

}  // namespace r1::quant::x86
