// The AMX-BF16 kernel (this file alone is compiled with -mamx-tile -mamx-bf16; it runs only after
// amx_available() said yes).
//
// Blocking, for a Sapphire Rapids core (48 KB L1, 2 MB L2) and the 1.5B model's shapes:
// - register block: 2 A tiles (32 weight rows) x 2 B tiles (32 tokens) -> 4 fp32 C tiles, so
//   every tile load feeds one TDPBF16PS;
// - a K block of kKBlock columns: the A panel (32 rows x 512 bf16 = 32 KB) stays in L1 while all
//   tokens of the chunk pass, the B block (512 columns x 512 tokens = 512 KB) stays in L2 while
//   the kRowBlock rows pass;
// - the accumulators of kRowBlock rows x the chunk's tokens (256 KB) live in L2 between K blocks,
//   so every weight byte is read from memory once per chunk of kTokenChunk tokens.
#include "ops/cpu/amx_gemm.h"

#if defined(__AMX_BF16__)  // compiled with the AMX flags (x86-64 builds)

#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "core/cpu_info.h"
#include "ops/cpu/amx_weight_panel.h"
#include "ops/cpu/bf16_round_avx512.h"
#include "ops/cpu/vector_ops.h"
#include "quant/packed_k.h"
#include "quant/packed_q4.h"
#include "quant/packed_q8_0.h"
#include "quant/quant_type.h"

namespace r1::ops::cpu {
namespace {

constexpr std::int64_t kKBlock = 256;    // a multiple of 256: whole K-quant super-blocks
constexpr std::int64_t kRowBlock = 128;  // rows whose accumulators stay in L2
constexpr std::int64_t kTokenChunk = 512;  // tokens per pass over the weights

// The 64-byte tile configuration of palette 1 (Intel SDM, LDTILECFG).
struct alignas(64) TileConfig {
  std::uint8_t palette = 1;
  std::uint8_t start_row = 0;
  std::uint8_t reserved[14] = {};
  std::uint16_t bytes_per_row[16] = {};
  std::uint8_t rows[16] = {};
};

// Linux keeps the 8 KB tile state out of every thread's context until the process asks for it.
bool request_tile_permission() {
  constexpr long kArchReqXcompPerm = 0x1023;
  constexpr long kXfeatureXtiledata = 18;
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
}

// Tiles 0-3: C (16 rows x 16 fp32), 4-5: A (16 weight rows x 32 bf16), 6-7: B (16 pair rows x
// 16 tokens x 2 bf16): all 16 rows of 64 bytes.
void configure_tiles() {
  TileConfig config;
  for (int i = 0; i < 8; ++i) {
    config.bytes_per_row[i] = 64;
    config.rows[i] = 16;
  }
  _tile_loadconfig(&config);
}

// 32 rows x 32 tokens over kc_padded columns, accumulating into the 4 C tiles at c (each 16 x 16
// fp32, 1 KB, one after the other: rows 0-15 x tokens 0-15, rows 0-15 x tokens 16-31, rows 16-31
// x tokens 0-15, rows 16-31 x tokens 16-31). The A tiles of the panel lie one after the other
// (1 KB each), the B tiles of each 16 tokens too: every tile load reads consecutive memory.
void tile_block(const std::uint16_t* a0, const std::uint16_t* a1, const std::uint16_t* b0,
                const std::uint16_t* b1, std::int64_t kc_padded, bool first, float* c) {
  if (first) {
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
  } else {
    _tile_loadd(0, c, 64);
    _tile_loadd(1, c + 256, 64);
    _tile_loadd(2, c + 512, 64);
    _tile_loadd(3, c + 768, 64);
  }
  for (std::int64_t k = 0; k < kc_padded; k += 32) {
    _tile_loadd(4, a0 + k * 16, 64);
    _tile_loadd(5, a1 + k * 16, 64);
    _tile_loadd(6, b0 + k * 16, 64);
    _tile_loadd(7, b1 + k * 16, 64);
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  }
  _tile_stored(0, c, 64);
  _tile_stored(1, c + 256, 64);
  _tile_stored(2, c + 512, 64);
  _tile_stored(3, c + 768, 64);
}

// C^T tile (16 weight rows x 16 tokens) to y[token * y_stride + row] for the first n_rows rows
// and n_tokens tokens.
void store_transposed(const float* tile, std::int64_t n_rows, std::int64_t n_tokens, float* y,
                      std::int64_t y_stride) {
  for (std::int64_t t = 0; t < n_tokens; ++t) {
    float* out = y + t * y_stride;
    for (std::int64_t i = 0; i < n_rows; ++i) out[i] = tile[i * 16 + t];
  }
}

// PREFETCHT1 as an asm statement: GCC 12 deletes a loop whose only effect is _mm_prefetch (a
// builtin without side effects), which left prefetch_panel empty.
inline void prefetch_to_l2(const char* p) {
  asm volatile("prefetcht1 %0" : : "m"(*p));
}

// Asks for the weight bytes of rows [row, row + 32) x columns [k0, k0 + kc) to come into L2,
// `part` of `parts` at a time: the panel after the one being multiplied, so that its first tile
// loads do not wait on memory (32 rows are 32 streams, more than the hardware prefetcher tracks).
void prefetch_panel(const WeightMatrix& w, std::int64_t row, std::int64_t row_end,
                    std::int64_t k0, std::int64_t kc, std::int64_t part, std::int64_t parts) {
  if (w.layout == WeightLayout::packed &&
      quant::has_packed_q4_layout(*quant::quant_type_of(w.type))) {
    // q4_0 / q4_1 (quant/packed_q4.h): the groups of rows [row, row + 32), heads and quants of
    // blocks [k0 / 32, (k0 + kc) / 32).
    const quant::QuantType type = *quant::quant_type_of(w.type);
    const std::int64_t nb = w.cols / 32, b0 = k0 / 32, n_blocks = (kc + 31) / 32;
    const std::int64_t head = type == quant::QuantType::q4_1 ? 64 : 32;
    const auto* packed = static_cast<const char*>(w.data);
    const std::int64_t g0 = row / 16, g1 = (std::min<std::int64_t>(row + 32, row_end) + 15) / 16;
    const std::int64_t quant_lines = n_blocks * 4, head_lines = (n_blocks * head + 63) / 64;
    const std::int64_t lines = quant_lines + head_lines, total = (g1 - g0) * lines;
    for (std::int64_t i = total * part / parts; i < total * (part + 1) / parts; ++i) {
      const char* group = packed + (g0 + i / lines) * quant::packed_q4_group_bytes(type, nb);
      const std::int64_t line = i % lines;
      prefetch_to_l2(line < quant_lines
                         ? group + quant::packed_q4_head_bytes(type, nb) + b0 * 256 + line * 64
                         : group + b0 * head + (line - quant_lines) * 64);
    }
    return;
  }
  if (w.layout == WeightLayout::packed && w.type != DType::q8_0) {
    // q4_k / q5_k / q6_k: the groups of rows [row, row + 32), blocks [k0 / 256, (k0 + kc) / 256):
    // one contiguous run per group.
    const quant::QuantType type = *quant::quant_type_of(w.type);
    const std::int64_t block = dtype_block_elements(w.type), nb = w.cols / block;
    const auto packed_block = static_cast<std::int64_t>(quant::packed_k_block_bytes(type));
    const std::int64_t g0 = row / 16, g1 = (std::min<std::int64_t>(row + 32, row_end) + 15) / 16;
    const std::int64_t lines = (kc + block - 1) / block * packed_block / 64;
    const std::int64_t total = (g1 - g0) * lines;
    const auto* packed = static_cast<const char*>(w.data);
    for (std::int64_t i = total * part / parts; i < total * (part + 1) / parts; ++i) {
      prefetch_to_l2(packed + ((g0 + i / lines) * nb + k0 / block) * packed_block +
                     (i % lines) * 64);
    }
    return;
  }
  if (w.layout == WeightLayout::packed) {
    // The groups of rows [row, row + 32): scales and quants of blocks [k0 / 32, (k0 + kc) / 32).
    const std::int64_t nb = w.cols / 32, b0 = k0 / 32, n_blocks = (kc + 31) / 32;
    const auto* packed = static_cast<const char*>(w.data);
    const std::int64_t g0 = row / 16, g1 = (std::min<std::int64_t>(row + 32, row_end) + 15) / 16;
    const std::int64_t lines = n_blocks * 8 + (n_blocks * 32 + 63) / 64, total = (g1 - g0) * lines;
    for (std::int64_t i = total * part / parts; i < total * (part + 1) / parts; ++i) {
      const char* group = packed + (g0 + i / lines) * quant::packed_q8_0_group_bytes(nb);
      const std::int64_t line = i % lines;
      prefetch_to_l2(line < n_blocks * 8
                         ? group + quant::packed_q8_0_scale_bytes(nb) + b0 * 512 + line * 64
                         : group + b0 * 32 + (line - n_blocks * 8) * 64);
    }
    return;
  }
  const std::int64_t block = dtype_block_elements(w.type);
  const std::int64_t first = k0 / block * dtype_block_bytes(w.type);
  const std::int64_t bytes = (kc + block - 1) / block * dtype_block_bytes(w.type);
  const std::int64_t n_rows = std::min<std::int64_t>(32, row_end - row);
  const std::int64_t lines = (bytes + 63) / 64, total = n_rows * lines;
  const auto* base = static_cast<const char*>(w.data) + row_bytes(w) * row + first;
  for (std::int64_t i = total * part / parts; i < total * (part + 1) / parts; ++i) {
    prefetch_to_l2(base + row_bytes(w) * (i / lines) + (i % lines) * 64);
  }
}

// In-register transpose of a 16 x 16 matrix of 32-bit elements (r[i] = row i).
void transpose_16x16_dwords(__m512i r[16]) {
  __m512i t[16], u[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
  }
  // u[4g + m], lane L = column 4L + m of rows 4g..4g+3.
  for (int g = 0; g < 16; g += 4) {
    u[g] = _mm512_unpacklo_epi64(t[g], t[g + 2]);
    u[g + 1] = _mm512_unpackhi_epi64(t[g], t[g + 2]);
    u[g + 2] = _mm512_unpacklo_epi64(t[g + 1], t[g + 3]);
    u[g + 3] = _mm512_unpackhi_epi64(t[g + 1], t[g + 3]);
  }
  for (int m = 0; m < 4; ++m) {
    const __m512i v02 = _mm512_shuffle_i32x4(u[m], u[4 + m], 0x88);  // lanes 0, 2
    const __m512i v13 = _mm512_shuffle_i32x4(u[m], u[4 + m], 0xDD);  // lanes 1, 3
    const __m512i w02 = _mm512_shuffle_i32x4(u[8 + m], u[12 + m], 0x88);
    const __m512i w13 = _mm512_shuffle_i32x4(u[8 + m], u[12 + m], 0xDD);
    r[m] = _mm512_shuffle_i32x4(v02, w02, 0x88);
    r[8 + m] = _mm512_shuffle_i32x4(v02, w02, 0xDD);
    r[4 + m] = _mm512_shuffle_i32x4(v13, w13, 0x88);
    r[12 + m] = _mm512_shuffle_i32x4(v13, w13, 0xDD);
  }
}

}  // namespace

bool amx_available() {
  static const bool available = cpu_features().amx_bf16 && request_tile_permission();
  return available;
}

void amx_pack_activations(const float* x, std::int64_t block_begin, std::int64_t block_end,
                          AmxActivations& packed) {
  const std::int64_t kp = packed.padded_cols, cols = packed.cols;
  for (std::int64_t block = block_begin; block < block_end; ++block) {
    std::uint16_t* strip = packed.data.data() + block * kp * 16;
    const std::int64_t tokens = std::clamp<std::int64_t>(packed.n_tokens - block * 16, 0, 16);
    for (std::int64_t k = 0; k < kp; k += 32) {
      // Row i: token i's columns [k, k + 32) as 16 bf16 pairs; the transpose makes row p the
      // pair p of all 16 tokens, one row of the B tile.
      __m512i rows[16];
      const std::int64_t left = cols - k;
      const __mmask16 lo = left >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << left) - 1);
      const __mmask16 hi = left >= 32   ? 0xFFFF
                           : left <= 16 ? 0
                                        : static_cast<__mmask16>((1u << (left - 16)) - 1);
      for (int i = 0; i < 16; ++i) {
        if (i >= tokens) {
          rows[i] = _mm512_setzero_si512();
          continue;
        }
        const float* from = x + (block * 16 + i) * cols + k;
        const __m256i a = round_16_to_bf16(_mm512_maskz_loadu_ps(lo, from));
        const __m256i b = round_16_to_bf16(_mm512_maskz_loadu_ps(hi, from + 16));
        rows[i] = _mm512_inserti64x4(_mm512_castsi256_si512(a), b, 1);
      }
      transpose_16x16_dwords(rows);
      for (int p = 0; p < 16; ++p)
        _mm512_storeu_si512(strip + (k / 2 + p) * 32, rows[p]);
    }
  }
}

void amx_gemm(const WeightMatrix& w, std::int64_t row_begin, std::int64_t row_end,
              const AmxActivations& x, float* y, std::int64_t y_stride, AmxScratch& scratch) {
  if (row_begin >= row_end) return;
  scratch.panel.resize(static_cast<std::size_t>(32 * kKBlock));
  scratch.row.resize(static_cast<std::size_t>(kKBlock));
  scratch.row_bf16.resize(static_cast<std::size_t>(kKBlock));
  scratch.acc.resize(static_cast<std::size_t>((kRowBlock + 31) / 32 * 32 * kTokenChunk));
  configure_tiles();
  const std::int64_t kp = x.padded_cols;
  for (std::int64_t t0 = 0; t0 < x.padded_tokens; t0 += kTokenChunk) {
    const std::int64_t tc = std::min(kTokenChunk, x.padded_tokens - t0);  // a multiple of 32
    const std::int64_t real_tokens = std::min(tc, x.n_tokens - t0);
    for (std::int64_t s0 = row_begin; s0 < row_end; s0 += kRowBlock) {
      const std::int64_t s1 = std::min(s0 + kRowBlock, row_end);
      for (std::int64_t k0 = 0; k0 < w.cols; k0 += kKBlock) {
        const std::int64_t kc = std::min(kKBlock, w.cols - k0);
        const std::int64_t kc_padded = (kc + 31) / 32 * 32;
        for (std::int64_t r = s0; r < s1; r += 32) {
          fill_weight_panel(w, r, std::min<std::int64_t>(32, s1 - r), k0, kc, kc_padded,
                            scratch.panel.data(), scratch.row.data(), scratch.row_bf16.data());
          const std::uint16_t* a0 = scratch.panel.data();
          const std::uint16_t* a1 = a0 + kc_padded * 16;
          // The next panel: the next 32 rows of this block, else the next K block's first rows,
          // else the next row block.
          std::int64_t next_r = r + 32, next_k0 = k0;
          if (next_r >= s1) {
            next_r = s0;
            next_k0 = k0 + kKBlock;
            if (next_k0 >= w.cols) {
              next_r = s1;
              next_k0 = 0;
            }
          }
          const bool prefetch = next_r < row_end;
          const std::int64_t next_end = std::min(row_end, next_r == s1 ? s1 + kRowBlock : s1);
          const std::int64_t next_kc = std::min(kKBlock, w.cols - next_k0);
          // The accumulators of this row pair-block: 4 KB per 32 tokens.
          float* acc = scratch.acc.data() + (r - s0) / 32 * (tc / 32) * 1024;
          for (std::int64_t t = 0; t < tc; t += 32) {
            if (prefetch) prefetch_panel(w, next_r, next_end, next_k0, next_kc, t / 32, tc / 32);
            const std::uint16_t* b0 = x.data.data() + (t0 + t) / 16 * kp * 16 + k0 * 16;
            tile_block(a0, a1, b0, b0 + kp * 16, kc_padded, k0 == 0, acc + t / 32 * 1024);
          }
        }
      }
      for (std::int64_t r = s0; r < s1; r += 32) {
        const float* acc = scratch.acc.data() + (r - s0) / 32 * (tc / 32) * 1024;
        for (std::int64_t t = 0; t < real_tokens; t += 32) {
          for (int j = 0; j < 4; ++j) {
            const std::int64_t row = r + (j / 2) * 16, token = t + (j % 2) * 16;
            if (row >= s1 || token >= real_tokens) continue;
            store_transposed(acc + t / 32 * 1024 + j * 256, std::min<std::int64_t>(16, s1 - row),
                             std::min<std::int64_t>(16, real_tokens - token),
                             y + (t0 + token) * y_stride + (row - row_begin), y_stride);
          }
        }
      }
    }
  }
  _tile_release();
}

}  // namespace r1::ops::cpu

#else  // no AMX in this build: the other paths run

namespace r1::ops::cpu {
bool amx_available() { return false; }
void amx_pack_activations(const float*, std::int64_t, std::int64_t, AmxActivations&) {}
void amx_gemm(const WeightMatrix&, std::int64_t, std::int64_t, const AmxActivations&, float*,
              std::int64_t, AmxScratch&) {}
}  // namespace r1::ops::cpu

#endif
