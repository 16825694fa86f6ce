#include "ops/cuda/staged_uploads.h"

#include <cstring>

#include "ops/cuda/cuda_device.h"

namespace r1::ops::cuda {

namespace {
constexpr std::size_t kAlignment = 256;
}

StagedUploads::StagedUploads(std::size_t ring_bytes) : ring_bytes_(ring_bytes) {}

StagedUploads::~StagedUploads() {
  if (ring_ == nullptr) return;
  cudaDeviceSynchronize();  // queued copies may still read the ring
  cudaFreeHost(ring_);
}

void StagedUploads::upload(void* device_dst, const void* host, std::size_t bytes,
                           cudaStream_t stream) {
  if (bytes == 0) return;
  if (bytes > ring_bytes_ / 4) {  // large: not worth the staging copy
    check_cuda(cudaMemcpy(device_dst, host, bytes, cudaMemcpyHostToDevice),
               "cudaMemcpy to the GPU");
    return;
  }
  if (ring_ == nullptr) {
    void* pinned = nullptr;
    check_cuda(cudaHostAlloc(&pinned, ring_bytes_, cudaHostAllocDefault),
               "cudaHostAlloc of the upload staging ring");
    ring_ = static_cast<std::uint8_t*>(pinned);
  }
  if (used_ + bytes > ring_bytes_) {
    // Every copy queued from the ring so far must have read it before it is overwritten.
    check_cuda(cudaStreamSynchronize(stream), "cudaStreamSynchronize (upload staging ring full)");
    used_ = 0;
    ++waits_;
  }
  std::uint8_t* staged = ring_ + used_;
  std::memcpy(staged, host, bytes);
  check_cuda(cudaMemcpyAsync(device_dst, staged, bytes, cudaMemcpyHostToDevice, stream),
             "cudaMemcpyAsync to the GPU");
  used_ += (bytes + kAlignment - 1) / kAlignment * kAlignment;
}

}  // namespace r1::ops::cuda
