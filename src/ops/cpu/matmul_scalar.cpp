// Portable products for processors without AVX2: plain loops, one dot product per output.
#include "core/half.h"
#include "ops/cpu/matmul_kernels.h"

namespace r1::ops::cpu {
namespace {

template <DType T>
float element(const void* w, std::int64_t index) {
  if constexpr (T == DType::f32) {
    return static_cast<const float*>(w)[index];
  } else if constexpr (T == DType::f16) {
    return f16_to_f32(static_cast<const std::uint16_t*>(w)[index]);
  } else {
    return bf16_to_f32(static_cast<const std::uint16_t*>(w)[index]);
  }
}

template <DType T>
void dot_rows(const void* w, std::int64_t n_rows, std::int64_t cols, const float* x,
              std::int64_t x_stride, std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  for (std::int64_t t = 0; t < n_tokens; ++t) {
    for (std::int64_t r = 0; r < n_rows; ++r) {
      float sum = 0.0f;
      for (std::int64_t i = 0; i < cols; ++i)
        sum += x[t * x_stride + i] * element<T>(w, r * cols + i);
      y[t * y_stride + r] = sum;
    }
  }
}

}  // namespace

DotRowsFn dot_rows_scalar(DType type) {
  return by_element_type(type, [](auto t) -> DotRowsFn { return dot_rows<decltype(t)::value>; });
}

}  // namespace r1::ops::cpu
