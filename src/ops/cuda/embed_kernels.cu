// Embedding lookup: one block per token copies its table row, widened to fp32.
#include "ops/cuda/device_math.cuh"
#include "ops/cuda/kernels.h"
#include "ops/cuda/launch.h"
#include "r1/error.h"

namespace r1::ops::cuda {
namespace {

template <typename T>
__global__ void embed_kernel(const T* table, std::int64_t cols, const std::int32_t* ids,
                             float* out) {
  const T* row = table + static_cast<std::int64_t>(ids[blockIdx.x]) * cols;
  float* out_row = out + blockIdx.x * cols;
  for (std::int64_t i = threadIdx.x; i < cols; i += blockDim.x) out_row[i] = to_float(row[i]);
}

template <typename T>
void launch(const void* table, std::int64_t cols, const std::int32_t* ids, std::int64_t n,
            float* out, cudaStream_t stream) {
  embed_kernel<T>
      <<<static_cast<unsigned>(n), 256, 0, stream>>>(static_cast<const T*>(table), cols, ids, out);
  check_launch("embed_kernel");
}

}  // namespace

void embed(DType type, const void* table, std::int64_t cols, const std::int32_t* ids,
           std::int64_t n, float* out, cudaStream_t stream) {
  if (n == 0) return;
  switch (type) {
    case DType::f32:
      return launch<float>(table, cols, ids, n, out, stream);
    case DType::f16:
      return launch<__half>(table, cols, ids, n, out, stream);
    case DType::bf16:
      return launch<__nv_bfloat16>(table, cols, ids, n, out, stream);
    case DType::q8_0:
      return embed_q8_0(table, cols, ids, n, out, stream);
    default:
      throw Error(ErrorCode::unsupported, std::string("the CUDA embedding lookup reads f32, f16, "
                                                      "bf16 and q8_0 tables, not ") +
                                              dtype_cli_name(type));
  }
}

}  // namespace r1::ops::cuda
