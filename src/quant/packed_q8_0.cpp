#include "quant/packed_q8_0.h"

#include <algorithm>
#include <cstring>

#include "core/half.h"
#if defined(R1_QUANT_X86)
#include "quant/vec_dot_fast.h"
#include "quant/x86/simd_kernels.h"
#endif

namespace r1::quant {
namespace {

constexpr std::size_t kVectorBytes = 64;
constexpr std::size_t kBlockQuantBytes = 8 * kVectorBytes;  // 16 rows x 32 bytes

std::int64_t groups_of(std::int64_t n_rows) {
  return (n_rows + kPackedQ8Rows - 1) / kPackedQ8Rows;
}

// Where byte j of row `lane`'s block b lies in a group's quant area.
std::size_t quant_offset(std::int64_t b, std::int64_t lane, int j) {
  return static_cast<std::size_t>(b) * kBlockQuantBytes + static_cast<std::size_t>(j / 4) * 64 +
         static_cast<std::size_t>(lane) * 4 + static_cast<std::size_t>(j % 4);
}

}  // namespace

std::size_t packed_q8_0_scale_bytes(std::int64_t nb) {
  const std::size_t raw = static_cast<std::size_t>(nb) * kPackedQ8Rows * 2;
  return (raw + kVectorBytes - 1) / kVectorBytes * kVectorBytes;
}

std::size_t packed_q8_0_group_bytes(std::int64_t nb) {
  return packed_q8_0_scale_bytes(nb) + static_cast<std::size_t>(nb) * kBlockQuantBytes;
}

std::size_t packed_q8_0_bytes(std::int64_t n_rows, std::int64_t nb) {
  return static_cast<std::size_t>(groups_of(n_rows)) * packed_q8_0_group_bytes(nb);
}

void pack_q8_0(const BlockQ8_0* rows, std::int64_t n_rows, std::int64_t nb, std::uint8_t* out) {
  const std::size_t group_bytes = packed_q8_0_group_bytes(nb);
  const std::size_t scale_bytes = packed_q8_0_scale_bytes(nb);
  for (std::int64_t g = 0; g < groups_of(n_rows); ++g) {
    std::uint8_t* group = out + static_cast<std::size_t>(g) * group_bytes;
    std::memset(group, 0, scale_bytes);
    auto* scales = reinterpret_cast<std::uint16_t*>(group);
    std::uint8_t* quants = group + scale_bytes;
    for (std::int64_t b = 0; b < nb; ++b) {
      for (std::int64_t lane = 0; lane < kPackedQ8Rows; ++lane) {
        const std::int64_t r = g * kPackedQ8Rows + lane;
        // Padding rows: scale 0 and quants 0 (stored 128), so they add exact zeros.
        BlockQ8_0 block{};
        if (r < n_rows) block = rows[r * nb + b];
        scales[b * kPackedQ8Rows + lane] = block.d;
        for (int q = 0; q < 8; ++q) {  // 4 bytes at a time, each q + 128 (flip the sign bit)
          std::uint32_t four;
          std::memcpy(&four, block.qs + 4 * q, 4);
          four ^= 0x80808080u;
          std::memcpy(quants + quant_offset(b, lane, 4 * q), &four, 4);
        }
      }
    }
  }
}

void unpack_q8_0_row(const std::uint8_t* packed, std::int64_t nb, std::int64_t row,
                     std::int64_t b0, std::int64_t n, BlockQ8_0* out) {
  const std::uint8_t* group =
      packed + static_cast<std::size_t>(row / kPackedQ8Rows) * packed_q8_0_group_bytes(nb);
  const auto* scales = reinterpret_cast<const std::uint16_t*>(group);
  const std::uint8_t* quants = group + packed_q8_0_scale_bytes(nb);
  const std::int64_t lane = row % kPackedQ8Rows;
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t b = b0 + i;
    out[i].d = scales[b * kPackedQ8Rows + lane];
    for (int q = 0; q < 8; ++q) {  // 4 bytes at a time, as pack_q8_0 wrote them
      std::uint32_t four;
      std::memcpy(&four, quants + quant_offset(b, lane, 4 * q), 4);
      four ^= 0x80808080u;
      std::memcpy(out[i].qs + 4 * q, &four, 4);
    }
  }
}

namespace ref {

void gemm_packed_q8_0(const std::uint8_t* packed, std::int64_t nb, std::int64_t row_begin,
                      std::int64_t row_end, const BlockQ8_0* a, std::int64_t n_tokens, float* y,
                      std::int64_t y_stride) {
  const std::size_t group_bytes = packed_q8_0_group_bytes(nb);
  const std::size_t scale_bytes = packed_q8_0_scale_bytes(nb);
  for (std::int64_t r = row_begin; r < row_end; ++r) {
    const std::uint8_t* group = packed + static_cast<std::size_t>(r / kPackedQ8Rows) * group_bytes;
    const auto* scales = reinterpret_cast<const std::uint16_t*>(group);
    const std::uint8_t* quants = group + scale_bytes;
    const std::int64_t lane = r % kPackedQ8Rows;
    for (std::int64_t t = 0; t < n_tokens; ++t) {
      const BlockQ8_0* x = a + t * nb;
      float sum = 0.0f;
      for (std::int64_t b = 0; b < nb; ++b) {
        int sumi = 0;
        for (int j = 0; j < kBlock32; ++j)
          sumi += (quants[quant_offset(b, lane, j)] - 128) * x[b].qs[j];
        const float dx = f16_to_f32(scales[b * kPackedQ8Rows + lane]);
        sum += static_cast<float>(sumi) * (dx * f16_to_f32(x[b].d));
      }
      y[t * y_stride + (r - row_begin)] = sum;
    }
  }
}

}  // namespace ref

bool packed_q8_0_kernel_available() {
#if defined(R1_QUANT_X86)
  return best_simd_level() != SimdLevel::scalar;
#else
  return false;
#endif
}

void gemm_packed_q8_0(const std::uint8_t* packed, std::int64_t nb, std::int64_t row_begin,
                      std::int64_t row_end, const BlockQ8_0* a, std::int64_t n_tokens, float* y,
                      std::int64_t y_stride) {
  if (row_begin >= row_end || n_tokens <= 0) return;
#if defined(R1_QUANT_X86)
  if (best_simd_level() == SimdLevel::avx512_vnni) {
    return x86::packed_q8_0_avx512_vnni(packed, nb, row_begin, row_end, a, n_tokens, y,
                                        y_stride);
  }
  if (best_simd_level() == SimdLevel::avx2) {
    return x86::packed_q8_0_avx2(packed, nb, row_begin, row_end, a, n_tokens, y, y_stride);
  }
#endif
  ref::gemm_packed_q8_0(packed, nb, row_begin, row_end, a, n_tokens, y, y_stride);
}

}  // namespace r1::quant
