// The FMA prefill kernel on AVX-512F (see fma_gemm.h): rows along the lanes, panels of 64 rows x
// 128 columns widened to fp32 and transposed into L1, register tiles of 4 x 16 rows x 6 tokens.
//
// Loop nest, per call (one thread's rows):
//   blocks of 256 rows            their outputs for every token (512 tokens: 512 KB) stay in L2
//     chunks of 128 columns       the tokens' activations of the chunk (256 KB) stay in L2
//       panels of 64 rows         widened + transposed once (32 KB, L1)
//         tiles of 6 tokens       24 accumulators from y (or zero), 128 FMA steps, back to y
// The weights are read from memory once; activations once per 256-row block; the partial sums
// leave the registers every 128 columns, which keeps each output's chain in column order.
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <utility>

#include "ops/cpu/fma_gemm.h"
#include "quant/x86/transpose_avx512.h"

namespace r1::ops::cpu {
namespace {

constexpr int kLanes = 16;
constexpr int kPanelVectors = 4;                          // vectors of 16 rows per panel
constexpr std::int64_t kPanelRows = kPanelVectors * kLanes;  // 64
constexpr std::int64_t kChunk = 128;                      // columns per panel
constexpr std::int64_t kBlockRows = 256;                  // rows whose outputs stay in L2
constexpr int kTileTokens = 6;

/// 8 consecutive weights of one row widened to fp32 (n < 8: the first n, zeros after).
template <DType T>
inline __m256 load8(const void* row, std::int64_t i, std::int64_t n) {
  const __mmask8 m = static_cast<__mmask8>(n >= 8 ? 0xFF : (1u << n) - 1);
  if constexpr (T == DType::f32) {
    return _mm256_maskz_loadu_ps(m, static_cast<const float*>(row) + i);
  } else {
    const __m128i bits = _mm_maskz_loadu_epi16(m, static_cast<const std::uint16_t*>(row) + i);
    if constexpr (T == DType::f16) {
      return _mm256_cvtph_ps(bits);
    } else {
      return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(bits), 16));
    }
  }
}

template <DType T>
constexpr std::size_t kElementBytes = T == DType::f32 ? 4 : 2;

/// panel[k * 64 + r] = w[row r, column k0 + k] as fp32 for r < rows, k < kn; rows past `rows`
/// (up to the last vector of 16) are zero.
template <DType T>
void build_panel(const void* w, std::int64_t cols, std::int64_t rows, std::int64_t k0,
                 std::int64_t kn, float* panel) {
  const auto* base = static_cast<const std::uint8_t*>(w);
  const auto row_at = [&](std::int64_t r) {
    return base + static_cast<std::size_t>(r * cols) * kElementBytes<T>;
  };
  for (std::int64_t v = 0; v * kLanes < rows; ++v) {
    const std::int64_t r0 = v * kLanes;
    for (std::int64_t k = 0; k < kn; k += 8) {
      const std::int64_t n = std::min<std::int64_t>(8, kn - k);
      __m512i z[8];
      for (int i = 0; i < 8; ++i) {
        const __m256 lo = r0 + i < rows ? load8<T>(row_at(r0 + i), k0 + k, n) : _mm256_setzero_ps();
        const __m256 hi =
            r0 + i + 8 < rows ? load8<T>(row_at(r0 + i + 8), k0 + k, n) : _mm256_setzero_ps();
        z[i] = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_castps_si256(lo)),
                                  _mm256_castps_si256(hi), 1);
      }
      __m512i out[8];
      quant::x86::transpose_16x8_dwords(z, out);
      for (std::int64_t q = 0; q < n; ++q)
        _mm512_store_si512(reinterpret_cast<__m512i*>(panel + (k + q) * kPanelRows + r0), out[q]);
    }
  }
}

/// Where the next tile reads: its activations (kTileTokens rows x_stride apart) and outputs.
struct Next {
  const float* x;
  const float* y;
};

/// Tile of V vectors of 16 rows x N tokens over the panel's kn columns: y (row 0 of the tile,
/// token 0) += the chain's next kn steps, or starts it when `first`. Lanes outside `last` of the
/// last vector are neither read nor written. On the way, the next tile's activations and
/// outputs are fetched into L1 (they come from L2: a cold start of 6 + 24 lines would stall the
/// first steps).
template <int V, int N>
void tile(const float* panel, std::int64_t kn, const float* x, std::int64_t x_stride, float* y,
          std::int64_t y_stride, __mmask16 last, bool first, Next next) {
  __m512 acc[V][N];
  for (int v = 0; v < V; ++v) {
    const __mmask16 m = v == V - 1 ? last : static_cast<__mmask16>(0xFFFF);
    for (int n = 0; n < N; ++n)
      acc[v][n] = first ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(m, y + n * y_stride + v * kLanes);
  }
  for (std::int64_t k = 0; k < kn; ++k) {
    if (k % kLanes == 0) {  // line k / 16 of each of the next tile's activation rows
      for (int n = 0; n < kTileTokens; ++n)
        _mm_prefetch(reinterpret_cast<const char*>(next.x + n * x_stride + k), _MM_HINT_T0);
    } else if (k % kLanes == 1) {  // and a part of its outputs
      const std::int64_t n = k / kLanes;
      if (n < kTileTokens) {
        for (int v = 0; v < kPanelVectors; ++v)
          _mm_prefetch(reinterpret_cast<const char*>(next.y + n * y_stride + v * kLanes),
                       _MM_HINT_T0);
      }
    }
    __m512 wv[V];
    for (int v = 0; v < V; ++v) wv[v] = _mm512_load_ps(panel + k * kPanelRows + v * kLanes);
    for (int n = 0; n < N; ++n) {
      const __m512 b = _mm512_set1_ps(x[n * x_stride + k]);
      for (int v = 0; v < V; ++v) acc[v][n] = _mm512_fmadd_ps(wv[v], b, acc[v][n]);
    }
  }
  for (int v = 0; v < V; ++v) {
    const __mmask16 m = v == V - 1 ? last : static_cast<__mmask16>(0xFFFF);
    for (int n = 0; n < N; ++n) _mm512_mask_storeu_ps(y + n * y_stride + v * kLanes, m, acc[v][n]);
  }
}

using TileFn = void (*)(const float*, std::int64_t, const float*, std::int64_t, float*,
                        std::int64_t, __mmask16, bool, Next);

template <int V, std::size_t... N>
constexpr std::array<TileFn, kTileTokens> tiles_for(std::index_sequence<N...>) {
  return {&tile<V, static_cast<int>(N) + 1>...};
}

constexpr std::array<std::array<TileFn, kTileTokens>, kPanelVectors> kTiles = {
    tiles_for<1>(std::make_index_sequence<kTileTokens>()),
    tiles_for<2>(std::make_index_sequence<kTileTokens>()),
    tiles_for<3>(std::make_index_sequence<kTileTokens>()),
    tiles_for<4>(std::make_index_sequence<kTileTokens>())};

template <DType T>
void gemm(const void* w, std::int64_t n_rows, std::int64_t cols, const float* x,
          std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  alignas(64) static thread_local float panel[kChunk * kPanelRows];
  const auto* base = static_cast<const std::uint8_t*>(w);
  for (std::int64_t b0 = 0; b0 < n_rows; b0 += kBlockRows) {
    const std::int64_t b1 = std::min(n_rows, b0 + kBlockRows);
    for (std::int64_t k0 = 0; k0 < cols; k0 += kChunk) {
      const std::int64_t kn = std::min(kChunk, cols - k0);
      for (std::int64_t p = b0; p < b1; p += kPanelRows) {
        const std::int64_t rows = std::min(kPanelRows, b1 - p);
        build_panel<T>(base + static_cast<std::size_t>(p * cols) * kElementBytes<T>, cols, rows,
                       k0, kn, panel);
        const auto vectors = static_cast<std::size_t>((rows + kLanes - 1) / kLanes);
        const auto last = static_cast<__mmask16>(
            rows % kLanes == 0 ? 0xFFFF : (1u << (rows % kLanes)) - 1);
        for (std::int64_t t = 0; t < n_tokens; t += kTileTokens) {
          const auto n = static_cast<std::size_t>(std::min<std::int64_t>(kTileTokens, n_tokens - t));
          // The next tile's rows (prefetches never fault, so a short last tile may ask for
          // rows past the end).
          const std::int64_t t_next = std::min(t + kTileTokens, n_tokens - kTileTokens);
          const Next next{x + std::max<std::int64_t>(t_next, 0) * cols + k0,
                          y + std::max<std::int64_t>(t_next, 0) * y_stride + p};
          kTiles[vectors - 1][n - 1](panel, kn, x + t * cols + k0, cols, y + t * y_stride + p,
                                     y_stride, last, k0 == 0, next);
        }
      }
    }
  }
}

}  // namespace

void fma_gemm_avx512(DType type, const void* w, std::int64_t n_rows, std::int64_t cols,
                     const float* x, std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  switch (type) {
    case DType::f32:
      return gemm<DType::f32>(w, n_rows, cols, x, n_tokens, y, y_stride);
    case DType::f16:
      return gemm<DType::f16>(w, n_rows, cols, x, n_tokens, y, y_stride);
    case DType::bf16:
      return gemm<DType::bf16>(w, n_rows, cols, x, n_tokens, y, y_stride);
    default:
      throw std::invalid_argument("fma_gemm: weights must be f32, f16 or bf16");
  }
}

}  // namespace r1::ops::cpu
