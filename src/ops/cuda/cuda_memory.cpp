#include "ops/cuda/cuda_memory.h"

#include <cuda_runtime_api.h>

#include "ops/cuda/cuda_device.h"
#include "ops/cuda/device_buffer.h"
#include "ops/cuda/kernels.h"

namespace r1::ops::cuda {

std::shared_ptr<std::uint8_t> CudaMemory::allocate(std::size_t bytes) {
  auto owner = std::make_shared<DeviceBytes>(bytes);
  return std::shared_ptr<std::uint8_t>(owner, static_cast<std::uint8_t*>(owner->data()));
}

std::optional<DeviceMemoryInfo> CudaMemory::device_memory() const {
  DeviceMemoryInfo info;
  check_cuda(cudaMemGetInfo(&info.free_bytes, &info.total_bytes), "cudaMemGetInfo");
  return info;
}

void CudaMemory::copy(void* dst, const void* src, std::size_t bytes) {
  if (bytes > 0)
    check_cuda(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice), "cudaMemcpy on the GPU");
}

void CudaMemory::upload(void* dst, const void* host, std::size_t bytes) {
  staging_.upload(dst, host, bytes, nullptr);
}

void CudaMemory::download(void* host, const void* src, std::size_t bytes) {
  if (bytes > 0)
    check_cuda(cudaMemcpy(host, src, bytes, cudaMemcpyDeviceToHost), "cudaMemcpy from the GPU");
}

void CudaMemory::store_converted(const float* src, std::int64_t n, DType type, void* dst) {
  convert_floats(src, n, type, dst, nullptr);
}

void CudaMemory::store_converted_rows(const float* src, std::int64_t src_stride, std::int64_t n,
                                      DType type, std::span<void* const> dst_rows) {
  if (dst_rows.empty() || n == 0) return;
  const std::size_t bytes = dst_rows.size_bytes();
  // Reused by every call: the copy into it is queued after the kernels that read it before.
  // (cudaFree of a smaller one waits for the device.)
  if (row_addresses_.size() < bytes) row_addresses_ = DeviceBytes(2 * bytes);
  staging_.upload(row_addresses_.data(), dst_rows.data(), bytes, nullptr);
  convert_rows(src, src_stride, n, type, static_cast<void* const*>(row_addresses_.data()),
               static_cast<std::int64_t>(dst_rows.size()), nullptr);
}

}  // namespace r1::ops::cuda
