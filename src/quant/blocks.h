// Byte layouts of ggml's quantized blocks, exactly as GGUF stores them (little-endian, no
// padding: every member is naturally aligned, which the static_asserts check). f16 fields hold
// IEEE binary16 bits. A buffer of blocks must be aligned to alignof(block): 2 bytes, 4 for Q8_K.
#pragma once

#include <cstddef>
#include <cstdint>

namespace r1::quant {

inline constexpr int kBlock32 = 32;      // QK4_0 = QK4_1 = QK5_0 = QK5_1 = QK8_0 = QK8_1
inline constexpr int kBlockK = 256;      // QK_K, the K-quant super-block
inline constexpr int kScaleBytesK = 12;  // 8 6-bit scales + 8 6-bit mins of Q4_K/Q5_K

/// Q8_0: x[j] = qs[j] * d.
struct BlockQ8_0 {
  std::uint16_t d;
  std::int8_t qs[kBlock32];
};

/// Q8_1: Q8_0 plus s = d * sum(qs), the activation side of q4_1/q5_1 dot products.
struct BlockQ8_1 {
  std::uint16_t d;
  std::uint16_t s;
  std::int8_t qs[kBlock32];
};

/// Q4_0: x[j] = (q[j] - 8) * d; byte j holds element j (low nibble) and j + 16 (high nibble).
struct BlockQ4_0 {
  std::uint16_t d;
  std::uint8_t qs[kBlock32 / 2];
};

/// Q4_1: x[j] = q[j] * d + m, nibbles as in Q4_0.
struct BlockQ4_1 {
  std::uint16_t d;
  std::uint16_t m;
  std::uint8_t qs[kBlock32 / 2];
};

/// Q5_0: x[j] = (q[j] - 16) * d; low 4 bits as in Q4_0, bit 4 of element j is bit j of qh
/// (a little-endian uint32).
struct BlockQ5_0 {
  std::uint16_t d;
  std::uint8_t qh[4];
  std::uint8_t qs[kBlock32 / 2];
};

/// Q5_1: x[j] = q[j] * d + m, bits as in Q5_0.
struct BlockQ5_1 {
  std::uint16_t d;
  std::uint16_t m;
  std::uint8_t qh[4];
  std::uint8_t qs[kBlock32 / 2];
};

/// Q4_K: 8 sub-blocks of 32; x = d * sc[s] * q - dmin * m[s], sc and m 6-bit (see
/// unpack_scale_min_k4). qs holds 4 groups of 64 elements: byte l of group g is element
/// 64 g + l (low nibble) and 64 g + 32 + l (high nibble).
struct BlockQ4K {
  std::uint16_t d;
  std::uint16_t dmin;
  std::uint8_t scales[kScaleBytesK];
  std::uint8_t qs[kBlockK / 2];
};

/// Q5_K: Q4_K plus a 5th bit: bit (2 g) of qh[l] for element 64 g + l, bit (2 g + 1) for
/// element 64 g + 32 + l.
struct BlockQ5K {
  std::uint16_t d;
  std::uint16_t dmin;
  std::uint8_t scales[kScaleBytesK];
  std::uint8_t qh[kBlockK / 8];
  std::uint8_t qs[kBlockK / 2];
};

/// Q6_K: 16 sub-blocks of 16; x = d * scales[s] * (q - 32), q 6-bit. Per half h of 128
/// elements (ql + 64 h, qh + 32 h), element l, l+32, l+64, l+96 (l < 32) take the low nibble of
/// ql[l], ql[l+32], the high nibble of ql[l], ql[l+32], and bits 0-1, 2-3, 4-5, 6-7 of qh[l].
struct BlockQ6K {
  std::uint8_t ql[kBlockK / 2];
  std::uint8_t qh[kBlockK / 4];
  std::int8_t scales[kBlockK / 16];
  std::uint16_t d;
};

/// Q8_K: activations for K-quant dot products; float scale, bsums[i] = sum of qs[16 i..16 i+15].
struct BlockQ8K {
  float d;
  std::int8_t qs[kBlockK];
  std::int16_t bsums[kBlockK / 16];
};

static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ8_1) == 36);
static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ4K) == 144);
static_assert(sizeof(BlockQ5K) == 176);
static_assert(sizeof(BlockQ6K) == 210);
static_assert(sizeof(BlockQ8K) == 292);

/// The 6-bit scale and min of sub-block j (0..7) of Q4_K/Q5_K's 12 packed bytes: j < 4 are the
/// low 6 bits of bytes j and j + 4; j >= 4 take 4 bits from byte j + 4 and their top 2 bits from
/// the top bits of bytes j - 4 (scale) and j (min).
inline void unpack_scale_min_k4(int j, const std::uint8_t* q, std::uint8_t* scale,
                                std::uint8_t* min) {
  if (j < 4) {
    *scale = q[j] & 63;
    *min = q[j + 4] & 63;
  } else {
    *scale = static_cast<std::uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *min = static_cast<std::uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

}  // namespace r1::quant
