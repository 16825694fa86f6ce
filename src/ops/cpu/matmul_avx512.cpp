// AVX-512 (F/BW/VL) products: tiles of up to 4 weight rows x 4 tokens held in 16 accumulators;
// weights converted to fp32 in registers (bf16: shift into the high half; f16: vcvtph2ps).
#include <immintrin.h>

#include "ops/cpu/matmul_kernels.h"

namespace r1::ops::cpu {
namespace {

template <DType T>
struct Weights;

// How far ahead of its reads a one-token product prefetches. The hardware streamer follows a
// stream only within a 4 KiB page and needs a few misses to start on each, and a one-token tile
// reads 8 short streams at once (a 1536-column bf16 row is 3 KiB, so every tile starts 8 fresh
// streams). Asking for each line 24 KiB ahead — the same place in the next tile of 8 such rows —
// keeps lines in flight across those restarts: measured with bench/r1_bench_matvec, the
// 1536-column shapes went from ~78 % to ~103 % of the plain read loop's bandwidth on one core
// (16, 24 and 32 KiB measured alike; the 8960-column rows were at the bound already).
constexpr std::size_t kPrefetchBytes = 24 * 1024;
// Rows longer than this are not prefetched: on the AMX-less Xeon of 2026-12-02 the prefetches
// cost the 8960-column rows (17.5 KiB of bf16, long enough for the hardware streamer) ~15 %
// (bench/r1_bench_matvec, 2 threads: 17.5-18.5 -> 21.1 GB/s without), while the 1536-column
// rows still gain from them (16 -> 19-21 GB/s).
constexpr std::size_t kMaxPrefetchedRowBytes = 8 * 1024;

template <>
struct Weights<DType::f32> {
  using Element = float;
  static __m512 load(const float* p) { return _mm512_loadu_ps(p); }
  static __m512 load_tail(const float* p, __mmask16 m) { return _mm512_maskz_loadu_ps(m, p); }
};

template <>
struct Weights<DType::bf16> {
  using Element = std::uint16_t;
  static __m512 widen(__m256i bits) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(bits), 16));
  }
  static __m512 load(const std::uint16_t* p) {
    return widen(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static __m512 load_tail(const std::uint16_t* p, __mmask16 m) {
    return widen(_mm256_maskz_loadu_epi16(m, p));
  }
};

template <>
struct Weights<DType::f16> {
  using Element = std::uint16_t;
  static __m512 load(const std::uint16_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static __m512 load_tail(const std::uint16_t* p, __mmask16 m) {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p));
  }
};

// Elements of T in a 64-byte cache line.
template <DType T>
constexpr std::int64_t kLineElements =
    64 / static_cast<std::int64_t>(sizeof(typename Weights<T>::Element));

// R weight rows x N tokens; each accumulator sums 16 lanes of one (row, token) dot product.
// With kPrefetch (one token), each row stream also asks for the line kPrefetchBytes ahead of
// where it reads (see kPrefetchBytes).
template <DType T, int R, int N, bool kPrefetch = false>
inline void tile(const typename Weights<T>::Element* w, std::int64_t cols, const float* x,
                 std::int64_t x_stride, float* y, std::int64_t y_stride) {
  using W = Weights<T>;
  __m512 acc[R][N];
  for (int r = 0; r < R; ++r)
    for (int n = 0; n < N; ++n) acc[r][n] = _mm512_setzero_ps();
  std::int64_t i = 0;
  for (; i + 16 <= cols; i += 16) {
    if constexpr (kPrefetch) {
      if (i % kLineElements<T> == 0) {  // once per 64-byte line of each row
        for (int r = 0; r < R; ++r)
          _mm_prefetch(reinterpret_cast<const char*>(w + r * cols + i) + kPrefetchBytes,
                       _MM_HINT_T0);
      }
    }
    __m512 wv[R];
    for (int r = 0; r < R; ++r) wv[r] = W::load(w + r * cols + i);
    for (int n = 0; n < N; ++n) {
      const __m512 xv = _mm512_loadu_ps(x + n * x_stride + i);
      for (int r = 0; r < R; ++r) acc[r][n] = _mm512_fmadd_ps(wv[r], xv, acc[r][n]);
    }
  }
  if (i < cols) {
    const __mmask16 mask = static_cast<__mmask16>((1u << (cols - i)) - 1);
    __m512 wv[R];
    for (int r = 0; r < R; ++r) wv[r] = W::load_tail(w + r * cols + i, mask);
    for (int n = 0; n < N; ++n) {
      const __m512 xv = _mm512_maskz_loadu_ps(mask, x + n * x_stride + i);
      for (int r = 0; r < R; ++r) acc[r][n] = _mm512_fmadd_ps(wv[r], xv, acc[r][n]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int n = 0; n < N; ++n) y[n * y_stride + r] = _mm512_reduce_add_ps(acc[r][n]);
}

// Rows in tiles of R (then single rows) for N tokens.
template <DType T, int N>
inline void rows_for_tokens(const typename Weights<T>::Element* w, std::int64_t n_rows,
                            std::int64_t cols, const float* x, std::int64_t x_stride, float* y,
                            std::int64_t y_stride) {
  constexpr int R = N == 1 ? 8 : 4;
  std::int64_t r = 0;
  for (; r + R <= n_rows; r += R) tile<T, R, N>(w + r * cols, cols, x, x_stride, y + r, y_stride);
  for (; r < n_rows; ++r) tile<T, 1, N>(w + r * cols, cols, x, x_stride, y + r, y_stride);
}

// One token: every weight is read once, so the product is a memory stream. Tiles of 8 rows
// (8 independent accumulators hide the FMA latency) whose streams prefetch ahead when the rows
// are short (kMaxPrefetchedRowBytes); the rows left over one by one.
template <DType T>
void rows_for_one_token(const typename Weights<T>::Element* w, std::int64_t n_rows,
                        std::int64_t cols, const float* x, float* y) {
  constexpr int R = 8;
  std::int64_t r = 0;
  if (static_cast<std::size_t>(cols) * sizeof(typename Weights<T>::Element) > kMaxPrefetchedRowBytes) {
    for (; r + R <= n_rows; r += R) tile<T, R, 1, false>(w + r * cols, cols, x, 0, y + r, 0);
    for (; r < n_rows; ++r) tile<T, 1, 1, false>(w + r * cols, cols, x, 0, y + r, 0);
    return;
  }
  for (; r + R <= n_rows; r += R) tile<T, R, 1, true>(w + r * cols, cols, x, 0, y + r, 0);
  for (; r < n_rows; ++r) tile<T, 1, 1, true>(w + r * cols, cols, x, 0, y + r, 0);
}

template <DType T>
void dot_rows(const void* weights, std::int64_t n_rows, std::int64_t cols, const float* x,
              std::int64_t x_stride, std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  const auto* w = static_cast<const typename Weights<T>::Element*>(weights);
  if (n_tokens == 1) {
    // Decode: all rows in one pass (no row blocks: there is no activation chunk to keep warm).
    rows_for_one_token<T>(w, n_rows, cols, x, y);
    return;
  }
  const std::int64_t chunk = tokens_per_chunk(cols);
  // Weight rows in blocks that stay in L1/L2 while a chunk of tokens passes over them.
  constexpr std::int64_t kRowBlock = 16;
  for (std::int64_t t0 = 0; t0 < n_tokens; t0 += chunk) {
    const std::int64_t t1 = t0 + chunk < n_tokens ? t0 + chunk : n_tokens;
    for (std::int64_t r0 = 0; r0 < n_rows; r0 += kRowBlock) {
      const std::int64_t rows = n_rows - r0 < kRowBlock ? n_rows - r0 : kRowBlock;
      const auto* wb = w + r0 * cols;
      std::int64_t t = t0;
      for (; t + 4 <= t1; t += 4)
        rows_for_tokens<T, 4>(wb, rows, cols, x + t * x_stride, x_stride, y + t * y_stride + r0,
                              y_stride);
      for (; t < t1; ++t)
        rows_for_tokens<T, 1>(wb, rows, cols, x + t * x_stride, x_stride, y + t * y_stride + r0,
                              y_stride);
    }
  }
}

}  // namespace

DotRowsFn dot_rows_avx512(DType type) {
  return by_element_type(type, [](auto t) -> DotRowsFn { return dot_rows<decltype(t)::value>; });
}

}  // namespace r1::ops::cpu
