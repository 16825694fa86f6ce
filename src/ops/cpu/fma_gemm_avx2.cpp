// The FMA prefill kernel on AVX2 + FMA + F16C (see fma_gemm.h): the AVX-512 kernel's scheme with
// 8 lanes and 16 registers. Panels of 16 rows x 512 columns are widened to fp32 (or dequantized:
// quantized rows) and transposed into L1; register tiles of 2 x 8 rows x 6 tokens (12
// accumulators, 2 panel vectors and one broadcast: 15 of the 16 ymm registers) take 2 panel
// loads and 6 broadcasts per 12 FMAs.
//
// Loop nest, per call (one thread's rows):
//   blocks of 64 rows             their outputs for every token (512 tokens: 128 KB) stay in L2
//     chunks of 512 columns       whole blocks of every quantized format
//       panels of 16 rows         widened / dequantized + transposed once (32 KB, L1 / L2)
//         tiles of 6 tokens       12 accumulators from y (or zero), 512 FMA steps, back to y
// Chunks of 512 columns ran the model's bf16 shapes 6 % faster than 256 and 256 7 % faster than
// 128 (fewer round trips of the partial sums; 1024 no faster), on the AVX2-only EPYC of
// 2026-12-07 (bench/bench_prefill_gemm.cpp, alternating binaries).
// Every output is its in-order fma chain over the columns, bit for bit fma_gemm_reference.
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <utility>

#include "ops/cpu/fma_gemm.h"
#include "quant/packed_q8_0.h"
#include "quant/quant_type.h"
#include "quant/quantize.h"

namespace r1::ops::cpu {
namespace {

constexpr int kLanes = 8;
constexpr int kPanelVectors = 2;                             // vectors of 8 rows per panel
constexpr std::int64_t kPanelRows = kPanelVectors * kLanes;  // 16
constexpr std::int64_t kChunk = 512;                         // columns per panel
constexpr std::int64_t kBlockRows = 64;                      // rows whose outputs stay in L2
constexpr int kTileTokens = 6;

template <DType T>
constexpr std::size_t kElementBytes = T == DType::f32 ? 4 : 2;

/// 8 consecutive weights of one row widened to fp32 (n < 8: the first n, zeros after).
template <DType T>
inline __m256 load8(const void* row, std::int64_t i, std::int64_t n) {
  const auto* p =
      static_cast<const std::uint8_t*>(row) + static_cast<std::size_t>(i) * kElementBytes<T>;
  alignas(32) std::uint8_t padded[32] = {};
  if (n < 8) {
    std::memcpy(padded, p, static_cast<std::size_t>(n) * kElementBytes<T>);
    p = padded;
  }
  if constexpr (T == DType::f32) {
    return _mm256_loadu_ps(reinterpret_cast<const float*>(p));
  } else {
    const __m128i bits = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    if constexpr (T == DType::f16) {
      return _mm256_cvtph_ps(bits);
    } else {
      return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(bits), 16));
    }
  }
}

/// In place: r[i] (row i, 8 columns) becomes column i of the 8 x 8 block.
inline void transpose_8x8(__m256 r[8]) {
  __m256 t[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  __m256 u[8];
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
    r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
  }
}

/// panel[k * 16 + r] = w[row r, column k0 + k] as fp32 for r < rows, k < kn; rows past `rows`
/// (up to the last vector of 8) are zero.
template <DType T>
void build_panel(const void* w, std::int64_t cols, std::int64_t rows, std::int64_t k0,
                 std::int64_t kn, float* panel) {
  const auto* base = static_cast<const std::uint8_t*>(w);
  const auto row_at = [&](std::int64_t r) {
    return base + static_cast<std::size_t>(r * cols) * kElementBytes<T>;
  };
  for (std::int64_t r0 = 0; r0 < rows; r0 += kLanes) {
    for (std::int64_t k = 0; k < kn; k += 8) {
      const std::int64_t n = std::min<std::int64_t>(8, kn - k);
      __m256 v[8];
      for (int i = 0; i < 8; ++i)
        v[i] = r0 + i < rows ? load8<T>(row_at(r0 + i), k0 + k, n) : _mm256_setzero_ps();
      transpose_8x8(v);
      for (std::int64_t q = 0; q < n; ++q) _mm256_store_ps(panel + (k + q) * kPanelRows + r0, v[q]);
    }
  }
}

/// Where the next tile reads: its activations (kTileTokens rows x_stride apart) and outputs.
struct Next {
  const float* x;
  const float* y;
};

/// Tile of V vectors of 8 rows x N tokens over the panel's kn columns: acc (token n's V x 8
/// partial sums at acc[n]) += the chain's next kn steps, or starts it when kFirst. On the way,
/// the next tile's activations and outputs are fetched into L1. Only the accumulators, 2 panel
/// vectors and the broadcast live in the loop (15 of 16 registers): GCC 12 keeps a stack copy
/// of every accumulator, stored on every step, when the tile reads and writes y itself with its
/// run-time stride, or when the prefetches sit behind a branch (1.5-2x slower); hence the copy
/// and the branch-free prefetches.
template <int V, int N, bool kFirst>
[[gnu::noinline]] void accumulate_tile(const float* panel, std::int64_t kn, const float* x,
                                       std::int64_t x_stride, float (*partial)[V * kLanes],
                                       std::int64_t y_stride, Next next) {
  __m256 acc[V][N];
  for (int v = 0; v < V; ++v) {
    for (int n = 0; n < N; ++n)
      acc[v][n] = kFirst ? _mm256_setzero_ps() : _mm256_load_ps(partial[n] + v * kLanes);
  }
  for (std::int64_t k = 0; k < kn; ++k) {
    // Step k asks for line (k / 6) % 32 of activation row k % 6 of the next tile (its 6 rows x
    // 512 columns are 192 lines) and for the output line of its token k % 6.
    const std::int64_t n_next = k % kTileTokens;
    _mm_prefetch(reinterpret_cast<const char*>(next.x + n_next * x_stride +
                                               ((k / kTileTokens) % (kChunk / 16)) * 16),
                 _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(next.y + n_next * y_stride), _MM_HINT_T0);
    __m256 wv[V];
    for (int v = 0; v < V; ++v) wv[v] = _mm256_load_ps(panel + k * kPanelRows + v * kLanes);
    for (int n = 0; n < N; ++n) {
      const __m256 b = _mm256_broadcast_ss(x + n * x_stride + k);
      for (int v = 0; v < V; ++v) acc[v][n] = _mm256_fmadd_ps(wv[v], b, acc[v][n]);
    }
  }
  for (int v = 0; v < V; ++v) {
    for (int n = 0; n < N; ++n) _mm256_store_ps(partial[n] + v * kLanes, acc[v][n]);
  }
}

/// The tile for `rows` (<= V * 8) rows at y (row 0 of the tile, token 0): the outputs copied
/// in (unless `first`), accumulated, and copied back, lanes past `rows` untouched.
template <int V, int N>
void tile(const float* panel, std::int64_t kn, const float* x, std::int64_t x_stride, float* y,
          std::int64_t y_stride, std::int64_t rows, bool first, Next next) {
  alignas(32) float partial[N][V * kLanes] = {};
  const auto bytes = static_cast<std::size_t>(rows) * sizeof(float);
  if (first) {
    accumulate_tile<V, N, true>(panel, kn, x, x_stride, partial, y_stride, next);
  } else {
    for (int n = 0; n < N; ++n) std::memcpy(partial[n], y + n * y_stride, bytes);
    accumulate_tile<V, N, false>(panel, kn, x, x_stride, partial, y_stride, next);
  }
  for (int n = 0; n < N; ++n) std::memcpy(y + n * y_stride, partial[n], bytes);
}

using TileFn = void (*)(const float*, std::int64_t, const float*, std::int64_t, float*,
                        std::int64_t, std::int64_t, bool, Next);

template <int V, std::size_t... N>
constexpr std::array<TileFn, kTileTokens> tiles_for(std::index_sequence<N...>) {
  return {&tile<V, static_cast<int>(N) + 1>...};
}

constexpr std::array<std::array<TileFn, kTileTokens>, kPanelVectors> kTiles = {
    tiles_for<1>(std::make_index_sequence<kTileTokens>()),
    tiles_for<2>(std::make_index_sequence<kTileTokens>())};

/// The loop nest over one thread's rows; build(p, rows, k0, kn, panel) fills the panel of rows
/// p..p + rows - 1, columns k0..k0 + kn - 1.
template <typename BuildPanel>
void gemm(std::int64_t n_rows, std::int64_t cols, const float* x, std::int64_t n_tokens, float* y,
          std::int64_t y_stride, BuildPanel build) {
  alignas(64) static thread_local float panel[kChunk * kPanelRows];
  for (std::int64_t b0 = 0; b0 < n_rows; b0 += kBlockRows) {
    const std::int64_t b1 = std::min(n_rows, b0 + kBlockRows);
    for (std::int64_t k0 = 0; k0 < cols; k0 += kChunk) {
      const std::int64_t kn = std::min(kChunk, cols - k0);
      for (std::int64_t p = b0; p < b1; p += kPanelRows) {
        const std::int64_t rows = std::min(kPanelRows, b1 - p);
        build(p, rows, k0, kn, panel);
        const auto vectors = static_cast<std::size_t>((rows + kLanes - 1) / kLanes);
        for (std::int64_t t = 0; t < n_tokens; t += kTileTokens) {
          const auto n =
              static_cast<std::size_t>(std::min<std::int64_t>(kTileTokens, n_tokens - t));
          // The next tile's rows (prefetches never fault, so a short last tile may ask for
          // rows past the end).
          const std::int64_t t_next = std::min(t + kTileTokens, n_tokens - kTileTokens);
          const Next next{x + std::max<std::int64_t>(t_next, 0) * cols + k0,
                          y + std::max<std::int64_t>(t_next, 0) * y_stride + p};
          kTiles[vectors - 1][n - 1](panel, kn, x + t * cols + k0, cols, y + t * y_stride + p,
                                     y_stride, rows, k0 == 0, next);
        }
      }
    }
  }
}

template <DType T>
void gemm_16_32(const void* w, std::int64_t n_rows, std::int64_t cols, const float* x,
                std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  const auto* base = static_cast<const std::uint8_t*>(w);
  gemm(n_rows, cols, x, n_tokens, y, y_stride,
       [&](std::int64_t p, std::int64_t rows, std::int64_t k0, std::int64_t kn, float* panel) {
         build_panel<T>(base + static_cast<std::size_t>(p * cols) * kElementBytes<T>, cols, rows,
                        k0, kn, panel);
       });
}

/// Quantized rows: each row's blocks under the chunk dequantized (quant::dequantize_row, ggml's
/// values exactly), then widened and transposed like f32 rows. The chunk (512 columns) covers
/// whole blocks of every format (32 or 256 elements; rows hold whole blocks). blocks(row, k0, kn)
/// gives row `row`'s blocks of columns k0 .. k0 + kn - 1 in the file's format.
template <typename RowBlocks>
void gemm_dequantized(quant::QuantType type, std::int64_t n_rows, std::int64_t cols, const float* x,
                      std::int64_t n_tokens, float* y, std::int64_t y_stride, RowBlocks blocks) {
  static_assert(kChunk % 256 == 0);
  alignas(32) static thread_local float rows_f32[kPanelRows * kChunk];
  gemm(n_rows, cols, x, n_tokens, y, y_stride,
       [&](std::int64_t p, std::int64_t rows, std::int64_t k0, std::int64_t kn, float* panel) {
         for (std::int64_t r = 0; r < rows; ++r)
           quant::dequantize_row(type, blocks(p + r, k0, kn), rows_f32 + r * kChunk, kn);
         build_panel<DType::f32>(rows_f32, kChunk, rows, 0, kn, panel);
       });
}

void gemm_quantized(quant::QuantType type, const void* w, std::int64_t n_rows, std::int64_t cols,
                    const float* x, std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  const auto* base = static_cast<const std::uint8_t*>(w);
  const auto row_bytes = static_cast<std::size_t>(quant::row_bytes(type, cols));
  gemm_dequantized(type, n_rows, cols, x, n_tokens, y, y_stride,
                   [&](std::int64_t row, std::int64_t k0, std::int64_t) {
                     return base + static_cast<std::size_t>(row) * row_bytes +
                            static_cast<std::size_t>(quant::row_bytes(type, k0));
                   });
}

}  // namespace

void fma_gemm_avx2(DType type, const void* w, std::int64_t n_rows, std::int64_t cols,
                   const float* x, std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  switch (type) {
    case DType::f32:
      return gemm_16_32<DType::f32>(w, n_rows, cols, x, n_tokens, y, y_stride);
    case DType::f16:
      return gemm_16_32<DType::f16>(w, n_rows, cols, x, n_tokens, y, y_stride);
    case DType::bf16:
      return gemm_16_32<DType::bf16>(w, n_rows, cols, x, n_tokens, y, y_stride);
    default:
      break;
  }
  const std::optional<quant::QuantType> quantized = quant::quant_type_of(type);
  if (!quantized) throw std::invalid_argument("fma_gemm: weights of an unknown type");
  gemm_quantized(*quantized, w, n_rows, cols, x, n_tokens, y, y_stride);
}

void fma_gemm_avx2_packed_q8_0(const std::uint8_t* packed, std::int64_t row_begin,
                               std::int64_t row_end, std::int64_t cols, const float* x,
                               std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  // The chunk's blocks of each row unpacked from the 16-row groups back into the file's blocks.
  static thread_local quant::BlockQ8_0 row_blocks[kChunk / quant::kBlock32];
  const std::int64_t nb = cols / quant::kBlock32;
  gemm_dequantized(quant::QuantType::q8_0, row_end - row_begin, cols, x, n_tokens, y, y_stride,
                   [&](std::int64_t row, std::int64_t k0, std::int64_t kn) {
                     quant::unpack_q8_0_row(packed, nb, row_begin + row, k0 / quant::kBlock32,
                                            kn / quant::kBlock32, row_blocks);
                     return reinterpret_cast<const std::uint8_t*>(row_blocks);
                   });
}

}  // namespace r1::ops::cpu
