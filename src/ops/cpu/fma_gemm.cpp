// The scalar oracle of the FMA prefill kernel and its run-time dispatch.
#include "ops/cpu/fma_gemm.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "core/half.h"
#include "ops/cpu/matmul_kernels.h"

namespace r1::ops::cpu {

void fma_gemm_avx512(DType type, const void* w, std::int64_t n_rows, std::int64_t cols,
                     const float* x, std::int64_t n_tokens, float* y, std::int64_t y_stride);
void fma_gemm_avx2(DType type, const void* w, std::int64_t n_rows, std::int64_t cols,
                   const float* x, std::int64_t n_tokens, float* y, std::int64_t y_stride);

namespace {

float element(DType type, const void* w, std::int64_t index) {
  switch (type) {
    case DType::f32:
      return static_cast<const float*>(w)[index];
    case DType::f16:
      return f16_to_f32(static_cast<const std::uint16_t*>(w)[index]);
    case DType::bf16:
      return bf16_to_f32(static_cast<const std::uint16_t*>(w)[index]);
    default:
      throw std::invalid_argument("fma_gemm: weights must be f32, f16 or bf16");
  }
}

}  // namespace

void fma_gemm_reference(DType type, const void* w, std::int64_t n_rows, std::int64_t cols,
                        const float* x, std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  for (std::int64_t t = 0; t < n_tokens; ++t) {
    for (std::int64_t r = 0; r < n_rows; ++r) {
      float sum = 0.0f;
      for (std::int64_t i = 0; i < cols; ++i)
        sum = std::fma(x[t * cols + i], element(type, w, r * cols + i), sum);
      y[t * y_stride + r] = sum;
    }
  }
}

bool fma_gemm_available(CpuIsa isa) {
#if defined(__x86_64__)
  return isa != CpuIsa::scalar && isa_supported(isa);
#else
  (void)isa;
  return false;
#endif
}

void fma_gemm(CpuIsa isa, DType type, const void* w, std::int64_t n_rows, std::int64_t cols,
              const float* x, std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  if (!fma_gemm_available(isa)) {
    throw std::invalid_argument(std::string("fma_gemm: no ") + isa_name(isa) +
                                " kernel on this processor");
  }
#if defined(__x86_64__)
  if (isa == CpuIsa::avx512)
    return fma_gemm_avx512(type, w, n_rows, cols, x, n_tokens, y, y_stride);
  return fma_gemm_avx2(type, w, n_rows, cols, x, n_tokens, y, y_stride);
#else
  fma_gemm_reference(type, w, n_rows, cols, x, n_tokens, y, y_stride);
#endif
}

}  // namespace r1::ops::cpu
