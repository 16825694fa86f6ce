// Q6_K: super-blocks of 256 = 16 sub-blocks of 16 with int8 scales relative to one f16 d:
// x = d * scale * (q - 32), q 6-bit.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/half.h"
#include "quant/k_scale_search.h"
#include "quant/reference_kernels.h"
#include "quant/rounding.h"

namespace r1::quant::ref {
namespace {

constexpr int kSub = 16;
constexpr int kSubBlocks = kBlockK / kSub;
constexpr float kGroupMaxEps = 1e-15f;

}  // namespace

void quantize_q6_k(const float* x, BlockQ6K* y, std::int64_t nb) {
  std::int8_t L[kBlockK];
  float scales[kSubBlocks];
  for (std::int64_t i = 0; i < nb; ++i, x += kBlockK) {
    float max_scale = 0;
    float max_abs_scale = 0;
    for (int s = 0; s < kSubBlocks; ++s) {
      scales[s] = search_scale_symmetric(kSub, 32, x + kSub * s, L + kSub * s);
      if (std::fabs(scales[s]) > max_abs_scale) {
        max_abs_scale = std::fabs(scales[s]);
        max_scale = scales[s];
      }
    }
    if (max_abs_scale < kGroupMaxEps) {
      std::memset(&y[i], 0, sizeof y[i]);
      continue;
    }
    // The largest scale maps to -128, so sub-block scales use the whole int8 range.
    const float iscale = -128.f / max_scale;
    y[i].d = f32_to_f16(1 / iscale);
    for (int s = 0; s < kSubBlocks; ++s) {
      y[i].scales[s] = static_cast<std::int8_t>(std::min(127, nearest_int(iscale * scales[s])));
    }
    // Requantize against the stored scales; a sub-block with scale 0 keeps the search's values.
    for (int s = 0; s < kSubBlocks; ++s) {
      const float d = f16_to_f32(y[i].d) * y[i].scales[s];
      if (d == 0.0f) continue;
      for (int l = 0; l < kSub; ++l) {
        const int q = nearest_int(x[kSub * s + l] / d);
        L[kSub * s + l] = static_cast<std::int8_t>(std::max(-32, std::min(31, q)) + 32);
      }
    }
    for (int h = 0; h < 2; ++h) {
      const std::int8_t* Lh = L + 128 * h;
      std::uint8_t* ql = y[i].ql + 64 * h;
      std::uint8_t* qh = y[i].qh + 32 * h;
      for (int l = 0; l < 32; ++l) {
        ql[l] = static_cast<std::uint8_t>((Lh[l] & 0xF) | ((Lh[l + 64] & 0xF) << 4));
        ql[l + 32] = static_cast<std::uint8_t>((Lh[l + 32] & 0xF) | ((Lh[l + 96] & 0xF) << 4));
        qh[l] = static_cast<std::uint8_t>((Lh[l] >> 4) | ((Lh[l + 32] >> 4) << 2) |
                                          ((Lh[l + 64] >> 4) << 4) | ((Lh[l + 96] >> 4) << 6));
      }
    }
  }
}

void dequantize_q6_k(const BlockQ6K* x, float* y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i) {
    const float d = f16_to_f32(x[i].d);
    for (int h = 0; h < 2; ++h, y += 128) {
      const std::uint8_t* ql = x[i].ql + 64 * h;
      const std::uint8_t* qh = x[i].qh + 32 * h;
      const std::int8_t* sc = x[i].scales + 8 * h;
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        // (d * scale) * q, in ggml's order.
        y[l] = d * sc[is] * static_cast<float>(q1);
        y[l + 32] = d * sc[is + 2] * static_cast<float>(q2);
        y[l + 64] = d * sc[is + 4] * static_cast<float>(q3);
        y[l + 96] = d * sc[is + 6] * static_cast<float>(q4);
      }
    }
  }
}

}  // namespace r1::quant::ref
