// Run-time choice of the SIMD dot-product kernels (x86 only; elsewhere everything is scalar).
#include "quant/vec_dot_fast.h"

#include <string>

#include "quant/quantize.h"
#include "r1/error.h"
#if defined(R1_QUANT_X86)
#include "quant/x86/simd_kernels.h"
#endif

namespace r1::quant {
namespace {

bool cpu_has(SimdLevel level) {
#if defined(R1_QUANT_X86)
  switch (level) {
    case SimdLevel::scalar:
      return true;
    case SimdLevel::avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c");
    case SimdLevel::avx512_vnni:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c") &&
             __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
  }
  return false;
#else
  return level == SimdLevel::scalar;
#endif
}

}  // namespace

const char* simd_level_name(SimdLevel level) {
  switch (level) {
    case SimdLevel::scalar:
      return "scalar";
    case SimdLevel::avx2:
      return "avx2";
    case SimdLevel::avx512_vnni:
      return "avx512_vnni";
  }
  return "unknown";
}

bool simd_level_available(SimdLevel level) {
  return cpu_has(level);
}

SimdLevel best_simd_level() {
  static const SimdLevel best = [] {
    for (SimdLevel level : {SimdLevel::avx512_vnni, SimdLevel::avx2}) {
      if (cpu_has(level)) return level;
    }
    return SimdLevel::scalar;
  }();
  return best;
}

SimdLevel vec_dot_kernel_level(SimdLevel level, QuantType weight_type) {
  switch (weight_type) {
    case QuantType::q8_0:
    case QuantType::q4_0:
      return level;
    case QuantType::q4_k:
    case QuantType::q5_k:
    case QuantType::q6_k:
    case QuantType::q4_1:
    case QuantType::q5_0:
    case QuantType::q5_1:
      // AVX2 only. K-quants: vpdpbusd adds 4 neighbours, which mixes the reference's lanes;
      // the 32-element types gain little from it.
      return level == SimdLevel::scalar ? SimdLevel::scalar : SimdLevel::avx2;
    default:
      return SimdLevel::scalar;
  }
}

float vec_dot_at(SimdLevel level, QuantType weight_type, const void* w, const void* a,
                 std::int64_t n) {
  if (!cpu_has(level)) {
    throw Error(ErrorCode::unsupported, std::string("the ") + simd_level_name(level) +
                                            " kernels need instructions this CPU or build lacks");
  }
  const SimdLevel kernel = vec_dot_kernel_level(level, weight_type);
  if (kernel == SimdLevel::scalar) return vec_dot(weight_type, w, a, n);
#if defined(R1_QUANT_X86)
  vec_dot_activation_type(weight_type);
  const std::int64_t nb = row_blocks(weight_type, n);
  const bool vnni = kernel == SimdLevel::avx512_vnni;
  switch (weight_type) {
    case QuantType::q8_0: {
      const auto* x = static_cast<const BlockQ8_0*>(w);
      const auto* y = static_cast<const BlockQ8_0*>(a);
      return vnni ? x86::vec_dot_q8_0_q8_0_avx512_vnni(x, y, nb)
                  : x86::vec_dot_q8_0_q8_0_avx2(x, y, nb);
    }
    case QuantType::q4_0: {
      const auto* x = static_cast<const BlockQ4_0*>(w);
      const auto* y = static_cast<const BlockQ8_0*>(a);
      return vnni ? x86::vec_dot_q4_0_q8_0_avx512_vnni(x, y, nb)
                  : x86::vec_dot_q4_0_q8_0_avx2(x, y, nb);
    }
    case QuantType::q4_k:
      return x86::vec_dot_q4_k_q8_k_avx2(static_cast<const BlockQ4K*>(w),
                                         static_cast<const BlockQ8K*>(a), nb);
    case QuantType::q5_k:
      return x86::vec_dot_q5_k_q8_k_avx2(static_cast<const BlockQ5K*>(w),
                                         static_cast<const BlockQ8K*>(a), nb);
    case QuantType::q6_k:
      return x86::vec_dot_q6_k_q8_k_avx2(static_cast<const BlockQ6K*>(w),
                                         static_cast<const BlockQ8K*>(a), nb);
    case QuantType::q4_1:
      return x86::vec_dot_q4_1_q8_1_avx2(static_cast<const BlockQ4_1*>(w),
                                         static_cast<const BlockQ8_1*>(a), nb);
    case QuantType::q5_0:
      return x86::vec_dot_q5_0_q8_0_avx2(static_cast<const BlockQ5_0*>(w),
                                         static_cast<const BlockQ8_0*>(a), nb);
    case QuantType::q5_1:
      return x86::vec_dot_q5_1_q8_1_avx2(static_cast<const BlockQ5_1*>(w),
                                         static_cast<const BlockQ8_1*>(a), nb);
    default:
      break;
  }
#endif
  return vec_dot(weight_type, w, a, n);
}

float vec_dot_fast(QuantType weight_type, const void* w, const void* a, std::int64_t n) {
  return vec_dot_at(best_simd_level(), weight_type, w, a, n);
}

}  // namespace r1::quant
