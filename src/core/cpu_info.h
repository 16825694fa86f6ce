// What the processor this process runs on offers: physical cores (for the --threads default) and
// the SIMD / matrix-unit features the kernels dispatch on. Read at run time, never assumed from
// the build machine.
#pragma once

#include <string>

namespace r1 {

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512vnni = false;
  bool avx512bf16 = false;
  bool amx_tile = false;
  bool amx_bf16 = false;
  bool amx_int8 = false;

  /// AVX2 + FMA + F16C: the 256-bit kernels.
  bool has_avx2_set() const { return avx2 && fma && f16c; }
  /// AVX-512 F/BW/VL: the 512-bit kernels.
  bool has_avx512_set() const { return avx512f && avx512bw && avx512vl; }
  /// "avx512f avx512bw ..." for logs.
  std::string describe() const;
};

/// Features of this processor (CPUID, and for AMX whether the OS enabled the tile state).
const CpuFeatures& cpu_features();

/// Physical cores this process may run on (hyper-threads of one core counted once); at least 1.
int physical_core_count();

}  // namespace r1
