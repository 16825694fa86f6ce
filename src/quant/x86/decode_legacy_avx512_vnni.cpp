// Decode-sized products (1..4 tokens) of the 32-element types q4_0, q4_1, q5_0, q5_1 (q8_0
// takes batch_q8_avx512_vnni.cpp at every size)
// with 512-bit VNNI: each step takes 8 weight rows x 2 blocks, one vpdpbusd per row for both
// blocks, then one transposing reduction turns the 8 vectors of per-block partial sums into the
// 16 (row, block) integer sums at once, and the float update runs with one lane per row. The
// weight scales (and q4_1/q5_1's minimums) come with one gather per step.
//
// Bit-exact with the scalar reference: the integer sums are exact, and each row's float sum
// takes its blocks in order with the reference's expression, block 2p before block 2p + 1.
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

constexpr int kRows = 8;
constexpr std::ptrdiff_t kPrefetchBytes = 768;  // ahead of each row stream: ~11 steps

/// Two blocks' 32 bytes in one register: [b0 | b1], b1 zero when absent.
inline __m512i load_two(const void* b0, const void* b1) {
  const __m256i lo = _mm256_loadu_si256(static_cast<const __m256i*>(b0));
  const __m256i hi = b1 ? _mm256_loadu_si256(static_cast<const __m256i*>(b1)) : _mm256_setzero_si256();
  return _mm512_inserti64x4(_mm512_zextsi256_si512(lo), hi, 1);
}

/// Two blocks' 16 packed nibble bytes as 64 unsigned bytes in element order: [b0 low nibbles
/// (elements 0-15), b0 high nibbles (16-31), b1 low, b1 high].
inline __m512i unpack_nibbles_two(const std::uint8_t* q0, const std::uint8_t* q1) {
  const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q0));
  const __m128i hi = q1 ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(q1)) : _mm_setzero_si128();
  const __m512i both = _mm512_inserti64x4(_mm512_zextsi256_si512(_mm256_set_m128i(lo, lo)),
                                          _mm256_set_m128i(hi, hi), 1);
  const __m512i shift = _mm512_set_epi64(0x0004000400040004, 0x0004000400040004, 0, 0,
                                         0x0004000400040004, 0x0004000400040004, 0, 0);
  return _mm512_and_si512(_mm512_srlv_epi16(both, shift), _mm512_set1_epi8(0x0F));
}

/// 0x10 in byte j where bit j of the pair's two 32-bit qh fields is set.
inline __m512i fifth_bits_two(const std::uint8_t* qh0, const std::uint8_t* qh1) {
  std::uint32_t h0, h1 = 0;
  __builtin_memcpy(&h0, qh0, 4);
  if (qh1) __builtin_memcpy(&h1, qh1, 4);
  const __mmask64 bits = static_cast<__mmask64>(h0) | (static_cast<__mmask64>(h1) << 32);
  return _mm512_maskz_mov_epi8(bits, _mm512_set1_epi8(0x10));
}

// Policies: WBlock/ABlock, weights(b0, b1) as unsigned bytes (b1 null when absent), the
// activation correction's shift (sum((q - 2^s) y) = sum(q y) - 2^s sum(y); 0 for none), and
// the float term of one block in the reference's expression.
struct Q4_0 {
  using WBlock = BlockQ4_0;
  using ABlock = BlockQ8_0;
  static constexpr int kShift = 3;  // q - 8
  static __m512i weights(const BlockQ4_0* b0, const BlockQ4_0* b1) {
    return unpack_nibbles_two(b0->qs, b1 ? b1->qs : nullptr);
  }
  static __m512 term(__m512 sumi, __m512 dx, __m512 dy, __m512, __m512) {
    return _mm512_mul_ps(_mm512_mul_ps(sumi, dx), dy);  // sumi * dx * dy
  }
};

struct Q4_1 {
  using WBlock = BlockQ4_1;
  using ABlock = BlockQ8_1;
  static constexpr int kShift = 0;
  static __m512i weights(const BlockQ4_1* b0, const BlockQ4_1* b1) {
    return unpack_nibbles_two(b0->qs, b1 ? b1->qs : nullptr);
  }
  static __m512 term(__m512 sumi, __m512 dx, __m512 dy, __m512 m, __m512 s) {
    // (dx * dy) * sumi + m * s
    return _mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(dx, dy), sumi), _mm512_mul_ps(m, s));
  }
};

struct Q5_0 {
  using WBlock = BlockQ5_0;
  using ABlock = BlockQ8_0;
  static constexpr int kShift = 4;  // q - 16
  static __m512i weights(const BlockQ5_0* b0, const BlockQ5_0* b1) {
    return _mm512_or_si512(unpack_nibbles_two(b0->qs, b1 ? b1->qs : nullptr),
                           fifth_bits_two(b0->qh, b1 ? b1->qh : nullptr));
  }
  static __m512 term(__m512 sumi, __m512 dx, __m512 dy, __m512, __m512) {
    return _mm512_mul_ps(_mm512_mul_ps(dx, dy), sumi);  // (dx * dy) * sumi
  }
};

struct Q5_1 {
  using WBlock = BlockQ5_1;
  using ABlock = BlockQ8_1;
  static constexpr int kShift = 0;
  static __m512i weights(const BlockQ5_1* b0, const BlockQ5_1* b1) {
    return _mm512_or_si512(unpack_nibbles_two(b0->qs, b1 ? b1->qs : nullptr),
                           fifth_bits_two(b0->qh, b1 ? b1->qh : nullptr));
  }
  static __m512 term(__m512 sumi, __m512 dx, __m512 dy, __m512 m, __m512 s) {
    return _mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(dx, dy), sumi), _mm512_mul_ps(m, s));
  }
};

inline float act_s(const BlockQ8_0&) { return 0.0f; }
inline float act_s(const BlockQ8_1& b) { return _cvtsh_ss(b.s); }

/// One token's activations, two blocks per entry: the bytes, the correction the accumulator
/// starts from, and the scale d (and q8_1's s) laid out like the reduced sums (reduce_rows).
struct ActPair {
  __m512i y;
  __m512i correction;
  __m512 dy;
  __m512 s;
};

template <class K>
void prepare_token(const typename K::ABlock* a, std::int64_t nb, ActPair* out) {
  const __m512i ones = _mm512_set1_epi8(1);
  for (std::int64_t p = 0; 2 * p < nb; ++p) {
    const auto& b0 = a[2 * p];
    const bool pair = 2 * p + 1 < nb;
    const __m512i y = load_two(b0.qs, pair ? a[2 * p + 1].qs : nullptr);
    __m512i correction = _mm512_setzero_si512();
    if (K::kShift > 0) {
      const __m512i sums = _mm512_dpbusd_epi32(_mm512_setzero_si512(), ones, y);
      correction = _mm512_sub_epi32(correction, _mm512_slli_epi32(sums, K::kShift));
    }
    const float d0 = _cvtsh_ss(b0.d);
    const float d1 = pair ? _cvtsh_ss(a[2 * p + 1].d) : 0.0f;
    const float s0 = act_s(b0);
    const float s1 = pair ? act_s(a[2 * p + 1]) : 0.0f;
    out[p] = {y, correction,
              _mm512_setr_ps(d0, d0, d0, d0, d1, d1, d1, d1, d0, d0, d0, d0, d1, d1, d1, d1),
              _mm512_setr_ps(s0, s0, s0, s0, s1, s1, s1, s1, s0, s0, s0, s0, s1, s1, s1, s1)};
  }
}

/// v[r] holds row r's 8 int32 partial sums of block 0 (lanes 0-7) and block 1 (lanes 8-15).
/// Returns [block 0 rows 0-3, block 1 rows 0-3, block 0 rows 4-7, block 1 rows 4-7].
inline __m512i reduce_rows(const __m512i* v) {
  __m512i a[4];
  for (int i = 0; i < 4; ++i) {
    a[i] = _mm512_add_epi32(_mm512_unpacklo_epi32(v[2 * i], v[2 * i + 1]),
                            _mm512_unpackhi_epi32(v[2 * i], v[2 * i + 1]));
  }
  // Per 128-bit lane: [row 0, row 1, row 2, row 3] (rows 4-7 in b1), each a sum of 4 of that
  // lane's partial sums; lanes 0-1 belong to block 0, lanes 2-3 to block 1.
  const __m512i b0 = _mm512_add_epi32(_mm512_unpacklo_epi64(a[0], a[1]),
                                      _mm512_unpackhi_epi64(a[0], a[1]));
  const __m512i b1 = _mm512_add_epi32(_mm512_unpacklo_epi64(a[2], a[3]),
                                      _mm512_unpackhi_epi64(a[2], a[3]));
  return _mm512_add_epi32(_mm512_shuffle_i64x2(b0, b1, _MM_SHUFFLE(2, 0, 2, 0)),
                          _mm512_shuffle_i64x2(b0, b1, _MM_SHUFFLE(3, 1, 3, 1)));
}

template <class K, int T>
void row_group(const typename K::WBlock* w, std::int64_t n_rows, std::int64_t nb, std::int64_t r0,
               const ActPair* acts, std::int64_t np, float* y, std::int64_t y_stride) {
  using WBlock = typename K::WBlock;
  const WBlock* rows[kRows];
  for (int r = 0; r < kRows; ++r) rows[r] = w + std::min(r0 + r, n_rows - 1) * nb;
  // Gather offsets, in reduce_rows' lane order, of each block's first 4 bytes (d, and m where
  // the type has one) relative to rows[0]'s block 2p.
  alignas(64) int offsets[16];
  for (int j = 0; j < 16; ++j) {
    const int row = (j / 8) * 4 + j % 4;
    const int block = (j / 4) % 2;
    offsets[j] = static_cast<int>(reinterpret_cast<const char*>(rows[row] + block) -
                                  reinterpret_cast<const char*>(rows[0]));
  }
  const __m512i gather_at = _mm512_load_si512(offsets);
  __m512 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  for (std::int64_t p = 0; p < np; ++p) {
    const bool pair = 2 * p + 1 < nb;
    __m512i x[kRows];
    for (int r = 0; r < kRows; ++r) {
      const WBlock* b = rows[r] + 2 * p;
      _mm_prefetch(reinterpret_cast<const char*>(b) + kPrefetchBytes, _MM_HINT_T0);
      x[r] = K::weights(b, pair ? b + 1 : nullptr);
    }
    // Block 1's scales only where block 1 exists: the last row's next block may be unmapped.
    const __mmask16 lanes = pair ? 0xFFFF : 0x0F0F;
    const __m512i dbits = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), lanes, gather_at,
                                                      rows[0] + 2 * p, 1);
    const __m512 dx = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(dbits));
    const __m512 m = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(dbits, 16)));
    for (int t = 0; t < T; ++t) {
      const ActPair& a = acts[t * np + p];
      __m512i v[kRows];
      for (int r = 0; r < kRows; ++r) v[r] = _mm512_dpbusd_epi32(a.correction, x[r], a.y);
      const __m512 f = K::term(_mm512_cvtepi32_ps(reduce_rows(v)), dx, a.dy, m, a.s);
      // Lanes 0-3 and 8-11 carry rows 0-7: block 0 added first, then block 1 moved over it.
      acc[t] = _mm512_add_ps(acc[t], f);
      if (pair) acc[t] = _mm512_add_ps(acc[t], _mm512_shuffle_f32x4(f, f, _MM_SHUFFLE(3, 3, 1, 1)));
    }
  }
  for (int t = 0; t < T; ++t) {
    alignas(64) float out[16];
    _mm512_store_ps(out, acc[t]);
    for (int r = 0; r < kRows && r0 + r < n_rows; ++r) {
      y[t * y_stride + r0 + r] = out[(r / 4) * 8 + r % 4];
    }
  }
}

template <class K, int T>
void decode_t(const typename K::WBlock* w, std::int64_t n_rows, std::int64_t nb,
              const typename K::ABlock* a, float* y, std::int64_t y_stride) {
  const std::int64_t np = (nb + 1) / 2;
  thread_local std::vector<ActPair> acts;
  acts.resize(static_cast<std::size_t>(T * np));
  for (int t = 0; t < T; ++t) prepare_token<K>(a + t * nb, nb, acts.data() + t * np);
  for (std::int64_t r0 = 0; r0 < n_rows; r0 += kRows) {
    row_group<K, T>(w, n_rows, nb, r0, acts.data(), np, y, y_stride);
  }
}

template <class K>
void decode(const typename K::WBlock* w, std::int64_t n_rows, std::int64_t nb,
            const typename K::ABlock* a, std::int64_t n_tokens, float* y, std::int64_t ys) {
  switch (n_tokens) {
    case 1: return decode_t<K, 1>(w, n_rows, nb, a, y, ys);
    case 2: return decode_t<K, 2>(w, n_rows, nb, a, y, ys);
    case 3: return decode_t<K, 3>(w, n_rows, nb, a, y, ys);
    default: return decode_t<K, 4>(w, n_rows, nb, a, y, ys);
  }
}

}  // namespace

#define R1_DECODE_DEF(K, name)                                                               \
  void name(const K::WBlock* w, std::int64_t n_rows, std::int64_t nb, const K::ABlock* a,    \
            std::int64_t n_tokens, float* y, std::int64_t y_stride) {                        \
    decode<K>(w, n_rows, nb, a, n_tokens, y, y_stride);                                      \
  }
R1_DECODE_DEF(Q4_0, decode_q4_0_avx512_vnni)
R1_DECODE_DEF(Q4_1, decode_q4_1_avx512_vnni)
R1_DECODE_DEF(Q5_0, decode_q5_0_avx512_vnni)
R1_DECODE_DEF(Q5_1, decode_q5_1_avx512_vnni)
#undef R1_DECODE_DEF

}  // namespace r1::quant::x86
