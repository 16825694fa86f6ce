// One sequence's attention op as every backend takes it (ops/backend.h); a header of its own,
// plain C++17, so the CUDA kernels (compiled by nvcc as C++17) share the struct.
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "ops/reference_ops.h"

namespace r1::ops {

/// One sequence's share of an attention op: its queries (rows of a larger activation buffer) and
/// its cache (elements of kv_type: f32, bf16 or f16) in pages: page p of k_pages / v_pages holds
/// the [page_rows, n_kv_heads * head_dim] keys / values of positions [p * page_rows, ...). A
/// paged cache has page_rows a multiple of kKvPageAlignment; a contiguous one is a single page
/// (page_rows >= shape.n_kv). See AttentionShape for the rest of the layout and semantics.
struct AttentionCall {
  const float* q = nullptr;
  const void* const* k_pages = nullptr;
  const void* const* v_pages = nullptr;
  std::int64_t page_rows = 0;
  const std::int32_t* q_positions = nullptr;
  float* out = nullptr;
  AttentionShape shape;
  DType kv_type = DType::f32;
};

/// Pages of a paged cache hold a multiple of this many positions (the CPU kernels' cache block).
inline constexpr std::int64_t kKvPageAlignment = 32;

}  // namespace r1::ops
