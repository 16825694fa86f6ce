#include "quant/packed_q4.h"

#include <cstring>
#include <string>
#include <vector>

#include "quant/blocks.h"
#include "quant/quantize.h"
#include "r1/error.h"
#if defined(R1_QUANT_X86)
#include "quant/vec_dot_fast.h"
#include "quant/x86/simd_kernels.h"
#endif

namespace r1::quant {
namespace {

constexpr std::size_t kQuantBytes = 16;                                // qs of one file block
constexpr std::size_t kBlockQuantBytes = kPackedQ4Rows * kQuantBytes;  // 4 vectors of 64

void check_type(QuantType type) {
  if (!has_packed_q4_layout(type)) {
    throw Error(ErrorCode::invalid_argument,
                std::string("no packed q4 layout for ") + quant_type_name(type));
  }
}

// fp16 fields before qs in the file's block: d (q4_0), d and m (q4_1).
std::size_t head_halves(QuantType type) {
  return type == QuantType::q4_1 ? 2 : 1;
}

std::int64_t groups_of(std::int64_t n_rows) {
  return (n_rows + kPackedQ4Rows - 1) / kPackedQ4Rows;
}

// Where byte j of row `lane`'s qs of block b lies in a group's quant area.
std::size_t quant_offset(std::int64_t b, std::int64_t lane, std::size_t j) {
  return static_cast<std::size_t>(b) * kBlockQuantBytes + (j / 4) * 64 +
         static_cast<std::size_t>(lane) * 4 + j % 4;
}

// Where half h (0: d, 1: m) of row `lane`'s block b lies in a group's head area.
std::size_t head_offset(QuantType type, std::int64_t b, std::int64_t lane, std::size_t h) {
  return (static_cast<std::size_t>(b) * head_halves(type) + h) * kPackedQ4Rows * 2 +
         static_cast<std::size_t>(lane) * 2;
}

}  // namespace

bool has_packed_q4_layout(QuantType type) {
  return type == QuantType::q4_0 || type == QuantType::q4_1;
}

std::size_t packed_q4_head_bytes(QuantType type, std::int64_t nb) {
  check_type(type);
  const std::size_t raw = static_cast<std::size_t>(nb) * head_halves(type) * kPackedQ4Rows * 2;
  return (raw + 63) / 64 * 64;
}

std::size_t packed_q4_group_bytes(QuantType type, std::int64_t nb) {
  return packed_q4_head_bytes(type, nb) + static_cast<std::size_t>(nb) * kBlockQuantBytes;
}

std::size_t packed_q4_bytes(QuantType type, std::int64_t n_rows, std::int64_t nb) {
  return static_cast<std::size_t>(groups_of(n_rows)) * packed_q4_group_bytes(type, nb);
}

void pack_q4(QuantType type, const std::uint8_t* rows, std::int64_t n_rows, std::int64_t nb,
             std::uint8_t* out) {
  const std::size_t group_bytes = packed_q4_group_bytes(type, nb);
  const std::size_t head_bytes = packed_q4_head_bytes(type, nb);
  const auto file_block = static_cast<std::size_t>(block_bytes(type));
  const std::size_t halves = head_halves(type);
  for (std::int64_t g = 0; g < groups_of(n_rows); ++g) {
    std::uint8_t* group = out + static_cast<std::size_t>(g) * group_bytes;
    std::memset(group, 0, group_bytes);  // padding rows: d = m = 0 and q = 0 add exact zeros
    std::uint8_t* quants = group + head_bytes;
    for (std::int64_t lane = 0; lane < kPackedQ4Rows && g * kPackedQ4Rows + lane < n_rows; ++lane) {
      for (std::int64_t b = 0; b < nb; ++b) {
        const std::uint8_t* block =
            rows + static_cast<std::size_t>((g * kPackedQ4Rows + lane) * nb + b) * file_block;
        for (std::size_t h = 0; h < halves; ++h)
          std::memcpy(group + head_offset(type, b, lane, h), block + 2 * h, 2);
        for (std::size_t j = 0; j < kQuantBytes; ++j)
          quants[quant_offset(b, lane, j)] = block[2 * halves + j];
      }
    }
  }
}

void unpack_q4_row(QuantType type, const std::uint8_t* packed, std::int64_t nb, std::int64_t row,
                   std::int64_t b0, std::int64_t n, std::uint8_t* out) {
  const std::uint8_t* group =
      packed + static_cast<std::size_t>(row / kPackedQ4Rows) * packed_q4_group_bytes(type, nb);
  const std::uint8_t* quants = group + packed_q4_head_bytes(type, nb);
  const std::int64_t lane = row % kPackedQ4Rows;
  const auto file_block = static_cast<std::size_t>(block_bytes(type));
  const std::size_t halves = head_halves(type);
  for (std::int64_t i = 0; i < n; ++i) {
    std::uint8_t* block = out + static_cast<std::size_t>(i) * file_block;
    for (std::size_t h = 0; h < halves; ++h)
      std::memcpy(block + 2 * h, group + head_offset(type, b0 + i, lane, h), 2);
    for (std::size_t j = 0; j < kQuantBytes; ++j)
      block[2 * halves + j] = quants[quant_offset(b0 + i, lane, j)];
  }
}

namespace ref {

void gemm_packed_q4(QuantType type, const std::uint8_t* packed, std::int64_t nb,
                    std::int64_t row_begin, std::int64_t row_end, const void* activations,
                    std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  check_type(type);
  const std::int64_t n = nb * block_elements(type);
  const auto a_row = static_cast<std::size_t>(row_bytes(vec_dot_activation_type(type), n));
  std::vector<std::uint8_t> row(static_cast<std::size_t>(block_bytes(type) * nb));
  for (std::int64_t r = row_begin; r < row_end; ++r) {
    unpack_q4_row(type, packed, nb, r, 0, nb, row.data());
    for (std::int64_t t = 0; t < n_tokens; ++t) {
      y[t * y_stride + (r - row_begin)] = vec_dot(
          type, row.data(),
          static_cast<const std::uint8_t*>(activations) + a_row * static_cast<std::size_t>(t), n);
    }
  }
}

}  // namespace ref

bool packed_q4_kernel_available() {
#if defined(R1_QUANT_X86)
  return best_simd_level() != SimdLevel::scalar;
#else
  return false;
#endif
}

void gemm_packed_q4(QuantType type, const std::uint8_t* packed, std::int64_t nb,
                    std::int64_t row_begin, std::int64_t row_end, const void* activations,
                    std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  check_type(type);
  if (row_begin >= row_end || n_tokens <= 0) return;
#if defined(R1_QUANT_X86)
  if (best_simd_level() == SimdLevel::avx512_vnni) {
    return x86::packed_q4_avx512_vnni(type, packed, nb, row_begin, row_end, activations, n_tokens,
                                      y, y_stride);
  }
  if (best_simd_level() == SimdLevel::avx2) {
    return x86::packed_q4_avx2(type, packed, nb, row_begin, row_end, activations, n_tokens, y,
                               y_stride);
  }
#endif
  ref::gemm_packed_q4(type, packed, nb, row_begin, row_end, activations, n_tokens, y, y_stride);
}

}  // namespace r1::quant
