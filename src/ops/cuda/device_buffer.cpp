#include "ops/cuda/device_buffer.h"

#include <cuda_runtime_api.h>

#include <string>

#include "ops/cuda/cuda_device.h"
#include "r1/error.h"

namespace r1::ops::cuda {

DeviceBytes::DeviceBytes(std::size_t bytes) : bytes_(bytes) {
  if (bytes == 0) return;
  const cudaError_t status = cudaMalloc(&data_, bytes);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    std::size_t free_bytes = 0, total_bytes = 0;
    cudaMemGetInfo(&free_bytes, &total_bytes);
    constexpr double kMiB = 1024.0 * 1024.0;
    throw Error(ErrorCode::limit_exceeded,
                "GPU memory insufficient: " + std::to_string(static_cast<long>(bytes / kMiB)) +
                    " MiB asked for, " + std::to_string(static_cast<long>(free_bytes / kMiB)) +
                    " MiB free of " + std::to_string(static_cast<long>(total_bytes / kMiB)) +
                    " MiB; use a smaller context or a quantized model, or --device cpu");
  }
  check_cuda(status, "cudaMalloc");
}

DeviceBytes::~DeviceBytes() {
  if (data_ != nullptr) cudaFree(data_);
}

void DeviceBytes::upload(const void* host, std::size_t bytes) {
  if (bytes > bytes_) throw Error(ErrorCode::invalid_argument, "upload larger than the buffer");
  if (bytes > 0)
    check_cuda(cudaMemcpy(data_, host, bytes, cudaMemcpyHostToDevice), "cudaMemcpy to the GPU");
}

void DeviceBytes::download(void* host, std::size_t bytes) const {
  if (bytes > bytes_) throw Error(ErrorCode::invalid_argument, "download larger than the buffer");
  if (bytes > 0)
    check_cuda(cudaMemcpy(host, data_, bytes, cudaMemcpyDeviceToHost), "cudaMemcpy from the GPU");
}

}  // namespace r1::ops::cuda
