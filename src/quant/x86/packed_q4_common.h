// What the packed q4_0 / q4_1 kernels (packed_q4_avx2.cpp, packed_q4_avx512_vnni.cpp) share: the
// per-token block terms and the loop over groups and passes of tokens. Include only from files
// compiled for AVX2 or above (F16C).
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "quant/blocks.h"
#include "quant/packed_q4.h"

namespace r1::quant::x86 {
namespace {

constexpr int kPackedQ4MaxPassTokens = 16;  // tokens per pass over a group (it stays in cache)

/// Per token and block: the integer sum's start (q4_0: -8 * sum of the activation bytes), the
/// activation's d and (q4_1) s.
struct PackedQ4TokenBlock {
  std::int32_t start;
  float d, s;
};

template <bool Q41>
using PackedQ4Activation = std::conditional_t<Q41, BlockQ8_1, BlockQ8_0>;

template <bool Q41>
void prepare_packed_q4_tokens(const PackedQ4Activation<Q41>* a, std::int64_t n,
                              PackedQ4TokenBlock* out) {
  for (std::int64_t i = 0; i < n; ++i) {
    std::int32_t sum = 0;
    for (const std::int8_t q : a[i].qs) sum += q;
    if constexpr (Q41) {
      out[i] = {0, _cvtsh_ss(a[i].d), _cvtsh_ss(a[i].s)};
    } else {
      out[i] = {-8 * sum, _cvtsh_ss(a[i].d), 0.0f};
    }
  }
}

/// The token terms prepared once, then pass(g, a, token blocks, n, y) for every group g of the
/// row range and every pass of up to kPackedQ4MaxPassTokens tokens: groups outside, passes
/// inside, so a group stays in cache for its later passes.
template <bool Q41, typename PassFn>
void packed_q4_passes(std::int64_t nb, std::int64_t row_begin, std::int64_t row_end,
                      const PackedQ4Activation<Q41>* a, std::int64_t n_tokens, float* y,
                      std::int64_t y_stride, PassFn pass) {
  thread_local std::vector<PackedQ4TokenBlock> blocks;
  blocks.resize(static_cast<std::size_t>(n_tokens * nb));
  prepare_packed_q4_tokens<Q41>(a, n_tokens * nb, blocks.data());
  for (std::int64_t g = row_begin / kPackedQ4Rows; g * kPackedQ4Rows < row_end; ++g) {
    for (std::int64_t t0 = 0; t0 < n_tokens; t0 += kPackedQ4MaxPassTokens) {
      const std::int64_t n = std::min<std::int64_t>(kPackedQ4MaxPassTokens, n_tokens - t0);
      pass(g, a + t0 * nb, blocks.data() + t0 * nb, n, y + t0 * y_stride);
    }
  }
}

}  // namespace
}  // namespace r1::quant::x86
