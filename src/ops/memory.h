// Where a backend's ops read and write: host memory for the CPU backends, device memory for a
// GPU backend. The model allocates its activations and KV cache here and moves data in and out
// only through these calls, so the same forward pass runs on either (ops/backend.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "core/dtype.h"

namespace r1::ops {

/// Free and total bytes of a device's memory, as its driver reports them.
struct DeviceMemoryInfo {
  std::size_t free_bytes = 0;
  std::size_t total_bytes = 0;
};

class Memory {
 public:
  virtual ~Memory() = default;

  /// Whether the host can read and write this memory directly (pointers into it are host
  /// pointers): callers then skip the copies below.
  virtual bool host_visible() const = 0;

  /// `bytes` of uninitialized memory, freed when the last owner lets go; pages untouched until
  /// first written where the memory allows it (host).
  virtual std::shared_ptr<std::uint8_t> allocate(std::size_t bytes) = 0;

  /// Copies within this memory, and in from / out to the host.
  virtual void copy(void* dst, const void* src, std::size_t bytes) = 0;
  virtual void upload(void* dst, const void* host, std::size_t bytes) = 0;
  virtual void download(void* host, const void* src, std::size_t bytes) = 0;

  /// dst[i] = src[i] for i < n, floats of this memory converted to `type` (f32, bf16 or f16,
  /// rounded to nearest even as PyTorch's .to()): a KV-cache row.
  virtual void store_converted(const float* src, std::int64_t n, DType type, void* dst) = 0;

  /// dst_rows[r][i] = src[r * src_stride + i] for every r and i < n, converted as by
  /// store_converted: the KV-cache rows of a batch of tokens in one call (one kernel on a GPU
  /// instead of one per row). dst_rows is a host array of pointers into this memory. By default
  /// one store_converted per row.
  virtual void store_converted_rows(const float* src, std::int64_t src_stride, std::int64_t n,
                                    DType type, std::span<void* const> dst_rows);

  /// The device's free and total memory now, for sizing pools from what is left (the KV cache
  /// on a GPU); nullopt for host memory, which the operating system pages.
  virtual std::optional<DeviceMemoryInfo> device_memory() const { return std::nullopt; }

  /// A float pointer into memory allocated here (n floats), for typed use of allocate().
  std::shared_ptr<float> allocate_floats(std::size_t n);
};

/// The process's host memory (plain allocations and memcpy).
Memory& host_memory();

}  // namespace r1::ops
