// Device memory as the model sees it (ops/memory.h): cudaMalloc'd blocks; copies on the default
// stream, so every copy is ordered after the kernels queued before it. Uploads of small data
// return at once (staged through pinned memory, staged_uploads.h); downloads wait for the GPU.
#pragma once

#include "ops/cuda/device_buffer.h"
#include "ops/cuda/staged_uploads.h"
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
  /// One kernel for all rows; the row addresses go up through the staging ring.
  void store_converted_rows(const float* src, std::int64_t src_stride, std::int64_t n, DType type,
                            std::span<void* const> dst_rows) override;
  /// cudaMemGetInfo of the current device.
  std::optional<DeviceMemoryInfo> device_memory() const override;

 private:
  StagedUploads staging_;
  DeviceBytes row_addresses_;  // store_converted_rows' dst_rows on the device
};

}  // namespace r1::ops::cuda
