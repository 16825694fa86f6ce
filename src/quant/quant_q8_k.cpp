// Q8_K: the activation side of K-quant dot products. One float scale per 256 values with
// iscale = -127 / max (max = the signed value of largest magnitude), and 16-element sums that
// let the K-quant dot products apply their mins without touching the quants.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "quant/reference_kernels.h"
#include "quant/rounding.h"

namespace r1::quant::ref {

void quantize_q8_k(const float* x, BlockQ8K* y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i, x += kBlockK) {
    float max = 0;
    float amax = 0;
    for (int j = 0; j < kBlockK; ++j) {
      const float ax = std::fabs(x[j]);
      if (ax > amax) {
        amax = ax;
        max = x[j];
      }
    }
    if (amax == 0.0f) {
      // ggml zeroes d and qs and leaves bsums as they were; we zero the whole block so that it
      // is fully defined. With d = 0 the bsums contribute nothing to a dot product.
      std::memset(&y[i], 0, sizeof y[i]);
      continue;
    }
    const float iscale = -127.f / max;
    for (int j = 0; j < kBlockK; ++j) {
      y[i].qs[j] = static_cast<std::int8_t>(std::min(127, nearest_int(iscale * x[j])));
    }
    for (int g = 0; g < kBlockK / 16; ++g) {
      int sum = 0;
      for (int l = 0; l < 16; ++l) sum += y[i].qs[16 * g + l];
      y[i].bsums[g] = static_cast<std::int16_t>(sum);
    }
    y[i].d = 1 / iscale;
  }
}

void dequantize_q8_k(const BlockQ8K* x, float* y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i) {
    for (int j = 0; j < kBlockK; ++j) *y++ = x[i].d * static_cast<float>(x[i].qs[j]);
  }
}

}  // namespace r1::quant::ref
