// The blocked attention kernel on AVX2 + FMA + F16C: 24-row tiles (three 8-lane vectors).
#include "ops/cpu/attention_tile.h"
#include "ops/cpu/simd_f32.h"

namespace r1::ops::cpu {

AttentionKernel attention_kernel_avx2() {
  return {&attention_detail::run_any_tile<Avx2F32>, attention_detail::kTileRows<Avx2F32>};
}

}  // namespace r1::ops::cpu
