// A weight matrix as the ops see it: a view into the mapped checkpoint, never a copy.
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace r1::ops {

/// Row-major matrix of shape [rows = out features, cols = in features], like nn.Linear.weight.
struct WeightMatrix {
  DType type = DType::f32;  // as stored; compute is always fp32
  const void* data = nullptr;
  std::int64_t rows = 0;  // out
  std::int64_t cols = 0;  // in
};

/// Element (row, col) of `w` as float.
float weight_at(const WeightMatrix& w, std::int64_t row, std::int64_t col);

}  // namespace r1::ops
