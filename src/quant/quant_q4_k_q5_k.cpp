// Q4_K and Q5_K: super-blocks of 256 = 8 sub-blocks of 32, each with a 6-bit scale and min
// relative to the f16 super-block d and dmin: x = d * sc * q - dmin * m.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/half.h"
#include "quant/k_scale_search.h"
#include "quant/reference_kernels.h"
#include "quant/rounding.h"

namespace r1::quant::ref {
namespace {

constexpr int kSub = 32;
constexpr int kSubBlocks = kBlockK / kSub;

struct SearchParams {
  int nmax;
  float rmin;
  float rdelta;
  int nstep;
};
constexpr SearchParams kQ4K{15, -1.0f, 0.1f, 20};
constexpr SearchParams kQ5K{31, -0.5f, 0.1f, 15};

// Fills L[0..256) with values in [0, nmax] and the block's d, dmin and packed scales.
void quantize_super_block(const float* x, const SearchParams& p, std::uint8_t* L,
                          std::uint16_t* d_out, std::uint16_t* dmin_out, std::uint8_t* packed) {
  float scales[kSubBlocks];
  float mins[kSubBlocks];
  float weights[kSub];
  std::uint8_t laux[kSub];
  for (int j = 0; j < kSubBlocks; ++j) {
    const float* xs = x + kSub * j;
    // Weights favour the larger values of the sub-block over its RMS floor.
    float sum_x2 = 0;
    for (int l = 0; l < kSub; ++l) sum_x2 += xs[l] * xs[l];
    const float av_x = std::sqrt(sum_x2 / kSub);
    for (int l = 0; l < kSub; ++l) weights[l] = av_x + std::fabs(xs[l]);
    scales[j] = search_scale_min(kSub, p.nmax, xs, weights, L + kSub * j, &mins[j], laux, p.rmin,
                                 p.rdelta, p.nstep);
  }
  float d = 0;
  float dmin = 0;
  pack_scales_mins_k4(scales, mins, packed, &d, &dmin);
  *d_out = f32_to_f16(d);
  *dmin_out = f32_to_f16(dmin);
  // Requantize against the scales as stored (6-bit, times the f16 d); a sub-block whose stored
  // scale is 0 keeps the values of the search.
  for (int j = 0; j < kSubBlocks; ++j) {
    std::uint8_t sc;
    std::uint8_t m;
    unpack_scale_min_k4(j, packed, &sc, &m);
    const float ds = f16_to_f32(*d_out) * sc;
    if (ds == 0.0f) continue;
    const float dm = f16_to_f32(*dmin_out) * m;
    for (int l = 0; l < kSub; ++l) {
      const int q = nearest_int((x[kSub * j + l] + dm) / ds);
      L[kSub * j + l] = static_cast<std::uint8_t>(std::max(0, std::min(p.nmax, q)));
    }
  }
}

}  // namespace

void quantize_q4_k(const float* x, BlockQ4K* y, std::int64_t nb) {
  std::uint8_t L[kBlockK];
  for (std::int64_t i = 0; i < nb; ++i, x += kBlockK) {
    std::memset(y[i].scales, 0, sizeof y[i].scales);
    quantize_super_block(x, kQ4K, L, &y[i].d, &y[i].dmin, y[i].scales);
    for (int g = 0; g < 4; ++g) {
      for (int l = 0; l < 32; ++l) {
        y[i].qs[32 * g + l] = static_cast<std::uint8_t>(L[64 * g + l] | (L[64 * g + 32 + l] << 4));
      }
    }
  }
}

void quantize_q5_k(const float* x, BlockQ5K* y, std::int64_t nb) {
  std::uint8_t L[kBlockK];
  for (std::int64_t i = 0; i < nb; ++i, x += kBlockK) {
    std::memset(y[i].scales, 0, sizeof y[i].scales);
    quantize_super_block(x, kQ5K, L, &y[i].d, &y[i].dmin, y[i].scales);
    std::memset(y[i].qh, 0, sizeof y[i].qh);
    for (int g = 0; g < 4; ++g) {
      for (int l = 0; l < 32; ++l) {
        const int lo = L[64 * g + l];
        const int hi = L[64 * g + 32 + l];
        y[i].qs[32 * g + l] = static_cast<std::uint8_t>((lo & 0xF) | ((hi & 0xF) << 4));
        y[i].qh[l] = static_cast<std::uint8_t>(y[i].qh[l] | ((lo >> 4) << (2 * g)) |
                                               ((hi >> 4) << (2 * g + 1)));
      }
    }
  }
}

void dequantize_q4_k(const BlockQ4K* x, float* y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i) {
    const float d = f16_to_f32(x[i].d);
    const float dmin = f16_to_f32(x[i].dmin);
    for (int g = 0; g < 4; ++g) {
      const std::uint8_t* q = x[i].qs + 32 * g;
      std::uint8_t sc;
      std::uint8_t m;
      unpack_scale_min_k4(2 * g, x[i].scales, &sc, &m);
      const float d1 = d * sc;
      const float m1 = dmin * m;
      unpack_scale_min_k4(2 * g + 1, x[i].scales, &sc, &m);
      const float d2 = d * sc;
      const float m2 = dmin * m;
      for (int l = 0; l < 32; ++l) *y++ = d1 * static_cast<float>(q[l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * static_cast<float>(q[l] >> 4) - m2;
    }
  }
}

void dequantize_q5_k(const BlockQ5K* x, float* y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i) {
    const float d = f16_to_f32(x[i].d);
    const float dmin = f16_to_f32(x[i].dmin);
    for (int g = 0; g < 4; ++g) {
      const std::uint8_t* q = x[i].qs + 32 * g;
      const std::uint8_t* qh = x[i].qh;
      const int b1 = 2 * g;
      const int b2 = 2 * g + 1;
      std::uint8_t sc;
      std::uint8_t m;
      unpack_scale_min_k4(2 * g, x[i].scales, &sc, &m);
      const float d1 = d * sc;
      const float m1 = dmin * m;
      unpack_scale_min_k4(2 * g + 1, x[i].scales, &sc, &m);
      const float d2 = d * sc;
      const float m2 = dmin * m;
      for (int l = 0; l < 32; ++l) {
        *y++ = d1 * static_cast<float>((q[l] & 0xF) | (((qh[l] >> b1) & 1) << 4)) - m1;
      }
      for (int l = 0; l < 32; ++l) {
        *y++ = d2 * static_cast<float>((q[l] >> 4) | (((qh[l] >> b2) & 1) << 4)) - m2;
      }
    }
  }
}

}  // namespace r1::quant::ref
