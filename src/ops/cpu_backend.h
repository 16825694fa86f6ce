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
};

/// Throws Error(unsupported) when a forced `isa` cannot run here.
std::unique_ptr<Backend> make_cpu_backend(const CpuBackendOptions& options = {});

}  // namespace r1::ops
