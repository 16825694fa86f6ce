// GPU memory owned by one object (cudaMalloc / cudaFree), with typed copies to and from the host.
#pragma once

#include <cstddef>
#include <span>
#include <utility>

namespace r1::ops::cuda {

class DeviceBytes {
 public:
  DeviceBytes() = default;
  /// cudaMalloc(bytes); throws Error(limit_exceeded) with the numbers when the device is full.
  explicit DeviceBytes(std::size_t bytes);
  ~DeviceBytes();
  DeviceBytes(DeviceBytes&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
  DeviceBytes& operator=(DeviceBytes&& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(bytes_, other.bytes_);
    return *this;
  }
  DeviceBytes(const DeviceBytes&) = delete;
  DeviceBytes& operator=(const DeviceBytes&) = delete;

  void* data() const { return data_; }
  std::size_t size() const { return bytes_; }

  /// Synchronous copies of `bytes` from / to the start of the buffer (at most size()).
  void upload(const void* host, std::size_t bytes);
  void download(void* host, std::size_t bytes) const;

 private:
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
};

/// A DeviceBytes of n elements of T.
template <typename T>
class DeviceArray {
 public:
  DeviceArray() = default;
  explicit DeviceArray(std::size_t n) : bytes_(n * sizeof(T)), n_(n) {}
  /// A copy of `host` on the device.
  explicit DeviceArray(std::span<const T> host) : DeviceArray(host.size()) { upload(host); }

  T* data() const { return static_cast<T*>(bytes_.data()); }
  std::size_t size() const { return n_; }
  void upload(std::span<const T> host) { bytes_.upload(host.data(), host.size_bytes()); }
  void download(std::span<T> host) const { bytes_.download(host.data(), host.size_bytes()); }

 private:
  DeviceBytes bytes_;
  std::size_t n_ = 0;
};

}  // namespace r1::ops::cuda
