#include "quant/packed_k.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "quant/quantize.h"
#include "r1/error.h"
#if defined(R1_QUANT_X86)
#include "quant/vec_dot_fast.h"
#include "quant/x86/simd_kernels.h"
#endif

namespace r1::quant {
namespace {

using Kind = PackedSegment::Kind;

constexpr std::array<PackedSegment, 5> kQ4K = {{{Kind::bytes16, 0},
                                                {Kind::residues32, 16},
                                                {Kind::residues32, 48},
                                                {Kind::residues32, 80},
                                                {Kind::residues32, 112}}};
constexpr std::array<PackedSegment, 6> kQ5K = {{{Kind::bytes16, 0},
                                                {Kind::residues32, 16},
                                                {Kind::residues32, 48},
                                                {Kind::residues32, 80},
                                                {Kind::residues32, 112},
                                                {Kind::residues32, 144}}};
constexpr std::array<PackedSegment, 8> kQ6K = {{{Kind::residues32, 0},
                                                {Kind::residues32, 32},
                                                {Kind::residues32, 64},
                                                {Kind::residues32, 96},
                                                {Kind::residues32, 128},
                                                {Kind::residues32, 160},
                                                {Kind::bytes16, 192},
                                                {Kind::halves, 208}}};

std::size_t segment_bytes(Kind kind) {
  switch (kind) {
    case Kind::residues32:
      return 512;
    case Kind::bytes16:
      return 256;
    case Kind::halves:
      return 32;
  }
  return 0;
}

std::int32_t segment_source_bytes(Kind kind) {
  return kind == Kind::residues32 ? 32 : kind == Kind::bytes16 ? 16 : 2;
}

// Where byte i of a segment (in the file's block) of lane r goes inside the packed segment.
std::size_t segment_place(Kind kind, std::int64_t lane, std::int32_t i) {
  const auto r = static_cast<std::size_t>(lane);
  switch (kind) {
    case Kind::residues32:  // byte i = 8 j + m: residue m, element j of it
      return static_cast<std::size_t>(i % 8) * 64 + r * 4 + static_cast<std::size_t>(i / 8);
    case Kind::bytes16:
      return static_cast<std::size_t>(i / 4) * 64 + r * 4 + static_cast<std::size_t>(i % 4);
    case Kind::halves:
      return r * 2 + static_cast<std::size_t>(i);
  }
  return 0;
}

void check_type(QuantType type) {
  if (!has_packed_k_layout(type)) {
    throw Error(ErrorCode::invalid_argument,
                std::string("no packed layout for ") + quant_type_name(type));
  }
}

// Where each byte of a file block goes in a packed block: place + lane * lane_step.
struct BytePlaces {
  std::vector<std::uint16_t> place, lane_step;
};

BytePlaces byte_places_of(QuantType type) {
  const auto file_block = static_cast<std::size_t>(block_bytes(type));
  BytePlaces t{std::vector<std::uint16_t>(file_block), std::vector<std::uint16_t>(file_block)};
  std::size_t position = 0;
  for (const PackedSegment& s : packed_k_segments(type)) {
    for (std::int32_t i = 0; i < segment_source_bytes(s.kind); ++i) {
      const auto at = static_cast<std::size_t>(s.offset + i);
      t.place[at] = static_cast<std::uint16_t>(position + segment_place(s.kind, 0, i));
      t.lane_step[at] = s.kind == Kind::halves ? 2 : 4;
    }
    position += segment_bytes(s.kind);
  }
  return t;
}

const BytePlaces& byte_places(QuantType type) {
  static const BytePlaces q4_k = byte_places_of(QuantType::q4_k);
  static const BytePlaces q5_k = byte_places_of(QuantType::q5_k);
  static const BytePlaces q6_k = byte_places_of(QuantType::q6_k);
  return type == QuantType::q4_k ? q4_k : type == QuantType::q5_k ? q5_k : q6_k;
}

// The AVX-512 VNNI + VBMI kernels: every packed type, and the SIMD unpacking.
bool vbmi_kernels() {
#if defined(R1_QUANT_X86)
  static const bool vbmi = __builtin_cpu_supports("avx512vbmi");
  return best_simd_level() == SimdLevel::avx512_vnni && vbmi;
#else
  return false;
#endif
}

// The AVX2 + FMA kernel (x86/packed_k_avx2.cpp): q4_k and q5_k; q6_k stays in the file's layout
// there, on the row kernels.
bool avx2_kernel_for(QuantType type) {
#if defined(R1_QUANT_X86)
  static const bool fma = __builtin_cpu_supports("fma");
  return (type == QuantType::q4_k || type == QuantType::q5_k) &&
         best_simd_level() != SimdLevel::scalar && fma;
#else
  (void)type;
  return false;
#endif
}

}  // namespace

bool has_packed_k_layout(QuantType type) {
  return type == QuantType::q4_k || type == QuantType::q5_k || type == QuantType::q6_k;
}

std::span<const PackedSegment> packed_k_segments(QuantType type) {
  switch (type) {
    case QuantType::q4_k:
      return kQ4K;
    case QuantType::q5_k:
      return kQ5K;
    case QuantType::q6_k:
      return kQ6K;
    default:
      return {};
  }
}

std::size_t packed_k_segment_position(QuantType type, std::int32_t offset) {
  std::size_t position = 0;
  for (const PackedSegment& s : packed_k_segments(type)) {
    if (s.offset == offset) return position;
    position += segment_bytes(s.kind);
  }
  throw Error(ErrorCode::invalid_argument, "no packed segment at offset " + std::to_string(offset));
}

std::size_t packed_k_block_bytes(QuantType type) {
  check_type(type);
  std::size_t bytes = 0;
  for (const PackedSegment& s : packed_k_segments(type)) bytes += segment_bytes(s.kind);
  return (bytes + 63) / 64 * 64;
}

std::size_t packed_k_bytes(QuantType type, std::int64_t n_rows, std::int64_t nb) {
  const auto groups = static_cast<std::size_t>((n_rows + kPackedKRows - 1) / kPackedKRows);
  return groups * static_cast<std::size_t>(nb) * packed_k_block_bytes(type);
}

void pack_k(QuantType type, const std::uint8_t* rows, std::int64_t n_rows, std::int64_t nb,
            std::uint8_t* out) {
  const std::size_t block = packed_k_block_bytes(type);
  const auto file_block = static_cast<std::size_t>(block_bytes(type));
  const BytePlaces& t = byte_places(type);
  const std::int64_t groups = (n_rows + kPackedKRows - 1) / kPackedKRows;
  for (std::int64_t g = 0; g < groups; ++g) {
    for (std::int64_t b = 0; b < nb; ++b) {
      std::uint8_t* packed = out + static_cast<std::size_t>(g * nb + b) * block;
      std::memset(packed, 0, block);  // padding rows stay zeros (scale 0: exact zeros)
      for (std::int64_t lane = 0; lane < kPackedKRows && g * kPackedKRows + lane < n_rows;
           ++lane) {
        const std::uint8_t* source =
            rows + static_cast<std::size_t>((g * kPackedKRows + lane) * nb + b) * file_block;
        const auto l = static_cast<std::size_t>(lane);
        for (std::size_t i = 0; i < file_block; ++i)
          packed[t.place[i] + l * t.lane_step[i]] = source[i];
      }
    }
  }
}

void unpack_k_row(QuantType type, const std::uint8_t* packed, std::int64_t nb, std::int64_t row,
                  std::int64_t b0, std::int64_t n, std::uint8_t* out) {
  check_type(type);
  const std::size_t block = packed_k_block_bytes(type);
  const auto file_block = static_cast<std::size_t>(block_bytes(type));
  const BytePlaces& t = byte_places(type);
  const std::int64_t g = row / kPackedKRows;
  const auto l = static_cast<std::size_t>(row % kPackedKRows);
  for (std::int64_t i = 0; i < n; ++i) {
    const std::uint8_t* from = packed + static_cast<std::size_t>(g * nb + b0 + i) * block;
    std::uint8_t* to = out + static_cast<std::size_t>(i) * file_block;
    for (std::size_t j = 0; j < file_block; ++j) to[j] = from[t.place[j] + l * t.lane_step[j]];
  }
}

void unpack_k_group(QuantType type, const std::uint8_t* packed, std::int64_t nb, std::int64_t g,
                    std::int64_t b, std::uint8_t* out) {
  check_type(type);
#if defined(R1_QUANT_X86)
  if (vbmi_kernels()) {
    return x86::unpack_k_group_avx512_vbmi(
        type, packed + static_cast<std::size_t>(g * nb + b) * packed_k_block_bytes(type), out);
  }
#endif
  const auto file_block = static_cast<std::size_t>(block_bytes(type));
  for (std::int64_t r = 0; r < kPackedKRows; ++r)
    unpack_k_row(type, packed, nb, g * kPackedKRows + r, b, 1, out + static_cast<std::size_t>(r) * file_block);
}

namespace ref {

void gemm_packed_k(QuantType type, const std::uint8_t* packed, std::int64_t nb,
                   std::int64_t row_begin, std::int64_t row_end, const void* activations,
                   std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  const auto file_block = static_cast<std::size_t>(block_bytes(type));
  const QuantType act = vec_dot_activation_type(type);
  const auto a_row = static_cast<std::size_t>(row_bytes(act, nb * block_elements(type)));
  std::vector<std::uint8_t> row(file_block * static_cast<std::size_t>(nb));
  for (std::int64_t r = row_begin; r < row_end; ++r) {
    unpack_k_row(type, packed, nb, r, 0, nb, row.data());
    for (std::int64_t t = 0; t < n_tokens; ++t) {
      y[t * y_stride + (r - row_begin)] =
          vec_dot(type, row.data(),
                  static_cast<const std::uint8_t*>(activations) + a_row * static_cast<std::size_t>(t),
                  nb * block_elements(type));
    }
  }
}

}  // namespace ref

bool packed_k_kernel_available(QuantType type) {
  return has_packed_k_layout(type) && (vbmi_kernels() || avx2_kernel_for(type));
}

void gemm_packed_k(QuantType type, const std::uint8_t* packed, std::int64_t nb,
                   std::int64_t row_begin, std::int64_t row_end, const void* activations,
                   std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  check_type(type);
  if (row_begin >= row_end || n_tokens <= 0) return;
#if defined(R1_QUANT_X86)
  if (vbmi_kernels()) {
    const auto* a = static_cast<const BlockQ8K*>(activations);
    if (type == QuantType::q4_k) {
      return x86::packed_q4_k_avx512_vbmi(packed, nb, row_begin, row_end, a, n_tokens, y,
                                          y_stride);
    }
    if (type == QuantType::q5_k) {
      return x86::packed_q5_k_avx512_vbmi(packed, nb, row_begin, row_end, a, n_tokens, y, y_stride);
    }
    return x86::packed_q6_k_avx512_vbmi(packed, nb, row_begin, row_end, a, n_tokens, y,
                                        y_stride);
  }
  if (avx2_kernel_for(type)) {
    return x86::packed_k_avx2(type, packed, nb, row_begin, row_end,
                              static_cast<const BlockQ8K*>(activations), n_tokens, y, y_stride);
  }
#endif
  ref::gemm_packed_k(type, packed, nb, row_begin, row_end, activations, n_tokens, y, y_stride);
}

}  // namespace r1::quant
