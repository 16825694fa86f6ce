// Dispatch from QuantType to the per-type reference kernels, with the row-length checks.
#include "quant/quantize.h"

#include <string>
#include <vector>

#include "quant/reference_kernels.h"
#include "r1/error.h"
#if defined(R1_QUANT_X86)
#include "quant/x86/simd_kernels.h"
#endif

namespace r1::quant {
namespace {

template <typename Block>
const Block* blocks_of(const void* p) {
  return static_cast<const Block*>(p);
}
template <typename Block>
Block* blocks_of(void* p) {
  return static_cast<Block*>(p);
}

// The activation quantizers run for every token of every quantized product: SIMD where the CPU
// has AVX-512 (bit-exact with the reference on finite input; a NaN makes both produce garbage,
// not necessarily the same).
bool fast_activation_quantizers() {
#if defined(R1_QUANT_X86)
  static const bool avx512 =
      __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  return avx512;
#else
  return false;
#endif
}

}  // namespace

void quantize_row(QuantType type, const float* in, void* out, std::int64_t n) {
  const std::int64_t nb = row_blocks(type, n);
  switch (type) {
    case QuantType::q8_0:
#if defined(R1_QUANT_X86)
      if (fast_activation_quantizers())
        return x86::quantize_q8_0_avx512(in, blocks_of<BlockQ8_0>(out), nb);
#endif
      return ref::quantize_q8_0(in, blocks_of<BlockQ8_0>(out), nb);
    case QuantType::q8_1:
#if defined(R1_QUANT_X86)
      if (fast_activation_quantizers())
        return x86::quantize_q8_1_avx512(in, blocks_of<BlockQ8_1>(out), nb);
#endif
      return ref::quantize_q8_1(in, blocks_of<BlockQ8_1>(out), nb);
    case QuantType::q4_0:
      return ref::quantize_q4_0(in, blocks_of<BlockQ4_0>(out), nb);
    case QuantType::q4_1:
      return ref::quantize_q4_1(in, blocks_of<BlockQ4_1>(out), nb);
    case QuantType::q5_0:
      return ref::quantize_q5_0(in, blocks_of<BlockQ5_0>(out), nb);
    case QuantType::q5_1:
      return ref::quantize_q5_1(in, blocks_of<BlockQ5_1>(out), nb);
    case QuantType::q4_k:
      return ref::quantize_q4_k(in, blocks_of<BlockQ4K>(out), nb);
    case QuantType::q5_k:
      return ref::quantize_q5_k(in, blocks_of<BlockQ5K>(out), nb);
    case QuantType::q6_k:
      return ref::quantize_q6_k(in, blocks_of<BlockQ6K>(out), nb);
    case QuantType::q8_k:
#if defined(R1_QUANT_X86)
      if (fast_activation_quantizers())
        return x86::quantize_q8_k_avx512(in, blocks_of<BlockQ8K>(out), nb);
#endif
      return ref::quantize_q8_k(in, blocks_of<BlockQ8K>(out), nb);
  }
}

void dequantize_row(QuantType type, const void* in, float* out, std::int64_t n) {
  const std::int64_t nb = row_blocks(type, n);
  switch (type) {
    case QuantType::q8_0:
      return ref::dequantize_q8_0(blocks_of<BlockQ8_0>(in), out, nb);
    case QuantType::q8_1:
      return ref::dequantize_q8_1(blocks_of<BlockQ8_1>(in), out, nb);
    case QuantType::q4_0:
      return ref::dequantize_q4_0(blocks_of<BlockQ4_0>(in), out, nb);
    case QuantType::q4_1:
      return ref::dequantize_q4_1(blocks_of<BlockQ4_1>(in), out, nb);
    case QuantType::q5_0:
      return ref::dequantize_q5_0(blocks_of<BlockQ5_0>(in), out, nb);
    case QuantType::q5_1:
      return ref::dequantize_q5_1(blocks_of<BlockQ5_1>(in), out, nb);
    case QuantType::q4_k:
      return ref::dequantize_q4_k(blocks_of<BlockQ4K>(in), out, nb);
    case QuantType::q5_k:
      return ref::dequantize_q5_k(blocks_of<BlockQ5K>(in), out, nb);
    case QuantType::q6_k:
      return ref::dequantize_q6_k(blocks_of<BlockQ6K>(in), out, nb);
    case QuantType::q8_k:
      return ref::dequantize_q8_k(blocks_of<BlockQ8K>(in), out, nb);
  }
}

QuantType vec_dot_activation_type(QuantType weight_type) {
  switch (weight_type) {
    case QuantType::q8_0:
    case QuantType::q4_0:
    case QuantType::q5_0:
      return QuantType::q8_0;
    case QuantType::q4_1:
    case QuantType::q5_1:
      return QuantType::q8_1;
    case QuantType::q4_k:
    case QuantType::q5_k:
    case QuantType::q6_k:
      return QuantType::q8_k;
    case QuantType::q8_1:
    case QuantType::q8_k:
      break;
  }
  throw Error(ErrorCode::unsupported, std::string(quant_type_name(weight_type)) +
                                          " is an activation format; it has no dot product as a "
                                          "weight type (use q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, "
                                          "q5_k or q6_k)");
}

float vec_dot(QuantType weight_type, const void* w, const void* a, std::int64_t n) {
  vec_dot_activation_type(weight_type);  // rejects q8_1 / q8_k weights
  const std::int64_t nb = row_blocks(weight_type, n);
  switch (weight_type) {
    case QuantType::q8_0:
      return ref::vec_dot_q8_0_q8_0(blocks_of<BlockQ8_0>(w), blocks_of<BlockQ8_0>(a), nb);
    case QuantType::q4_0:
      return ref::vec_dot_q4_0_q8_0(blocks_of<BlockQ4_0>(w), blocks_of<BlockQ8_0>(a), nb);
    case QuantType::q4_1:
      return ref::vec_dot_q4_1_q8_1(blocks_of<BlockQ4_1>(w), blocks_of<BlockQ8_1>(a), nb);
    case QuantType::q5_0:
      return ref::vec_dot_q5_0_q8_0(blocks_of<BlockQ5_0>(w), blocks_of<BlockQ8_0>(a), nb);
    case QuantType::q5_1:
      return ref::vec_dot_q5_1_q8_1(blocks_of<BlockQ5_1>(w), blocks_of<BlockQ8_1>(a), nb);
    case QuantType::q4_k:
      return ref::vec_dot_q4_k_q8_k(blocks_of<BlockQ4K>(w), blocks_of<BlockQ8K>(a), nb);
    case QuantType::q5_k:
      return ref::vec_dot_q5_k_q8_k(blocks_of<BlockQ5K>(w), blocks_of<BlockQ8K>(a), nb);
    case QuantType::q6_k:
      return ref::vec_dot_q6_k_q8_k(blocks_of<BlockQ6K>(w), blocks_of<BlockQ8K>(a), nb);
    case QuantType::q8_1:
    case QuantType::q8_k:
      break;
  }
  return 0.0f;  // unreachable: rejected above
}

double vec_dot_f32(QuantType weight_type, const void* w, const float* x, std::int64_t n) {
  std::vector<float> values(static_cast<std::size_t>(n));
  dequantize_row(weight_type, w, values.data(), n);
  double sum = 0;
  for (std::int64_t i = 0; i < n; ++i) sum += double(values[i]) * double(x[i]);
  return sum;
}

}  // namespace r1::quant
