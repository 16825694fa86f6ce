// The A operand of the AMX kernel: a panel of up to 32 weight rows x one K block, converted to
// bf16 (bf16 weights copied, f16 and the quantized formats dequantized and rounded) and laid out
// tile by tile, so that every tile load reads 1 KB of consecutive memory instead of 16 rows of
// the weight matrix (measured: ~1.3x faster products than loading the tiles from the mapped
// rows, for ~3% of the time spent copying).
#pragma once

#include <cstdint>

#include "ops/weights.h"

namespace r1::ops::cpu {

/// Fills `panel` with rows [row, row + n_rows) (n_rows <= 32; missing rows are zeros) and
/// columns [k0, k0 + kc) of w (zeros up to kc_padded, a multiple of 32). Layout: tile (half h,
/// column block b) = rows 16h..16h+15, columns 32b..32b+31 at panel + (h * kc_padded / 32 + b) *
/// 512, each tile row 32 elements (64 bytes). k0 must start a quantization block (multiples of
/// 256 do). `row_f32` holds kc floats, `row_bf16` kc_padded elements.
void fill_weight_panel(const WeightMatrix& w, std::int64_t row, std::int64_t n_rows,
                       std::int64_t k0, std::int64_t kc, std::int64_t kc_padded,
                       std::uint16_t* panel, float* row_f32, std::uint16_t* row_bf16);

}  // namespace r1::ops::cpu
