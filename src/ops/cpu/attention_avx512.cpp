// The blocked attention kernel on AVX-512: 48-row tiles (three 16-lane vectors).
#include "ops/cpu/attention_tile.h"
#include "ops/cpu/simd_f32.h"

namespace r1::ops::cpu {

AttentionKernel attention_kernel_avx512() {
  return {&attention_detail::run_any_tile<Avx512F32>, attention_detail::kTileRows<Avx512F32>};
}

}  // namespace r1::ops::cpu
