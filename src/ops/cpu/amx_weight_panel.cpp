#include "ops/cpu/amx_weight_panel.h"

#include <algorithm>
#include <cstring>

#include "core/half.h"
#include "ops/cpu/vector_ops.h"
#include "quant/quant_type.h"
#include "quant/quantize.h"

namespace r1::ops::cpu {
namespace {

// Columns [k0, k0 + kc) of one weight row as bf16 in out[0, kc).
void row_as_bf16(const WeightMatrix& w, const std::uint8_t* src, std::int64_t k0, std::int64_t kc,
                 float* row_f32, std::uint16_t* out) {
  switch (w.type) {
    case DType::bf16:
      std::memcpy(out, src + 2 * k0, static_cast<std::size_t>(kc) * 2);
      return;
    case DType::f32:
      round_to_bf16(reinterpret_cast<const float*>(src) + k0, kc, out);
      return;
    case DType::f16: {
      const auto* halves = reinterpret_cast<const std::uint16_t*>(src) + k0;
      for (std::int64_t k = 0; k < kc; ++k) row_f32[k] = f16_to_f32(halves[k]);
      round_to_bf16(row_f32, kc, out);
      return;
    }
    default: {
      const quant::QuantType type = *quant::quant_type_of(w.type);
      const std::int64_t block = quant::block_elements(type);
      quant::dequantize_row(type, src + k0 / block * quant::block_bytes(type), row_f32, kc);
      round_to_bf16(row_f32, kc, out);
      return;
    }
  }
}

}  // namespace

void fill_weight_panel(const WeightMatrix& w, std::int64_t row, std::int64_t n_rows,
                       std::int64_t k0, std::int64_t kc, std::int64_t kc_padded,
                       std::uint16_t* panel, float* row_f32, std::uint16_t* row_bf16) {
  const auto* base = static_cast<const std::uint8_t*>(w.data);
  const std::size_t stride_bytes = row_bytes(w);
  const std::int64_t blocks = kc_padded / 32;
  for (std::int64_t i = 0; i < 32; ++i) {
    if (i < n_rows) {
      row_as_bf16(w, base + stride_bytes * (row + i), k0, kc, row_f32, row_bf16);
      std::fill(row_bf16 + kc, row_bf16 + kc_padded, std::uint16_t{0});
    } else {
      std::fill(row_bf16, row_bf16 + kc_padded, std::uint16_t{0});
    }
    std::uint16_t* to = panel + (i / 16) * blocks * 512 + (i % 16) * 32;
    for (std::int64_t b = 0; b < blocks; ++b) std::memcpy(to + b * 512, row_bf16 + b * 32, 64);
  }
}

}  // namespace r1::ops::cpu
