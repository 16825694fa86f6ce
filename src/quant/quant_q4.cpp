// Q4_0 (symmetric, d = max / -8) and Q4_1 (offset: d = (max - min) / 15, m = min), 32 values
// per block, two per byte.
#include <algorithm>
#include <cfloat>
#include <cmath>

#include "core/half.h"
#include "quant/reference_kernels.h"

namespace r1::quant::ref {
namespace {

constexpr int kHalf = kBlock32 / 2;

// The value of largest magnitude with its sign; the first one wins ties, as in ggml.
float signed_absmax(const float* x) {
  float amax = 0.0f;
  float max = 0.0f;
  for (int j = 0; j < kBlock32; ++j) {
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  return max;
}

}  // namespace

void quantize_q4_0(const float* x, BlockQ4_0* y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i, x += kBlock32) {
    // Dividing by -8 maps the extreme value to q = 0 exactly, which gives the other sign one
    // more step (+7).
    const float d = signed_absmax(x) / -8;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = f32_to_f16(d);
    for (int j = 0; j < kHalf; ++j) {
      // Truncation after + 8.5 rounds half up; ggml casts through int8_t, and the values are
      // within [0.5, 16.5] here, so an int conversion gives the same result.
      const int q0 = std::min(15, static_cast<int>(x[j] * id + 8.5f));
      const int q1 = std::min(15, static_cast<int>(x[j + kHalf] * id + 8.5f));
      y[i].qs[j] = static_cast<std::uint8_t>(q0 | (q1 << 4));
    }
  }
}

void quantize_q4_1(const float* x, BlockQ4_1* y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i, x += kBlock32) {
    float min = FLT_MAX;
    float max = -FLT_MAX;
    for (int j = 0; j < kBlock32; ++j) {
      if (x[j] < min) min = x[j];
      if (x[j] > max) max = x[j];
    }
    const float d = (max - min) / 15;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = f32_to_f16(d);
    y[i].m = f32_to_f16(min);
    for (int j = 0; j < kHalf; ++j) {
      const int q0 = std::min(15, static_cast<int>((x[j] - min) * id + 0.5f));
      const int q1 = std::min(15, static_cast<int>((x[j + kHalf] - min) * id + 0.5f));
      y[i].qs[j] = static_cast<std::uint8_t>(q0 | (q1 << 4));
    }
  }
}

void dequantize_q4_0(const BlockQ4_0* x, float* y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i, y += kBlock32) {
    const float d = f16_to_f32(x[i].d);
    for (int j = 0; j < kHalf; ++j) {
      y[j] = static_cast<float>((x[i].qs[j] & 0x0F) - 8) * d;
      y[j + kHalf] = static_cast<float>((x[i].qs[j] >> 4) - 8) * d;
    }
  }
}

void dequantize_q4_1(const BlockQ4_1* x, float* y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i, y += kBlock32) {
    const float d = f16_to_f32(x[i].d);
    const float m = f16_to_f32(x[i].m);
    for (int j = 0; j < kHalf; ++j) {
      y[j] = static_cast<float>(x[i].qs[j] & 0x0F) * d + m;
      y[j + kHalf] = static_cast<float>(x[i].qs[j] >> 4) * d + m;
    }
  }
}

float vec_dot_q4_0_q8_0(const BlockQ4_0* x, const BlockQ8_0* y, std::int64_t nb) {
  float sum = 0.0f;
  for (std::int64_t i = 0; i < nb; ++i) {
    int sumi0 = 0;
    int sumi1 = 0;
    for (int j = 0; j < kHalf; ++j) {
      sumi0 += ((x[i].qs[j] & 0x0F) - 8) * y[i].qs[j];
      sumi1 += ((x[i].qs[j] >> 4) - 8) * y[i].qs[j + kHalf];
    }
    // ggml's order: (sumi * dx) * dy.
    sum += static_cast<float>(sumi0 + sumi1) * f16_to_f32(x[i].d) * f16_to_f32(y[i].d);
  }
  return sum;
}

float vec_dot_q4_1_q8_1(const BlockQ4_1* x, const BlockQ8_1* y, std::int64_t nb) {
  float sum = 0.0f;
  for (std::int64_t i = 0; i < nb; ++i) {
    int sumi = 0;
    for (int j = 0; j < kHalf; ++j) {
      sumi += (x[i].qs[j] & 0x0F) * y[i].qs[j] + (x[i].qs[j] >> 4) * y[i].qs[j + kHalf];
    }
    // The offset term: sum(m * a) = m * d_a * sum(q_a) = m * s.
    sum += (f16_to_f32(x[i].d) * f16_to_f32(y[i].d)) * static_cast<float>(sumi) +
           f16_to_f32(x[i].m) * f16_to_f32(y[i].s);
  }
  return sum;
}

}  // namespace r1::quant::ref
