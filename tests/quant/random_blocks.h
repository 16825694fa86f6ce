// Random quantized rows for the SIMD-vs-scalar tests: every quant byte uniformly random
// (extremes included), scales finite and small enough that no sum overflows.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "quant/quant_type.h"

namespace r1::quant::test {

/// Random bytes for a row of `n` elements of `type`, with its f16/f32 scales replaced by
/// finite values in [-0.05, 0.05] and Q8_K's bsums made consistent with its quants.
std::vector<std::uint8_t> random_row(QuantType type, std::int64_t n, std::mt19937_64& rng);

/// The bits of a float, for exact comparisons that also tell -0 from 0 and NaNs apart.
std::uint32_t float_bits(float f);

}  // namespace r1::quant::test
