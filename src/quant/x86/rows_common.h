// Shared pieces of the AVX2 row kernels (rows_k_avx2.cpp, rows_legacy_avx2.cpp): one weight row
// at a time against a small group of tokens, the float sums in 8 lanes (ggml's SIMD order).
// Include only from files compiled with -mavx2 -mf16c.
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>

namespace r1::quant::x86 {
namespace {

/// Sum of the 8 float lanes.
inline float hsum_ps(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

/// Sum of the 4 float lanes.
inline float hsum_ps(__m128 s) {
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

/// Every row against the tokens in groups of up to MaxTokens: row(r, t0, n, out) writes row r
/// against tokens t0 .. t0 + n - 1 to out[0 .. n), which lands in y[t * y_stride + r].
template <int MaxTokens, typename RowFn>
void for_token_groups(std::int64_t n_rows, std::int64_t n_tokens, float* y, std::int64_t y_stride,
                      RowFn row) {
  for (std::int64_t t0 = 0; t0 < n_tokens; t0 += MaxTokens) {
    const int n = static_cast<int>(std::min<std::int64_t>(MaxTokens, n_tokens - t0));
    for (std::int64_t r = 0; r < n_rows; ++r) {
      float out[MaxTokens];
      row(r, t0, n, out);
      for (int t = 0; t < n; ++t) y[(t0 + t) * y_stride + r] = out[t];
    }
  }
}

/// f(std::integral_constant<int, n>{}) for a run-time n in 1..4, so that the row kernels get
/// their token count at compile time.
template <typename F>
void with_token_count(int n, F f) {
  switch (n) {
    case 1:
      return f(std::integral_constant<int, 1>{});
    case 2:
      return f(std::integral_constant<int, 2>{});
    case 3:
      return f(std::integral_constant<int, 3>{});
    default:
      return f(std::integral_constant<int, 4>{});
  }
}

/// The most tokens with_token_count passes on.
inline constexpr int kRowGroupTokens = 4;

}  // namespace
}  // namespace r1::quant::x86
