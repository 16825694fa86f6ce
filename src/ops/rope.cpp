#include "ops/rope.h"

#include <cmath>
#include <numbers>

namespace r1::ops {

std::vector<float> rope_inv_freq(std::int64_t head_dim, double theta, const RopeScaling& scaling) {
  std::vector<float> inv_freq(static_cast<std::size_t>(head_dim / 2));
  for (std::int64_t i = 0; i < head_dim / 2; ++i) {
    // transformers: 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim)), all in fp32.
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(head_dim);
    const float power = std::pow(static_cast<float>(theta), exponent);
    inv_freq[i] = 1.0f / power;
  }
  if (scaling.kind == RopeScaling::Kind::linear) {
    for (float& f : inv_freq) f = static_cast<float>(f / scaling.factor);
  } else if (scaling.kind == RopeScaling::Kind::llama3) {
    // transformers' _compute_llama3_parameters: long wavelengths are slowed by `factor`, short
    // ones kept, and the band between them interpolated smoothly.
    const double old_context = scaling.original_max_position_embeddings;
    const double low_freq_wavelen = old_context / scaling.low_freq_factor;
    const double high_freq_wavelen = old_context / scaling.high_freq_factor;
    for (float& f : inv_freq) {
      const double wavelen = 2.0 * std::numbers::pi / f;
      if (wavelen > low_freq_wavelen) {
        f = static_cast<float>(f / scaling.factor);
      } else if (wavelen >= high_freq_wavelen) {
        const double smooth = (old_context / wavelen - scaling.low_freq_factor) /
                              (scaling.high_freq_factor - scaling.low_freq_factor);
        f = static_cast<float>((1.0 - smooth) * f / scaling.factor + smooth * f);
      }
    }
  }
  return inv_freq;
}

void rope_reference(float* x, const std::int32_t* positions, std::int64_t n_tokens,
                    std::int64_t n_heads, std::int64_t head_dim, const float* inv_freq,
                    RopeLayout layout) {
  const std::int64_t half = head_dim / 2;
  for (std::int64_t t = 0; t < n_tokens; ++t) {
    for (std::int64_t i = 0; i < half; ++i) {
      // freqs = position (fp32) * inv_freq (fp32); cos/sin computed in fp32 by torch.
      const float angle = static_cast<float>(positions[t]) * inv_freq[i];
      const float cos_a = std::cos(angle);
      const float sin_a = std::sin(angle);
      for (std::int64_t h = 0; h < n_heads; ++h) {
        float* head = x + (t * n_heads + h) * head_dim;
        const std::int64_t lo = layout == RopeLayout::rotate_half ? i : 2 * i;
        const std::int64_t hi = layout == RopeLayout::rotate_half ? i + half : 2 * i + 1;
        const float x1 = head[lo];
        const float x2 = head[hi];
        // q * cos + rotate_half(q) * sin, rotate_half(x) = cat(-x2, x1)
        head[lo] = x1 * cos_a - x2 * sin_a;
        head[hi] = x2 * cos_a + x1 * sin_a;
      }
    }
  }
}

}  // namespace r1::ops
