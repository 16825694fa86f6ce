// Q8_0 and Q8_1: one f16 scale per 32 values, d = amax / 127, q = roundf(x / d).
#include <cmath>

#include "core/half.h"
#include "quant/reference_kernels.h"
#include "quant/rounding.h"

namespace r1::quant::ref {
namespace {

// The reference scale: the quantizers divide by the f32 d, not by the stored f16 one.
float block_amax(const float* x) {
  float amax = 0.0f;
  for (int j = 0; j < kBlock32; ++j) {
    const float a = std::fabs(x[j]);
    amax = amax > a ? amax : a;  // ggml's MAX(amax, fabsf(v)) keeps amax on ties and NaN
  }
  return amax;
}

}  // namespace

void quantize_q8_0(const float* x, BlockQ8_0* y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i, x += kBlock32) {
    const float d = block_amax(x) / 127;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = f32_to_f16(d);
    for (int j = 0; j < kBlock32; ++j) {
      y[i].qs[j] = static_cast<std::int8_t>(round_away(x[j] * id));
    }
  }
}

void quantize_q8_1(const float* x, BlockQ8_1* y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i, x += kBlock32) {
    const float d = block_amax(x) / 127;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = f32_to_f16(d);
    int sum = 0;
    for (int j = 0; j < kBlock32; ++j) {
      y[i].qs[j] = static_cast<std::int8_t>(round_away(x[j] * id));
      sum += y[i].qs[j];
    }
    // s is the block sum times the f32 d, rounded once to f16 (not sum times the f16 d).
    y[i].s = f32_to_f16(static_cast<float>(sum) * d);
  }
}

void dequantize_q8_0(const BlockQ8_0* x, float* y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i) {
    const float d = f16_to_f32(x[i].d);
    for (int j = 0; j < kBlock32; ++j) *y++ = static_cast<float>(x[i].qs[j]) * d;
  }
}

void dequantize_q8_1(const BlockQ8_1* x, float* y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i) {
    const float d = f16_to_f32(x[i].d);
    for (int j = 0; j < kBlock32; ++j) *y++ = static_cast<float>(x[i].qs[j]) * d;
  }
}

float vec_dot_q8_0_q8_0(const BlockQ8_0* x, const BlockQ8_0* y, std::int64_t nb) {
  float sum = 0.0f;
  for (std::int64_t i = 0; i < nb; ++i) {
    int sumi = 0;
    for (int j = 0; j < kBlock32; ++j) sumi += x[i].qs[j] * y[i].qs[j];
    sum += static_cast<float>(sumi) * (f16_to_f32(x[i].d) * f16_to_f32(y[i].d));
  }
  return sum;
}

}  // namespace r1::quant::ref
