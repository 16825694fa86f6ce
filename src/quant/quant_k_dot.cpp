// K-quant x Q8_K dot products in the arithmetic of ggml's scalar ggml_vec_dot_q{4,5,6}_K_q8_K:
// integer products accumulated per lane (element index mod 8) in int32, each lane scaled by
// the block's d in float into 8 float partial sums, the mins subtracted per block, and the 8
// partial sums added last. Any other grouping changes the float result in its last bits.
#include <cstring>

#include "core/half.h"
#include "quant/reference_kernels.h"

namespace r1::quant::ref {
namespace {

constexpr int kLanes = 8;

// Adds scale * q8[k] * w[k] into lane k % 8 for the n elements of one sub-block.
void accumulate_lanes(const std::int8_t* q8, const std::int8_t* w, int n, int scale,
                      std::int32_t* lanes) {
  for (int k = 0; k < n; ++k) lanes[k % kLanes] += scale * (q8[k] * w[k]);
}

// The 256 4- or 5-bit values of a Q4_K/Q5_K block in element order.
void unpack_q4_k(const BlockQ4K& b, std::int8_t* w) {
  for (int g = 0; g < 4; ++g) {
    for (int l = 0; l < 32; ++l) {
      w[64 * g + l] = static_cast<std::int8_t>(b.qs[32 * g + l] & 0xF);
      w[64 * g + 32 + l] = static_cast<std::int8_t>(b.qs[32 * g + l] >> 4);
    }
  }
}

void unpack_q5_k(const BlockQ5K& b, std::int8_t* w) {
  for (int g = 0; g < 4; ++g) {
    for (int l = 0; l < 32; ++l) {
      const int lo = (b.qs[32 * g + l] & 0xF) | (((b.qh[l] >> (2 * g)) & 1) << 4);
      const int hi = (b.qs[32 * g + l] >> 4) | (((b.qh[l] >> (2 * g + 1)) & 1) << 4);
      w[64 * g + l] = static_cast<std::int8_t>(lo);
      w[64 * g + 32 + l] = static_cast<std::int8_t>(hi);
    }
  }
}

// Shared tail of Q4_K and Q5_K: w holds the block's unsigned quants.
template <typename Block>
void accumulate_k4_block(const Block& x, const BlockQ8K& y, const std::int8_t* w, float* sums,
                         float* sumf) {
  std::uint8_t scales[8];
  std::uint8_t mins[8];
  for (int j = 0; j < 8; ++j) unpack_scale_min_k4(j, x.scales, &scales[j], &mins[j]);
  // The mins term: sum over sub-blocks of m * sum(q8), from Q8_K's 16-element sums.
  int sumi = 0;
  for (int j = 0; j < kBlockK / 16; ++j) sumi += y.bsums[j] * mins[j / 2];
  std::int32_t lanes[kLanes] = {};
  for (int j = 0; j < 8; ++j) accumulate_lanes(y.qs + 32 * j, w + 32 * j, 32, scales[j], lanes);
  const float d = f16_to_f32(x.d) * y.d;
  for (int l = 0; l < kLanes; ++l) sums[l] += d * static_cast<float>(lanes[l]);
  const float dmin = f16_to_f32(x.dmin) * y.d;
  *sumf -= dmin * static_cast<float>(sumi);
}

float finish(const float* sums, float sumf) {
  for (int l = 0; l < kLanes; ++l) sumf += sums[l];
  return sumf;
}

}  // namespace

float vec_dot_q4_k_q8_k(const BlockQ4K* x, const BlockQ8K* y, std::int64_t nb) {
  float sums[kLanes] = {};
  float sumf = 0;
  std::int8_t w[kBlockK];
  for (std::int64_t i = 0; i < nb; ++i) {
    unpack_q4_k(x[i], w);
    accumulate_k4_block(x[i], y[i], w, sums, &sumf);
  }
  return finish(sums, sumf);
}

float vec_dot_q5_k_q8_k(const BlockQ5K* x, const BlockQ8K* y, std::int64_t nb) {
  float sums[kLanes] = {};
  float sumf = 0;
  std::int8_t w[kBlockK];
  for (std::int64_t i = 0; i < nb; ++i) {
    unpack_q5_k(x[i], w);
    accumulate_k4_block(x[i], y[i], w, sums, &sumf);
  }
  return finish(sums, sumf);
}

float vec_dot_q6_k_q8_k(const BlockQ6K* x, const BlockQ8K* y, std::int64_t nb) {
  float sums[kLanes] = {};
  std::int8_t w[kBlockK];
  for (std::int64_t i = 0; i < nb; ++i) {
    for (int h = 0; h < 2; ++h) {
      const std::uint8_t* ql = x[i].ql + 64 * h;
      const std::uint8_t* qh = x[i].qh + 32 * h;
      std::int8_t* a = w + 128 * h;
      for (int l = 0; l < 32; ++l) {
        a[l] = static_cast<std::int8_t>(((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32);
        a[l + 32] = static_cast<std::int8_t>(((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32);
        a[l + 64] = static_cast<std::int8_t>(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
        a[l + 96] = static_cast<std::int8_t>(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
      }
    }
    std::int32_t lanes[kLanes] = {};
    for (int s = 0; s < 16; ++s) {
      accumulate_lanes(y[i].qs + 16 * s, w + 16 * s, 16, x[i].scales[s], lanes);
    }
    const float d = f16_to_f32(x[i].d) * y[i].d;
    for (int l = 0; l < kLanes; ++l) sums[l] += d * static_cast<float>(lanes[l]);
  }
  return finish(sums, 0.0f);
}

}  // namespace r1::quant::ref
