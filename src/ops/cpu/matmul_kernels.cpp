#include "ops/cpu/matmul_kernels.h"

#include "core/cpu_info.h"
#include "r1/error.h"

namespace r1::ops::cpu {

const char* isa_name(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::scalar:
      return "scalar";
    case CpuIsa::avx2:
      return "avx2";
    case CpuIsa::avx512:
      return "avx512";
  }
  return "scalar";
}

bool isa_supported(CpuIsa isa) {
  const CpuFeatures& f = cpu_features();
  switch (isa) {
    case CpuIsa::scalar:
      return true;
    case CpuIsa::avx2:
      return f.has_avx2_set();
    case CpuIsa::avx512:
      return f.has_avx512_set() && f.has_avx2_set();
  }
  return false;
}

CpuIsa best_isa() {
  if (isa_supported(CpuIsa::avx512)) return CpuIsa::avx512;
  if (isa_supported(CpuIsa::avx2)) return CpuIsa::avx2;
  return CpuIsa::scalar;
}

DotRowsFn dot_rows_kernel(CpuIsa isa, DType type) {
  if (!isa_supported(isa)) {
    throw Error(ErrorCode::unsupported, std::string("this processor cannot run the ") +
                                            isa_name(isa) +
                                            " kernels (it has: " + cpu_features().describe() + ")");
  }
  switch (isa) {
    case CpuIsa::avx512:
      return dot_rows_avx512(type);
    case CpuIsa::avx2:
      return dot_rows_avx2(type);
    case CpuIsa::scalar:
      break;
  }
  return dot_rows_scalar(type);
}

}  // namespace r1::ops::cpu
