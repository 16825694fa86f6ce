// Device memory as the model sees it (ops/memory.h): cudaMalloc'd blocks and synchronous copies
// on the default stream, so every copy is ordered after the kernels queued before it.
#pragma once

#include "ops/memory.h"

namespace r1::ops::cuda {

class CudaMemory final : public Memory {
 public:
  bool host_visible() const override { return false; }
  /// Throws Error(limit_exceeded) with the numbers when the GPU is full (device_buffer.h).
  std::shared_ptr<std::uint8_t> allocate(std::size_t bytes) override;
  void copy(void* dst, const void* src, std::size_t bytes) override;
  void upload(void* dst, const void* host, std::size_t bytes) override;
  void download(void* host, const void* src, std::size_t bytes) override;
  void store_converted(const float* src, std::int64_t n, DType type, void* dst) override;
  /// cudaMemGetInfo of the current device.
  std::optional<DeviceMemoryInfo> device_memory() const override;
};

}  // namespace r1::ops::cuda
