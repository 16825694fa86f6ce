#include "ops/cpu/vector_ops.h"

#include <cmath>
#include <cstring>

#include "core/half.h"
#include "ops/cpu/swiglu_kernels.h"

// Each function is compiled for AVX-512, AVX2 and the baseline; the loader picks the best clone
// for this processor. `omp simd` (with -fopenmp-simd, no OpenMP runtime) lets the compiler
// vectorize the float reductions.
#if defined(__x86_64__) && !defined(__clang__)
#define R1_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define R1_CLONES
#endif

namespace r1::ops::cpu {

R1_CLONES void rmsnorm_row(const float* x, const float* weight, std::int64_t dim, float eps,
                           float* out) {
  float sum_squares = 0.0f;
#pragma omp simd reduction(+ : sum_squares)
  for (std::int64_t i = 0; i < dim; ++i) sum_squares += x[i] * x[i];
  const float scale = 1.0f / std::sqrt(sum_squares / static_cast<float>(dim) + eps);
#pragma omp simd
  for (std::int64_t i = 0; i < dim; ++i) out[i] = weight[i] * (x[i] * scale);
}

R1_CLONES void rope_row(float* x, std::int64_t n_heads, std::int64_t head_dim, const float* cos_a,
                        const float* sin_a, RopeLayout layout) {
  const std::int64_t half = head_dim / 2;
  if (layout == RopeLayout::interleaved) {
    for (std::int64_t h = 0; h < n_heads; ++h) {
      float* head = x + h * head_dim;
      for (std::int64_t i = 0; i < half; ++i) {
        const float x1 = head[2 * i];
        const float x2 = head[2 * i + 1];
        head[2 * i] = x1 * cos_a[i] - x2 * sin_a[i];
        head[2 * i + 1] = x2 * cos_a[i] + x1 * sin_a[i];
      }
    }
    return;
  }
  for (std::int64_t h = 0; h < n_heads; ++h) {
    float* lo = x + h * head_dim;
    float* hi = lo + half;
#pragma omp simd
    for (std::int64_t i = 0; i < half; ++i) {
      const float x1 = lo[i];
      const float x2 = hi[i];
      lo[i] = x1 * cos_a[i] - x2 * sin_a[i];
      hi[i] = x2 * cos_a[i] + x1 * sin_a[i];
    }
  }
}

// The scalar SwiGLU (std::exp), the reference of swiglu_<isa>.cpp.
void swiglu_row(const float* gate, const float* up, std::int64_t ff, float* out) {
  for (std::int64_t j = 0; j < ff; ++j) out[j] = gate[j] / (1.0f + std::exp(-gate[j])) * up[j];
}

namespace {
void exp_row_scalar(const float* x, std::int64_t n, float* out) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = std::exp(x[i]);
}
}  // namespace

ExpRowFn exp_kernel(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::avx512:
      return &exp_row_avx512;
    case CpuIsa::avx2:
      return &exp_row_avx2;
    case CpuIsa::scalar:
      break;
  }
  return &exp_row_scalar;
}

SwigluRowFn swiglu_kernel(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::avx512:
      return &swiglu_row_avx512;
    case CpuIsa::avx2:
      return &swiglu_row_avx2;
    case CpuIsa::scalar:
      break;
  }
  return &swiglu_row;
}

R1_CLONES void round_to_bf16(const float* x, std::int64_t n, std::uint16_t* out) {
  // f32_to_bf16 (round to nearest even, NaN kept quiet) without branches, so it vectorizes.
  for (std::int64_t i = 0; i < n; ++i) {
    std::uint32_t word;
    std::memcpy(&word, x + i, sizeof word);
    const std::uint32_t rounded = (word + 0x7FFFu + ((word >> 16) & 1u)) >> 16;
    const std::uint32_t quiet_nan = (word >> 16) | 0x0040u;
    out[i] = static_cast<std::uint16_t>((word & 0x7FFFFFFFu) > 0x7F800000u ? quiet_nan : rounded);
  }
}

}  // namespace r1::ops::cpu
