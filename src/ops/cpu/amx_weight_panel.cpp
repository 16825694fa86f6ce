// Compiled for AVX-512 (F/BW/VL, F16C): only the AMX kernel calls it, on processors that have
// AMX and so AVX-512. Compiled with -ffp-contract=off: every element must be the reference's
// dequantized float (quant::dequantize_row, the same products and differences, none fused)
// rounded to bf16 as round_to_bf16 does, bit for bit (tests/ops/amx_weight_panel_test.cpp).
#include "ops/cpu/amx_weight_panel.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

#include "core/half.h"
#include "ops/cpu/bf16_round_avx512.h"
#include "ops/cpu/vector_ops.h"
#include "quant/blocks.h"
#include "quant/packed_k.h"
#include "quant/packed_q4.h"
#include "quant/packed_q8_0.h"
#include "quant/quant_type.h"
#include "quant/quantize.h"
#include "quant/x86/transpose_avx512.h"

namespace r1::ops::cpu {
namespace {

using quant::BlockQ4K;
using quant::BlockQ5K;
using quant::BlockQ6K;
using quant::BlockQ8_0;

/// 16 floats to bf16 as round_to_bf16 rounds them.
inline void store_bf16(__m512 x, std::uint16_t* out) {
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), round_16_to_bf16(x));
}

/// 16 bytes as 32-bit lanes, unsigned.
inline __m512i widen_u8(const std::uint8_t* p) {
  return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// The dequantizers below write 32-element chunks of a row: chunk j (elements 32 j .. 32 j + 31)
// at out + j * stride, so that they can fill the panel's tile rows directly.

// ref::dequantize_q8_0: q * d.
void q8_0_as_bf16(const BlockQ8_0* x, std::int64_t nb, std::uint16_t* out, std::int64_t stride) {
  for (std::int64_t i = 0; i < nb; ++i, out += stride) {
    const __m512 d = _mm512_set1_ps(f16_to_f32(x[i].d));
    for (int h = 0; h < 2; ++h) {
      const __m512i q = _mm512_cvtepi8_epi32(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(x[i].qs + 16 * h)));
      store_bf16(_mm512_mul_ps(_mm512_cvtepi32_ps(q), d), out + 16 * h);
    }
  }
}

// Row `row` of a packed q8_0 matrix (quant/packed_q8_0.h), blocks [b0, b0 + n): each block's 32
// bytes gathered from the 8 interleaved vectors, then q * d as q8_0_as_bf16 computes it.
void packed_q8_0_as_bf16(const std::uint8_t* packed, std::int64_t nb, std::int64_t row,
                         std::int64_t b0, std::int64_t n, std::uint16_t* out,
                         std::int64_t stride) {
  const std::uint8_t* group =
      packed + static_cast<std::size_t>(row / quant::kPackedQ8Rows) * quant::packed_q8_0_group_bytes(nb);
  const auto* scales = reinterpret_cast<const std::uint16_t*>(group);
  const std::int64_t lane = row % quant::kPackedQ8Rows;
  const std::uint8_t* quants = group + quant::packed_q8_0_scale_bytes(nb) + 4 * lane;
  const __m256i vectors = _mm256_setr_epi32(0, 64, 128, 192, 256, 320, 384, 448);
  const __m256i bias = _mm256_set1_epi8(static_cast<char>(0x80));
  for (std::int64_t i = 0; i < n; ++i, out += stride) {
    const std::int64_t b = b0 + i;
    const __m256i bytes = _mm256_xor_si256(
        _mm256_i32gather_epi32(reinterpret_cast<const int*>(quants + b * 512), vectors, 1), bias);
    const __m512 d = _mm512_set1_ps(f16_to_f32(scales[b * quant::kPackedQ8Rows + lane]));
    for (int h = 0; h < 2; ++h) {
      const __m512i q = _mm512_cvtepi8_epi32(h == 0 ? _mm256_castsi256_si128(bytes)
                                                    : _mm256_extracti128_si256(bytes, 1));
      store_bf16(_mm512_mul_ps(_mm512_cvtepi32_ps(q), d), out + 16 * h);
    }
  }
}

// The 16 rows of one packed group (rows 16 g .. 16 g + 15, 0 <= n_rows <= 16 of them wanted),
// blocks [b0, b0 + n): each block's 8 interleaved vectors transposed back to the rows' 32 bytes
// in registers (an 8 x 16 dword transpose per 256-bit half), then q * d as q8_0_as_bf16 computes
// it. Row i's chunk j goes to out + i * row_stride + j * stride.
void packed_q8_0_group_as_bf16(const std::uint8_t* packed, std::int64_t nb, std::int64_t g,
                               std::int64_t n_rows, std::int64_t b0, std::int64_t n,
                               std::uint16_t* out, std::int64_t row_stride, std::int64_t stride) {
  const std::uint8_t* group = packed + static_cast<std::size_t>(g) * quant::packed_q8_0_group_bytes(nb);
  const auto* scales = reinterpret_cast<const std::uint16_t*>(group);
  const std::uint8_t* quants = group + quant::packed_q8_0_scale_bytes(nb);
  const __m512i bias = _mm512_set1_epi8(static_cast<char>(0x80));
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t b = b0 + i;
    __m512i v[8], pairs[8];
    for (int q = 0; q < 8; ++q) {
      v[q] = _mm512_xor_si512(
          _mm512_loadu_si512(reinterpret_cast<const __m512i*>(quants + b * 512 + 64 * q)), bias);
    }
    quant::x86::untranspose_8x16_dwords(v, pairs);
    alignas(64) std::int8_t rows[16][32];
    for (int m = 0; m < 4; ++m) {
      // Rows m | m + 4 and m + 8 | m + 12, 32 bytes each.
      const __m512i lo = pairs[m], hi = pairs[4 + m];
      _mm256_store_si256(reinterpret_cast<__m256i*>(rows[m]), _mm512_castsi512_si256(lo));
      _mm256_store_si256(reinterpret_cast<__m256i*>(rows[m + 4]), _mm512_extracti64x4_epi64(lo, 1));
      _mm256_store_si256(reinterpret_cast<__m256i*>(rows[m + 8]), _mm512_castsi512_si256(hi));
      _mm256_store_si256(reinterpret_cast<__m256i*>(rows[m + 12]), _mm512_extracti64x4_epi64(hi, 1));
    }
    for (std::int64_t r = 0; r < n_rows; ++r) {
      const __m512 d = _mm512_set1_ps(f16_to_f32(scales[b * quant::kPackedQ8Rows + r]));
      std::uint16_t* to = out + r * row_stride + i * stride;
      for (int h = 0; h < 2; ++h) {
        const __m512i q = _mm512_cvtepi8_epi32(
            _mm_load_si128(reinterpret_cast<const __m128i*>(rows[r] + 16 * h)));
        store_bf16(_mm512_mul_ps(_mm512_cvtepi32_ps(q), d), to + 16 * h);
      }
    }
  }
}

// ref::dequantize_q4_k and ref::dequantize_q5_k: (d * sc) * q - dmin * m per 32-element
// sub-block; q5_k's q has bit 2 g (2 g + 1 for the high nibbles) of qh as its 5th bit.
template <typename Block>
void k4_as_bf16(const Block* x, std::int64_t nb, std::uint16_t* out, std::int64_t stride) {
  const __m512i low = _mm512_set1_epi32(0xF);
  const __m512i one = _mm512_set1_epi32(1);
  for (std::int64_t i = 0; i < nb; ++i) {
    const float d = f16_to_f32(x[i].d);
    const float dmin = f16_to_f32(x[i].dmin);
    for (int g = 0; g < 4; ++g) {
      const std::uint8_t* q = x[i].qs + 32 * g;
      for (int half = 0; half < 2; ++half, out += stride) {
        std::uint8_t sc;
        std::uint8_t m;
        quant::unpack_scale_min_k4(2 * g + half, x[i].scales, &sc, &m);
        const __m512 scale = _mm512_set1_ps(d * sc);
        const __m512 min = _mm512_set1_ps(dmin * m);
        for (int c = 0; c < 2; ++c) {
          const __m512i bytes = widen_u8(q + 16 * c);
          __m512i value = half == 0 ? _mm512_and_si512(bytes, low) : _mm512_srli_epi32(bytes, 4);
          if constexpr (std::is_same_v<Block, BlockQ5K>) {
            const __m512i bit =
                _mm512_and_si512(_mm512_srli_epi32(widen_u8(x[i].qh + 16 * c), 2 * g + half), one);
            value = _mm512_or_si512(value, _mm512_slli_epi32(bit, 4));
          }
          store_bf16(_mm512_sub_ps(_mm512_mul_ps(scale, _mm512_cvtepi32_ps(value)), min),
                     out + 16 * c);
        }
      }
    }
  }
}

// ref::dequantize_q6_k: (d * scale) * q, q = 6 bits - 32, scales per 16 elements.
void q6_k_as_bf16(const BlockQ6K* x, std::int64_t nb, std::uint16_t* out, std::int64_t stride) {
  const __m512i low = _mm512_set1_epi32(0xF);
  const __m512i two = _mm512_set1_epi32(3);
  const __m512i offset = _mm512_set1_epi32(32);
  for (std::int64_t i = 0; i < nb; ++i) {
    const float d = f16_to_f32(x[i].d);
    for (int h = 0; h < 2; ++h, out += 4 * stride) {
      const std::uint8_t* ql = x[i].ql + 64 * h;
      const std::uint8_t* qh = x[i].qh + 32 * h;
      const std::int8_t* sc = x[i].scales + 8 * h;
      for (int c = 0; c < 2; ++c) {  // l = 16 c .. 16 c + 15, scale index is = c
        const int l = 16 * c;
        const __m512i a = widen_u8(ql + l);
        const __m512i b = widen_u8(ql + l + 32);
        const __m512i hi = widen_u8(qh + l);
        const __m512i q[4] = {
            _mm512_or_si512(_mm512_and_si512(a, low),
                            _mm512_slli_epi32(_mm512_and_si512(hi, two), 4)),
            _mm512_or_si512(_mm512_and_si512(b, low),
                            _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(hi, 2), two), 4)),
            _mm512_or_si512(_mm512_srli_epi32(a, 4),
                            _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(hi, 4), two), 4)),
            _mm512_or_si512(_mm512_srli_epi32(b, 4),
                            _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(hi, 6), two), 4)),
        };
        for (int j = 0; j < 4; ++j) {
          const __m512 scale = _mm512_set1_ps(d * sc[c + 2 * j]);
          const __m512 value = _mm512_cvtepi32_ps(_mm512_sub_epi32(q[j], offset));
          store_bf16(_mm512_mul_ps(scale, value), out + j * stride + l);
        }
      }
    }
  }
}

void f16_as_bf16(const std::uint16_t* halves, std::int64_t n, std::uint16_t* out) {
  std::int64_t k = 0;
  for (; k + 16 <= n; k += 16) {
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(halves + k));
    store_bf16(_mm512_cvtph_ps(h), out + k);
  }
  for (; k < n; ++k) {
    const float f = f16_to_f32(halves[k]);
    round_to_bf16(&f, 1, out + k);
  }
}

// Columns [k0, k0 + kc) of one weight row as bf16 in out[0, kc).
void row_as_bf16(const WeightMatrix& w, const std::uint8_t* src, std::int64_t k0, std::int64_t kc,
                 float* row_f32, std::uint16_t* out) {
  switch (w.type) {
    case DType::bf16:
      std::memcpy(out, src + 2 * k0, static_cast<std::size_t>(kc) * 2);
      return;
    case DType::f32:
      round_to_bf16(reinterpret_cast<const float*>(src) + k0, kc, out);
      return;
    case DType::f16:
      f16_as_bf16(reinterpret_cast<const std::uint16_t*>(src) + k0, kc, out);
      return;
    default: {
      const quant::QuantType type = *quant::quant_type_of(w.type);
      const std::int64_t block = quant::block_elements(type);
      quant::dequantize_row(type, src + k0 / block * quant::block_bytes(type), row_f32, kc);
      round_to_bf16(row_f32, kc, out);
      return;
    }
  }
}

using ChunkDequantizer = void (*)(const std::uint8_t* blocks, std::int64_t n_blocks,
                                  std::uint16_t* out, std::int64_t stride);

template <typename Block, void (*Fn)(const Block*, std::int64_t, std::uint16_t*, std::int64_t)>
void chunks_of(const std::uint8_t* blocks, std::int64_t n_blocks, std::uint16_t* out,
               std::int64_t stride) {
  Fn(reinterpret_cast<const Block*>(blocks), n_blocks, out, stride);
}

/// The AVX-512 dequantizer of w's type when it has one and [k0, k0 + kc) is whole blocks, which
/// then needs no padding (blocks are multiples of 32); else null.
ChunkDequantizer chunk_dequantizer(const WeightMatrix& w, std::int64_t k0, std::int64_t kc) {
  if (!is_quantized(w.type)) return nullptr;
  const std::int64_t block = dtype_block_elements(w.type);
  if (k0 % block != 0 || kc % block != 0) return nullptr;
  switch (w.type) {
    case DType::q8_0:
      return &chunks_of<BlockQ8_0, q8_0_as_bf16>;
    case DType::q4_k:
      return &chunks_of<BlockQ4K, k4_as_bf16<BlockQ4K>>;
    case DType::q5_k:
      return &chunks_of<BlockQ5K, k4_as_bf16<BlockQ5K>>;
    case DType::q6_k:
      return &chunks_of<BlockQ6K, q6_k_as_bf16>;
    default:
      return nullptr;
  }
}

}  // namespace

void fill_weight_panel(const WeightMatrix& w, std::int64_t row, std::int64_t n_rows,
                       std::int64_t k0, std::int64_t kc, std::int64_t kc_padded,
                       std::uint16_t* panel, float* row_f32, std::uint16_t* row_bf16) {
  const auto* base = static_cast<const std::uint8_t*>(w.data);
  const std::size_t stride_bytes = row_bytes(w);
  const std::int64_t blocks = kc_padded / 32;
  if (w.layout == WeightLayout::packed &&
      quant::has_packed_q4_layout(*quant::quant_type_of(w.type))) {
    // q4_0 / q4_1 (quant/packed_q4.h): each row's blocks back in the file's format, then
    // dequantized as the file's rows are. k0 and kc are whole 32-element blocks.
    const quant::QuantType type = *quant::quant_type_of(w.type);
    thread_local std::vector<std::uint8_t> file_blocks;
    file_blocks.resize(static_cast<std::size_t>(kc / 32 * quant::block_bytes(type)));
    for (std::int64_t i = 0; i < 32; ++i) {
      std::uint16_t* to = panel + (i / 16) * blocks * 512 + (i % 16) * 32;
      if (i < n_rows) {
        quant::unpack_q4_row(type, base, w.cols / 32, row + i, k0 / 32, kc / 32,
                             file_blocks.data());
        row_as_bf16(w, file_blocks.data(), 0, kc, row_f32, row_bf16);
        std::fill(row_bf16 + kc, row_bf16 + kc_padded, std::uint16_t{0});
      } else {
        std::fill(row_bf16, row_bf16 + kc_padded, std::uint16_t{0});
      }
      for (std::int64_t b = 0; b < blocks; ++b) std::memcpy(to + b * 512, row_bf16 + b * 32, 64);
    }
    return;
  }
  if (w.layout == WeightLayout::packed && w.type != DType::q8_0) {
    // q4_k / q5_k / q6_k (quant/packed_k.h): each row's super-blocks unpacked to the file's format
    // into the row_f32 scratch (a block's bytes are fewer than its elements' floats), then
    // dequantized straight into the tile rows as for the file's rows. k0 and kc are whole
    // super-blocks.
    const quant::QuantType type = *quant::quant_type_of(w.type);
    const std::int64_t block = dtype_block_elements(w.type);
    const ChunkDequantizer direct = chunk_dequantizer(w, k0, kc);
    if (row % quant::kPackedKRows == 0) {
      // Whole groups: each super-block of 16 rows unpacked at once (in registers), then each
      // row's block dequantized into its tile rows (8 chunks of 32 per block).
      const auto file_block = static_cast<std::size_t>(dtype_block_bytes(w.type));
      alignas(64) std::uint8_t group_blocks[16 * 256];
      for (std::int64_t h = 0; h < 2; ++h) {
        const std::int64_t rows_in_half = std::clamp<std::int64_t>(n_rows - 16 * h, 0, 16);
        std::uint16_t* half = panel + h * blocks * 512;
        for (std::int64_t i = 0; i < kc / block && rows_in_half > 0; ++i) {
          quant::unpack_k_group(type, base, w.cols / block, row / 16 + h, k0 / block + i,
                                group_blocks);
          for (std::int64_t r = 0; r < rows_in_half; ++r)
            direct(group_blocks + static_cast<std::size_t>(r) * file_block, 1,
                   half + r * 32 + i * (block / 32) * 512, 512);
        }
        for (std::int64_t r = rows_in_half; r < 16; ++r) {
          for (std::int64_t b = 0; b < blocks; ++b)
            std::fill_n(half + r * 32 + b * 512, 32, std::uint16_t{0});
        }
      }
      return;
    }
    auto* blocks_bytes = reinterpret_cast<std::uint8_t*>(row_f32);
    for (std::int64_t i = 0; i < 32; ++i) {
      std::uint16_t* to = panel + (i / 16) * blocks * 512 + (i % 16) * 32;
      if (i < n_rows) {
        quant::unpack_k_row(type, base, w.cols / block, row + i, k0 / block, kc / block,
                            blocks_bytes);
        direct(blocks_bytes, kc / block, to, 512);
      } else {
        for (std::int64_t b = 0; b < blocks; ++b) std::fill_n(to + b * 512, 32, std::uint16_t{0});
      }
    }
    return;
  }
  if (w.layout == WeightLayout::packed) {
    // q8_0 columns come in whole 32-element blocks (k0 and kc are multiples of 32).
    if (row % quant::kPackedQ8Rows == 0) {
      // Whole groups: panel half h is group row / 16 + h, transposed 16 rows at a time.
      for (std::int64_t h = 0; h < 2; ++h) {
        const std::int64_t rows_in_half = std::clamp<std::int64_t>(n_rows - 16 * h, 0, 16);
        std::uint16_t* half = panel + h * blocks * 512;
        if (rows_in_half > 0) {
          packed_q8_0_group_as_bf16(base, w.cols / 32, row / 16 + h, rows_in_half, k0 / 32,
                                    kc / 32, half, 32, 512);
        }
        for (std::int64_t i = rows_in_half; i < 16; ++i) {
          for (std::int64_t b = 0; b < blocks; ++b)
            std::fill_n(half + i * 32 + b * 512, 32, std::uint16_t{0});
        }
      }
      return;
    }
    for (std::int64_t i = 0; i < 32; ++i) {
      std::uint16_t* to = panel + (i / 16) * blocks * 512 + (i % 16) * 32;
      if (i < n_rows) {
        packed_q8_0_as_bf16(base, w.cols / 32, row + i, k0 / 32, kc / 32, to, 512);
      } else {
        for (std::int64_t b = 0; b < blocks; ++b) std::fill_n(to + b * 512, 32, std::uint16_t{0});
      }
    }
    return;
  }
  const ChunkDequantizer direct = chunk_dequantizer(w, k0, kc);
  for (std::int64_t i = 0; i < 32; ++i) {
    std::uint16_t* to = panel + (i / 16) * blocks * 512 + (i % 16) * 32;
    if (i < n_rows && direct != nullptr) {
      // Straight into the tile rows: 32-element chunk j is tile row (i % 16) of column block j.
      const std::int64_t block = dtype_block_elements(w.type);
      direct(base + stride_bytes * (row + i) + k0 / block * dtype_block_bytes(w.type),
             kc / block, to, 512);
      continue;
    }
    if (i < n_rows) {
      row_as_bf16(w, base + stride_bytes * (row + i), k0, kc, row_f32, row_bf16);
      std::fill(row_bf16 + kc, row_bf16 + kc_padded, std::uint16_t{0});
    } else {
      std::fill(row_bf16, row_bf16 + kc_padded, std::uint16_t{0});
    }
    for (std::int64_t b = 0; b < blocks; ++b) std::memcpy(to + b * 512, row_bf16 + b * 32, 64);
  }
}

}  // namespace r1::ops::cpu
