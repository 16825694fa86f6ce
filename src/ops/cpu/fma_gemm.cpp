// The scalar oracle of the FMA prefill kernel and its run-time dispatch.
#include "ops/cpu/fma_gemm.h"

#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/half.h"
#include "ops/cpu/matmul_kernels.h"
#include "quant/quant_type.h"
#include "quant/quantize.h"

namespace r1::ops::cpu {

void fma_gemm_avx512(DType type, const void* w, std::int64_t n_rows, std::int64_t cols,
                     const float* x, std::int64_t n_tokens, float* y, std::int64_t y_stride);
void fma_gemm_avx2(DType type, const void* w, std::int64_t n_rows, std::int64_t cols,
                   const float* x, std::int64_t n_tokens, float* y, std::int64_t y_stride);
void fma_gemm_avx2_packed_q8_0(const std::uint8_t* packed, std::int64_t row_begin,
                               std::int64_t row_end, std::int64_t cols, const float* x,
                               std::int64_t n_tokens, float* y, std::int64_t y_stride);

namespace {

/// Row r of w as floats: 16-bit and f32 elements widened, quantized blocks dequantized as ggml
/// dequantizes them.
std::vector<float> row_values(DType type, const void* w, std::int64_t r, std::int64_t cols) {
  std::vector<float> out(static_cast<std::size_t>(cols));
  const auto* row =
      static_cast<const std::uint8_t*>(w) +
      static_cast<std::size_t>(r) * static_cast<std::size_t>(dtype_row_bytes(type, cols));
  if (const std::optional<quant::QuantType> q = quant::quant_type_of(type)) {
    quant::dequantize_row(*q, row, out.data(), cols);
    return out;
  }
  for (std::int64_t i = 0; i < cols; ++i) {
    switch (type) {
      case DType::f32:
        out[static_cast<std::size_t>(i)] = reinterpret_cast<const float*>(row)[i];
        break;
      case DType::f16:
        out[static_cast<std::size_t>(i)] =
            f16_to_f32(reinterpret_cast<const std::uint16_t*>(row)[i]);
        break;
      case DType::bf16:
        out[static_cast<std::size_t>(i)] =
            bf16_to_f32(reinterpret_cast<const std::uint16_t*>(row)[i]);
        break;
      default:
        throw std::invalid_argument("fma_gemm: weights of an unknown type");
    }
  }
  return out;
}

}  // namespace

void fma_gemm_reference(DType type, const void* w, std::int64_t n_rows, std::int64_t cols,
                        const float* x, std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  for (std::int64_t r = 0; r < n_rows; ++r) {
    const std::vector<float> weights = row_values(type, w, r, cols);
    for (std::int64_t t = 0; t < n_tokens; ++t) {
      float sum = 0.0f;
      for (std::int64_t i = 0; i < cols; ++i)
        sum = std::fma(x[t * cols + i], weights[static_cast<std::size_t>(i)], sum);
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

bool fma_gemm_supports(CpuIsa isa, DType type) {
  if (!fma_gemm_available(isa)) return false;
  if (type == DType::f32 || type == DType::f16 || type == DType::bf16) return true;
  return isa == CpuIsa::avx2 && quant::quant_type_of(type).has_value();
}

void fma_gemm(CpuIsa isa, DType type, const void* w, std::int64_t n_rows, std::int64_t cols,
              const float* x, std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  if (!fma_gemm_supports(isa, type)) {
    throw std::invalid_argument(std::string("fma_gemm: no ") + isa_name(isa) + " kernel for " +
                                dtype_cli_name(type) + " weights on this processor");
  }
#if defined(__x86_64__)
  if (isa == CpuIsa::avx512)
    return fma_gemm_avx512(type, w, n_rows, cols, x, n_tokens, y, y_stride);
  return fma_gemm_avx2(type, w, n_rows, cols, x, n_tokens, y, y_stride);
#else
  fma_gemm_reference(type, w, n_rows, cols, x, n_tokens, y, y_stride);
#endif
}

void fma_gemm_packed_q8_0(CpuIsa isa, const std::uint8_t* packed, std::int64_t row_begin,
                          std::int64_t row_end, std::int64_t cols, const float* x,
                          std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  if (isa != CpuIsa::avx2 || !fma_gemm_available(isa))
    throw std::invalid_argument("fma_gemm_packed_q8_0: only on AVX2 (+ FMA, F16C)");
#if defined(__x86_64__)
  fma_gemm_avx2_packed_q8_0(packed, row_begin, row_end, cols, x, n_tokens, y, y_stride);
#else
  (void)packed, (void)row_begin, (void)row_end, (void)cols, (void)x, (void)n_tokens, (void)y,
      (void)y_stride;
#endif
}

}  // namespace r1::ops::cpu
