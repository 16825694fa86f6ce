// The CPU backend: the ops on a persistent thread pool, with SIMD kernels picked at run time.
#pragma once

#include <memory>
#include <optional>

#include "ops/backend.h"
#include "ops/cpu/matmul_kernels.h"

namespace r1::ops {

struct CpuBackendOptions {
  int n_threads = 0;               // 0 = physical cores
  std::optional<cpu::CpuIsa> isa;  // unset = the best this processor runs
  /// Products of at least kMatrixUnitMinTokens tokens on the matrix units (AMX), with
  /// activations rounded to bf16: bf16 weights on oneDNN when the build has it, every other
  /// weight type but f32 (and bf16 without oneDNN) on our AMX kernel (cpu/amx_gemm.h). Without
  /// AMX (or with this off), f32 / f16 / bf16 weights and kFmaGemmMinTokens or more tokens run
  /// on the FMA prefill kernel (cpu/fma_gemm.h), activations in fp32; on AVX2-only processors
  /// the quantized weights too (dequantized into its panels).
  bool matrix_units = true;
};

/// Batches smaller than this stay on the FMA kernels (decode keeps fp32 activations).
inline constexpr std::int64_t kMatrixUnitMinTokens = 16;

/// 16-bit weights (and on AVX2-only processors quantized ones) go to the FMA prefill kernel
/// (rows along the lanes) from this many tokens; below it the decode kernels' tiles are as fast
/// (bench/bench_prefill_gemm.cpp --tokens N).
inline constexpr std::int64_t kFmaGemmMinTokens = 64;

/// Quantized weights go to the matrix units only from this many tokens: each call dequantizes
/// every weight panel to bf16, which costs about as much as ~40 tokens of the integer products,
/// so smaller batches (continuous-batching decode steps of many streams) stay on those.
inline constexpr std::int64_t kQuantizedMatrixUnitMinTokens = 64;

/// Throws Error(unsupported) when a forced `isa` cannot run here.
std::unique_ptr<Backend> make_cpu_backend(const CpuBackendOptions& options = {});

}  // namespace r1::ops
