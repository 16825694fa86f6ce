// Element-wise ops: the residual add, SwiGLU over the fused gate | up rows, and the fp32 -> cache
// type conversion of KV rows.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <type_traits>

#include "ops/cuda/kernels.h"
#include "ops/cuda/launch.h"
#include "r1/error.h"

namespace r1::ops::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void add_kernel(float* x, const float* y, std::int64_t n) {
  const std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
  if (i < n) x[i] += y[i];
}

// One thread per output element of [n, ff]; gate at row * 2ff + j, up at row * 2ff + ff + j.
__global__ void swiglu_kernel(const float* gate_up, std::int64_t n, std::int64_t ff, float* out) {
  const std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
  if (i >= n * ff) return;
  const std::int64_t t = i / ff;
  const std::int64_t j = i - t * ff;
  const float g = gate_up[t * 2 * ff + j];
  const float u = gate_up[t * 2 * ff + ff + j];
  out[i] = g / (1.0f + expf(-g)) * u;  // silu(g) * u, silu(x) = x * sigmoid(x)
}

template <typename T>
__device__ __forceinline__ T convert(float v) {
  if constexpr (sizeof(T) == 4) {
    return v;
  } else if constexpr (std::is_same_v<T, __half>) {
    return __float2half_rn(v);
  } else {
    return __float2bfloat16_rn(v);
  }
}

template <typename T>
__global__ void convert_kernel(const float* src, std::int64_t n, T* dst) {
  const std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
  if (i < n) dst[i] = convert<T>(src[i]);
}

// blockIdx.y picks the row.
template <typename T>
__global__ void convert_rows_kernel(const float* src, std::int64_t src_stride, std::int64_t n,
                                    void* const* dst_rows) {
  const std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  const std::int64_t r = blockIdx.y;
  static_cast<T*>(dst_rows[r])[i] = convert<T>(src[r * src_stride + i]);
}

template <typename T>
void launch_convert(const float* src, std::int64_t n, void* dst, cudaStream_t stream) {
  convert_kernel<T><<<blocks_for(n, kThreads), kThreads, 0, stream>>>(src, n, static_cast<T*>(dst));
  check_launch("convert_kernel");
}

template <typename T>
void launch_convert_rows(const float* src, std::int64_t src_stride, std::int64_t n,
                         void* const* dst_rows, std::int64_t n_rows, cudaStream_t stream) {
  const dim3 grid(blocks_for(n, kThreads), static_cast<unsigned>(n_rows));
  convert_rows_kernel<T><<<grid, kThreads, 0, stream>>>(src, src_stride, n, dst_rows);
  check_launch("convert_rows_kernel");
}

[[noreturn]] void unsupported_cache_type(DType type) {
  throw Error(ErrorCode::unsupported,
              std::string("a CUDA KV cache holds f32, f16 or bf16, not ") + dtype_cli_name(type));
}

}  // namespace

void convert_rows(const float* src, std::int64_t src_stride, std::int64_t n, DType type,
                  void* const* dst_rows, std::int64_t n_rows, cudaStream_t stream) {
  if (n == 0 || n_rows == 0) return;
  switch (type) {
    case DType::f32:
      return launch_convert_rows<float>(src, src_stride, n, dst_rows, n_rows, stream);
    case DType::f16:
      return launch_convert_rows<__half>(src, src_stride, n, dst_rows, n_rows, stream);
    case DType::bf16:
      return launch_convert_rows<__nv_bfloat16>(src, src_stride, n, dst_rows, n_rows, stream);
    default:
      unsupported_cache_type(type);
  }
}

void convert_floats(const float* src, std::int64_t n, DType type, void* dst, cudaStream_t stream) {
  if (n == 0) return;
  switch (type) {
    case DType::f32:
      return launch_convert<float>(src, n, dst, stream);
    case DType::f16:
      return launch_convert<__half>(src, n, dst, stream);
    case DType::bf16:
      return launch_convert<__nv_bfloat16>(src, n, dst, stream);
    default:
      unsupported_cache_type(type);
  }
}

void add(float* x, const float* y, std::int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  add_kernel<<<blocks_for(n, kThreads), kThreads, 0, stream>>>(x, y, n);
  check_launch("add_kernel");
}

void swiglu(const float* gate_up, std::int64_t n, std::int64_t ff, float* out,
            cudaStream_t stream) {
  if (n * ff == 0) return;
  swiglu_kernel<<<blocks_for(n * ff, kThreads), kThreads, 0, stream>>>(gate_up, n, ff, out);
  check_launch("swiglu_kernel");
}

}  // namespace r1::ops::cuda
