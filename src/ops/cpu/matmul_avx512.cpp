// AVX-512 (F/BW/VL) products: tiles of up to 4 weight rows x 4 tokens held in 16 accumulators;
// weights converted to fp32 in registers (bf16: shift into the high half; f16: vcvtph2ps).
#include <immintrin.h>

#include "ops/cpu/matmul_kernels.h"

namespace r1::ops::cpu {
namespace {

template <DType T>
struct Weights;

// How far ahead of its reads a one-token product prefetches. The one-token product reads its
// rows one after another, so each thread reads one sequential stream; the hardware streamer
// follows a stream only within a 4 KiB page and needs a few misses to start on each, so the
// kernel asks for every line this far ahead of where it reads, which keeps lines in flight
// across page (and row) boundaries. Measured on the AMD EPYC of 2026-12-02 with 2 threads
// (bench/r1_bench_matvec and a stand-alone loop over 400 MB of rows): one row at a time with
// 8 KiB prefetch read 1536-column bf16 rows at 48-51 GB/s and 8960-column rows at 46-47 GB/s,
// against 38-39 and 33-37 GB/s for the former tiles of 8 rows (8 streams per thread, 24 KiB
// prefetch); 2 KiB ahead was too short for the long rows (37 GB/s), 4 KiB close to 8 KiB.
constexpr std::size_t kPrefetchBytes = 8 * 1024;

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

// One token: every weight is read once, so the product is a memory stream. Rows one after
// another (one sequential stream per thread, prefetching ahead: see kPrefetchBytes), each into
// one accumulator as every tile sums it, so decode gives the numbers prefill gives.
template <DType T>
void rows_for_one_token(const typename Weights<T>::Element* w, std::int64_t n_rows,
                        std::int64_t cols, const float* x, float* y) {
  for (std::int64_t r = 0; r < n_rows; ++r) tile<T, 1, 1, true>(w + r * cols, cols, x, 0, y + r, 0);
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
