// Host-to-device copies that return at once: the bytes are copied into a ring of pinned host
// memory first and cudaMemcpyAsync reads them from there when the stream gets to it, so the
// caller may change its buffer as soon as the call returns (the semantics of a synchronous
// cudaMemcpy) without the host waiting for the GPU. Small per-step data goes this way (token ids,
// positions, page tables, KV row addresses): dozens of synchronous copies per decode step would
// cost more than the step's kernels. When the ring is full it waits for the stream (everything
// it queued is then done) and starts over; copies too large for it are synchronous.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace r1::ops::cuda {

class StagedUploads {
 public:
  /// Bytes of pinned host memory (allocated on first use).
  explicit StagedUploads(std::size_t ring_bytes = std::size_t{16} << 20);
  ~StagedUploads();
  StagedUploads(const StagedUploads&) = delete;
  StagedUploads& operator=(const StagedUploads&) = delete;

  /// Queues a copy of `bytes` from `host` to `device_dst` on `stream`; returns once `host` may
  /// be reused.
  void upload(void* device_dst, const void* host, std::size_t bytes, cudaStream_t stream);

  /// Times the ring ran full and waited for the stream (for tests).
  std::int64_t waits() const { return waits_; }

 private:
  std::size_t ring_bytes_;
  std::uint8_t* ring_ = nullptr;
  std::size_t used_ = 0;
  std::int64_t waits_ = 0;
};

}  // namespace r1::ops::cuda
