// The blocked attention kernel on AVX-512: 48-row tiles (three 16-lane vectors), and
// decode-sized tiles with the cache rows along the lanes (attention_decode_avx512.h).
#include "ops/cpu/attention_decode_avx512.h"
#include "ops/cpu/attention_tile.h"
#include "ops/cpu/simd_f32.h"

namespace r1::ops::cpu {

AttentionKernel attention_kernel_avx512() {
  return {&attention_detail::run_avx512_tile, attention_detail::kTileRows<Avx512F32>};
}

}  // namespace r1::ops::cpu
