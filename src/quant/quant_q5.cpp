// Q5_0 (symmetric, d = max / -16) and Q5_1 (offset: d = (max - min) / 31, m = min); the 5th
// bit of element j is bit j of the block's 32-bit qh.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "core/half.h"
#include "quant/reference_kernels.h"

namespace r1::quant::ref {
namespace {

constexpr int kHalf = kBlock32 / 2;

std::uint32_t load_qh(const std::uint8_t* qh) {
  // Little-endian by definition of the format.
  return std::uint32_t(qh[0]) | (std::uint32_t(qh[1]) << 8) | (std::uint32_t(qh[2]) << 16) |
         (std::uint32_t(qh[3]) << 24);
}

void store_qh(std::uint32_t value, std::uint8_t* qh) {
  for (int b = 0; b < 4; ++b) qh[b] = static_cast<std::uint8_t>(value >> (8 * b));
}

// Packs 32 5-bit values: low nibbles into qs, 5th bits into qh.
void pack5(const int* q, std::uint8_t* qs, std::uint8_t* qh) {
  std::uint32_t high = 0;
  for (int j = 0; j < kHalf; ++j) {
    qs[j] = static_cast<std::uint8_t>((q[j] & 0x0F) | ((q[j + kHalf] & 0x0F) << 4));
    high |= std::uint32_t((q[j] >> 4) & 1) << j;
    high |= std::uint32_t((q[j + kHalf] >> 4) & 1) << (j + kHalf);
  }
  store_qh(high, qh);
}

// Unpacks the 32 5-bit values (0..31) of a block.
void unpack5(const std::uint8_t* qs, const std::uint8_t* qh, int* q) {
  const std::uint32_t high = load_qh(qh);
  for (int j = 0; j < kHalf; ++j) {
    q[j] = (qs[j] & 0x0F) | static_cast<int>(((high >> j) & 1u) << 4);
    q[j + kHalf] = (qs[j] >> 4) | static_cast<int>(((high >> (j + kHalf)) & 1u) << 4);
  }
}

}  // namespace

void quantize_q5_0(const float* x, BlockQ5_0* y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i, x += kBlock32) {
    float amax = 0.0f;
    float max = 0.0f;
    for (int j = 0; j < kBlock32; ++j) {
      if (amax < std::fabs(x[j])) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    const float d = max / -16;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = f32_to_f16(d);
    int q[kBlock32];
    for (int j = 0; j < kBlock32; ++j) q[j] = std::min(31, static_cast<int>(x[j] * id + 16.5f));
    pack5(q, y[i].qs, y[i].qh);
  }
}

void quantize_q5_1(const float* x, BlockQ5_1* y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i, x += kBlock32) {
    float min = FLT_MAX;
    float max = -FLT_MAX;
    for (int j = 0; j < kBlock32; ++j) {
      if (x[j] < min) min = x[j];
      if (x[j] > max) max = x[j];
    }
    const float d = (max - min) / 31;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = f32_to_f16(d);
    y[i].m = f32_to_f16(min);
    int q[kBlock32];
    // No clamp to 31 here, unlike Q4_1: ggml has none (the value never exceeds 31.5).
    for (int j = 0; j < kBlock32; ++j) {
      q[j] = static_cast<std::uint8_t>(static_cast<int>((x[j] - min) * id + 0.5f));
    }
    pack5(q, y[i].qs, y[i].qh);
  }
}

void dequantize_q5_0(const BlockQ5_0* x, float* y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i, y += kBlock32) {
    const float d = f16_to_f32(x[i].d);
    int q[kBlock32];
    unpack5(x[i].qs, x[i].qh, q);
    for (int j = 0; j < kBlock32; ++j) y[j] = static_cast<float>(q[j] - 16) * d;
  }
}

void dequantize_q5_1(const BlockQ5_1* x, float* y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i, y += kBlock32) {
    const float d = f16_to_f32(x[i].d);
    const float m = f16_to_f32(x[i].m);
    int q[kBlock32];
    unpack5(x[i].qs, x[i].qh, q);
    for (int j = 0; j < kBlock32; ++j) y[j] = static_cast<float>(q[j]) * d + m;
  }
}

float vec_dot_q5_0_q8_0(const BlockQ5_0* x, const BlockQ8_0* y, std::int64_t nb) {
  float sum = 0.0f;
  for (std::int64_t i = 0; i < nb; ++i) {
    int q[kBlock32];
    unpack5(x[i].qs, x[i].qh, q);
    int sumi = 0;
    for (int j = 0; j < kBlock32; ++j) sumi += (q[j] - 16) * y[i].qs[j];
    sum += (f16_to_f32(x[i].d) * f16_to_f32(y[i].d)) * static_cast<float>(sumi);
  }
  return sum;
}

float vec_dot_q5_1_q8_1(const BlockQ5_1* x, const BlockQ8_1* y, std::int64_t nb) {
  float sum = 0.0f;
  for (std::int64_t i = 0; i < nb; ++i) {
    int q[kBlock32];
    unpack5(x[i].qs, x[i].qh, q);
    int sumi = 0;
    for (int j = 0; j < kBlock32; ++j) sumi += q[j] * y[i].qs[j];
    sum += (f16_to_f32(x[i].d) * f16_to_f32(y[i].d)) * static_cast<float>(sumi) +
           f16_to_f32(x[i].m) * f16_to_f32(y[i].s);
  }
  return sum;
}

}  // namespace r1::quant::ref
