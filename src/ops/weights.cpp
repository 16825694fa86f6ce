#include "ops/weights.h"

#include <cstring>

#include "core/half.h"

namespace r1::ops {

float weight_at(const WeightMatrix& w, std::int64_t row, std::int64_t col) {
  const std::int64_t index = row * w.cols + col;
  switch (w.type) {
    case DType::f32:
      return static_cast<const float*>(w.data)[index];
    case DType::f16:
      return f16_to_f32(static_cast<const std::uint16_t*>(w.data)[index]);
    case DType::bf16:
      return bf16_to_f32(static_cast<const std::uint16_t*>(w.data)[index]);
  }
  return 0.0f;
}

}  // namespace r1::ops
