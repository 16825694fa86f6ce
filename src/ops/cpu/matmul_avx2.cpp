// AVX2 + FMA + F16C products: the AVX-512 kernel's structure with 8 lanes. The tail of a row
// (cols not a multiple of 8) is copied into a zero-padded register-sized buffer.
#include <immintrin.h>

#include <cstring>

#include "ops/cpu/matmul_kernels.h"

namespace r1::ops::cpu {
namespace {

template <DType T>
struct Weights;

template <>
struct Weights<DType::f32> {
  using Element = float;
  static __m256 load(const float* p) { return _mm256_loadu_ps(p); }
};

template <>
struct Weights<DType::bf16> {
  using Element = std::uint16_t;
  static __m256 load(const std::uint16_t* p) {
    const __m128i bits = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(bits), 16));
  }
};

template <>
struct Weights<DType::f16> {
  using Element = std::uint16_t;
  static __m256 load(const std::uint16_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
};

// Elements of T in a 64-byte cache line.
template <DType T>
constexpr std::int64_t kLineElements =
    64 / static_cast<std::int64_t>(sizeof(typename Weights<T>::Element));

// How far ahead of its reads a one-token product prefetches: as in matmul_avx512.cpp (the
// hardware streamer restarts on every 4 KiB page and every short row; 24 KiB ahead keeps the
// lines of the next rows in flight).
constexpr std::size_t kPrefetchBytes = 24 * 1024;

inline float horizontal_sum(__m256 v) {
  const __m128 sum4 = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 sum2 = _mm_add_ps(sum4, _mm_movehl_ps(sum4, sum4));
  return _mm_cvtss_f32(_mm_add_ss(sum2, _mm_movehdup_ps(sum2)));
}

// R weight rows x N tokens; with kPrefetch (one token) each row stream also asks for the line
// kPrefetchBytes ahead of where it reads.
template <DType T, int R, int N, bool kPrefetch = false>
inline void tile(const typename Weights<T>::Element* w, std::int64_t cols, const float* x,
                 std::int64_t x_stride, float* y, std::int64_t y_stride) {
  using W = Weights<T>;
  using E = typename W::Element;
  __m256 acc[R][N];
  for (int r = 0; r < R; ++r)
    for (int n = 0; n < N; ++n) acc[r][n] = _mm256_setzero_ps();
  std::int64_t i = 0;
  for (; i + 8 <= cols; i += 8) {
    if constexpr (kPrefetch) {
      if (i % kLineElements<T> == 0) {  // once per 64-byte line of each row
        for (int r = 0; r < R; ++r)
          _mm_prefetch(reinterpret_cast<const char*>(w + r * cols + i) + kPrefetchBytes,
                       _MM_HINT_T0);
      }
    }
    __m256 wv[R];
    for (int r = 0; r < R; ++r) wv[r] = W::load(w + r * cols + i);
    for (int n = 0; n < N; ++n) {
      const __m256 xv = _mm256_loadu_ps(x + n * x_stride + i);
      for (int r = 0; r < R; ++r) acc[r][n] = _mm256_fmadd_ps(wv[r], xv, acc[r][n]);
    }
  }
  if (i < cols) {
    const auto tail = static_cast<std::size_t>(cols - i);
    __m256 wv[R];
    for (int r = 0; r < R; ++r) {
      E padded[8] = {};
      std::memcpy(padded, w + r * cols + i, tail * sizeof(E));
      wv[r] = W::load(padded);
    }
    for (int n = 0; n < N; ++n) {
      float padded[8] = {};
      std::memcpy(padded, x + n * x_stride + i, tail * sizeof(float));
      const __m256 xv = _mm256_loadu_ps(padded);
      for (int r = 0; r < R; ++r) acc[r][n] = _mm256_fmadd_ps(wv[r], xv, acc[r][n]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int n = 0; n < N; ++n) y[n * y_stride + r] = horizontal_sum(acc[r][n]);
}

template <DType T, int N>
inline void rows_for_tokens(const typename Weights<T>::Element* w, std::int64_t n_rows,
                            std::int64_t cols, const float* x, std::int64_t x_stride, float* y,
                            std::int64_t y_stride) {
  constexpr int R = N == 1 ? 4 : 3;  // 16 ymm registers: R*N accumulators + R weights + 1 x
  std::int64_t r = 0;
  for (; r + R <= n_rows; r += R) tile<T, R, N>(w + r * cols, cols, x, x_stride, y + r, y_stride);
  for (; r < n_rows; ++r) tile<T, 1, N>(w + r * cols, cols, x, x_stride, y + r, y_stride);
}

// One token: a memory stream over all rows in tiles of R whose streams prefetch ahead.
template <DType T>
void rows_for_one_token(const typename Weights<T>::Element* w, std::int64_t n_rows,
                        std::int64_t cols, const float* x, float* y) {
  constexpr int R = 4;
  std::int64_t r = 0;
  for (; r + R <= n_rows; r += R) tile<T, R, 1, true>(w + r * cols, cols, x, 0, y + r, 0);
  for (; r < n_rows; ++r) tile<T, 1, 1, true>(w + r * cols, cols, x, 0, y + r, 0);
}

template <DType T>
void dot_rows(const void* weights, std::int64_t n_rows, std::int64_t cols, const float* x,
              std::int64_t x_stride, std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  const auto* w = static_cast<const typename Weights<T>::Element*>(weights);
  if (n_tokens == 1) {
    rows_for_one_token<T>(w, n_rows, cols, x, y);
    return;
  }
  const std::int64_t chunk = tokens_per_chunk(cols);
  constexpr std::int64_t kRowBlock = 12;
  for (std::int64_t t0 = 0; t0 < n_tokens; t0 += chunk) {
    const std::int64_t t1 = t0 + chunk < n_tokens ? t0 + chunk : n_tokens;
    for (std::int64_t r0 = 0; r0 < n_rows; r0 += kRowBlock) {
      const std::int64_t rows = n_rows - r0 < kRowBlock ? n_rows - r0 : kRowBlock;
      const auto* wb = w + r0 * cols;
      std::int64_t t = t0;
      for (; t + 3 <= t1; t += 3)
        rows_for_tokens<T, 3>(wb, rows, cols, x + t * x_stride, x_stride, y + t * y_stride + r0,
                              y_stride);
      for (; t < t1; ++t)
        rows_for_tokens<T, 1>(wb, rows, cols, x + t * x_stride, x_stride, y + t * y_stride + r0,
                              y_stride);
    }
  }
}

}  // namespace

DotRowsFn dot_rows_avx2(DType type) {
  return by_element_type(type, [](auto t) -> DotRowsFn { return dot_rows<decltype(t)::value>; });
}

}  // namespace r1::ops::cpu
