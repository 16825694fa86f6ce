// Run-time choice of the tiled product kernels; the fallback is one vec_dot_at per output.
#include "quant/gemm.h"

#include <string>

#include "quant/quantize.h"
#include "r1/error.h"
#if defined(R1_QUANT_X86)
#include "quant/x86/simd_kernels.h"
#endif

namespace r1::quant {
namespace {

// The decode K-quant kernels permute bytes with vpermb (AVX512_VBMI), which some VNNI CPUs
// (Cascade Lake) lack; those keep the AVX2 kernels.
bool cpu_has_vbmi() {
#if defined(R1_QUANT_X86)
  static const bool vbmi = __builtin_cpu_supports("avx512vbmi");
  return vbmi;
#else
  return false;
#endif
}

// The Q8_0 / Q4_0 row kernels add with FMA, which a few AVX2 CPUs (VIA) lack.
bool cpu_has_fma() {
#if defined(R1_QUANT_X86)
  static const bool fma = __builtin_cpu_supports("fma");
  return fma;
#else
  return false;
#endif
}

// Up to this many tokens gemm_relaxed_at runs the AVX2 products row by row with one float per
// block (x86/rows_k_avx2.cpp, x86/rows_legacy_avx2.cpp); beyond it, gemm_at's tiles.
constexpr std::int64_t kAvx2RowsMaxTokens = 16;

}  // namespace

SimdLevel gemm_kernel_level(SimdLevel level, QuantType weight_type) {
  switch (weight_type) {
    case QuantType::q8_0:
    case QuantType::q4_0:
      return level;
    case QuantType::q4_k:
    case QuantType::q5_k:
    case QuantType::q6_k:
      return level == SimdLevel::scalar ? SimdLevel::scalar : SimdLevel::avx2;
    default:
      return SimdLevel::scalar;
  }
}

void gemm_at(SimdLevel level, QuantType weight_type, const void* w, std::int64_t n_rows,
             std::int64_t cols, const void* a, std::int64_t n_tokens, float* y,
             std::int64_t y_stride) {
  if (!simd_level_available(level)) {
    throw Error(ErrorCode::unsupported, std::string("the ") + simd_level_name(level) +
                                            " kernels need instructions this CPU or build lacks");
  }
  const QuantType activation_type = vec_dot_activation_type(weight_type);
  const std::int64_t nb = row_blocks(weight_type, cols);
  if (n_rows <= 0 || n_tokens <= 0) return;
#if defined(R1_QUANT_X86)
  const SimdLevel kernel = gemm_kernel_level(level, weight_type);
  const bool vnni = kernel == SimdLevel::avx512_vnni;
  // Decode: a few tokens, every weight byte used once per token, so the kernels stream the
  // rows and unpack each block once for all tokens.
  if (level == SimdLevel::avx512_vnni && weight_type == QuantType::q8_0) {
    return x86::batch_q8_0_avx512_vnni(static_cast<const BlockQ8_0*>(w), n_rows, nb,
                                       static_cast<const BlockQ8_0*>(a), n_tokens, y, y_stride);
  }
  // q4_k and q6_k rows along the lanes too, at every token count below the matrix units' (2.5x
  // the tiles at 32-48 tokens, ahead of the former decode kernels at 1-4).
  if (level == SimdLevel::avx512_vnni && weight_type == QuantType::q4_k && cpu_has_vbmi()) {
    return x86::batch_q4_k_avx512_vbmi(static_cast<const BlockQ4K*>(w), n_rows, nb,
                                       static_cast<const BlockQ8K*>(a), n_tokens, y, y_stride);
  }
  if (level == SimdLevel::avx512_vnni && weight_type == QuantType::q6_k && cpu_has_vbmi()) {
    return x86::batch_q6_k_avx512_vbmi(static_cast<const BlockQ6K*>(w), n_rows, nb,
                                       static_cast<const BlockQ8K*>(a), n_tokens, y, y_stride);
  }
  if (level == SimdLevel::avx512_vnni && n_tokens <= x86::kDecodeMaxTokens) {
    switch (weight_type) {
      case QuantType::q4_0:
        return x86::decode_q4_0_avx512_vnni(static_cast<const BlockQ4_0*>(w), n_rows, nb,
                                            static_cast<const BlockQ8_0*>(a), n_tokens, y, y_stride);
      case QuantType::q4_1:
        return x86::decode_q4_1_avx512_vnni(static_cast<const BlockQ4_1*>(w), n_rows, nb,
                                            static_cast<const BlockQ8_1*>(a), n_tokens, y, y_stride);
      case QuantType::q5_0:
        return x86::decode_q5_0_avx512_vnni(static_cast<const BlockQ5_0*>(w), n_rows, nb,
                                            static_cast<const BlockQ8_0*>(a), n_tokens, y, y_stride);
      case QuantType::q5_1:
        return x86::decode_q5_1_avx512_vnni(static_cast<const BlockQ5_1*>(w), n_rows, nb,
                                            static_cast<const BlockQ8_1*>(a), n_tokens, y, y_stride);
      case QuantType::q5_k:
        if (!cpu_has_vbmi()) break;
        return x86::decode_q5_k_avx512_vbmi(static_cast<const BlockQ5K*>(w), n_rows, nb,
                                            static_cast<const BlockQ8K*>(a), n_tokens, y, y_stride);
      default:
        break;
    }
  }
  if (kernel != SimdLevel::scalar) {
    switch (weight_type) {
      case QuantType::q8_0: {
        const auto* x = static_cast<const BlockQ8_0*>(w);
        const auto* q = static_cast<const BlockQ8_0*>(a);
        return x86::gemm_q8_0_avx2(x, n_rows, nb, q, n_tokens, y, y_stride);
      }
      case QuantType::q4_0: {
        const auto* x = static_cast<const BlockQ4_0*>(w);
        const auto* q = static_cast<const BlockQ8_0*>(a);
        return vnni ? x86::gemm_q4_0_avx512_vnni(x, n_rows, nb, q, n_tokens, y, y_stride)
                    : x86::gemm_q4_0_avx2(x, n_rows, nb, q, n_tokens, y, y_stride);
      }
      case QuantType::q4_k:
        return x86::gemm_q4_k_avx2(static_cast<const BlockQ4K*>(w), n_rows, nb,
                                   static_cast<const BlockQ8K*>(a), n_tokens, y, y_stride);
      case QuantType::q5_k:
        return x86::gemm_q5_k_avx2(static_cast<const BlockQ5K*>(w), n_rows, nb,
                                   static_cast<const BlockQ8K*>(a), n_tokens, y, y_stride);
      case QuantType::q6_k:
        return x86::gemm_q6_k_avx2(static_cast<const BlockQ6K*>(w), n_rows, nb,
                                   static_cast<const BlockQ8K*>(a), n_tokens, y, y_stride);
      default:
        break;
    }
  }
#endif
  const auto w_row = static_cast<std::size_t>(row_bytes(weight_type, cols));
  const auto a_row = static_cast<std::size_t>(row_bytes(activation_type, cols));
  for (std::int64_t r = 0; r < n_rows; ++r) {
    const auto* row = static_cast<const std::uint8_t*>(w) + w_row * static_cast<std::size_t>(r);
    for (std::int64_t t = 0; t < n_tokens; ++t) {
      const auto* tok = static_cast<const std::uint8_t*>(a) + a_row * static_cast<std::size_t>(t);
      y[t * y_stride + r] = vec_dot_at(level, weight_type, row, tok, cols);
    }
  }
}

void gemm_relaxed_at(SimdLevel level, QuantType weight_type, const void* w, std::int64_t n_rows,
                     std::int64_t cols, const void* a, std::int64_t n_tokens, float* y,
                     std::int64_t y_stride) {
#if defined(R1_QUANT_X86)
  // The row kernels are AVX2's: on AVX-512 machines q8_0 / q4_0 have their own kernels, and
  // gemm_kernel_level sends the K-quants to AVX2 there too.
  const bool rows = simd_level_available(level) && level != SimdLevel::scalar &&
                    gemm_kernel_level(level, weight_type) == SimdLevel::avx2 &&
                    n_tokens <= kAvx2RowsMaxTokens && n_rows > 0 && n_tokens > 0;
  if (rows) {
    const std::int64_t nb = row_blocks(weight_type, cols);
    switch (weight_type) {
      case QuantType::q8_0:
        if (!cpu_has_fma()) break;
        return x86::rows_q8_0_avx2(static_cast<const BlockQ8_0*>(w), n_rows, nb,
                                   static_cast<const BlockQ8_0*>(a), n_tokens, y, y_stride);
      case QuantType::q4_0:
        if (!cpu_has_fma()) break;
        return x86::rows_q4_0_avx2(static_cast<const BlockQ4_0*>(w), n_rows, nb,
                                   static_cast<const BlockQ8_0*>(a), n_tokens, y, y_stride);
      case QuantType::q4_k:
        return x86::rows_q4_k_avx2(static_cast<const BlockQ4K*>(w), n_rows, nb,
                                   static_cast<const BlockQ8K*>(a), n_tokens, y, y_stride);
      case QuantType::q5_k:
        return x86::rows_q5_k_avx2(static_cast<const BlockQ5K*>(w), n_rows, nb,
                                   static_cast<const BlockQ8K*>(a), n_tokens, y, y_stride);
      case QuantType::q6_k:
        return x86::rows_q6_k_avx2(static_cast<const BlockQ6K*>(w), n_rows, nb,
                                   static_cast<const BlockQ8K*>(a), n_tokens, y, y_stride);
      default:
        break;
    }
  }
#endif
  gemm_at(level, weight_type, w, n_rows, cols, a, n_tokens, y, y_stride);
}

void gemm_relaxed(QuantType weight_type, const void* w, std::int64_t n_rows, std::int64_t cols,
                  const void* a, std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  gemm_relaxed_at(best_simd_level(), weight_type, w, n_rows, cols, a, n_tokens, y, y_stride);
}

void gemm(QuantType weight_type, const void* w, std::int64_t n_rows, std::int64_t cols,
          const void* a, std::int64_t n_tokens, float* y, std::int64_t y_stride) {
  gemm_at(best_simd_level(), weight_type, w, n_rows, cols, a, n_tokens, y, y_stride);
}

}  // namespace r1::quant
