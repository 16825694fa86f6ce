// Device memory as the model uses it (ops/cuda/cuda_memory.h): the batched KV-row store against
// host memory's, and uploads that return before the GPU has copied anything yet still deliver
// what the host buffer held at the call. Skipped, with the probe's reason, without a GPU.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "ops/cuda/cuda_device.h"
#include "ops/cuda/cuda_memory.h"
#include "ops/cuda/staged_uploads.h"
#include "ops/memory.h"

namespace r1::ops::cuda {
namespace {

class CudaMemoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const DeviceProbe& probe = probe_devices();
    if (!probe.usable()) GTEST_SKIP() << "no CUDA device to test on: " << probe.problem;
    select_device(0);
  }
};

// Rows to out-of-order places of one buffer, from every third row of a strided source: the
// bytes equal what host memory's store_converted_rows writes (round to nearest even there too).
TEST_F(CudaMemoryTest, StoreConvertedRowsWritesWhatHostMemoryWrites) {
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 3.0f);
  for (DType type : {DType::f32, DType::f16, DType::bf16}) {
    const std::int64_t n = 77, stride = 3 * n + 1, n_rows = 9;
    const std::size_t row_bytes = static_cast<std::size_t>(n) * dtype_size(type);
    std::vector<float> src(static_cast<std::size_t>(stride * n_rows));
    for (float& v : src) v = dist(rng);
    const std::vector<int> order = {4, 0, 8, 2, 6, 1, 7, 3, 5};  // row r goes to place order[r]

    std::vector<std::uint8_t> host_out(row_bytes * static_cast<std::size_t>(n_rows), 0);
    std::vector<void*> host_rows;
    for (int place : order) host_rows.push_back(host_out.data() + place * row_bytes);
    host_memory().store_converted_rows(src.data(), stride, n, type, host_rows);

    CudaMemory memory;
    auto device_src = memory.allocate(src.size() * sizeof(float));
    auto device_out = memory.allocate(host_out.size());
    memory.upload(device_src.get(), src.data(), src.size() * sizeof(float));
    std::vector<void*> device_rows;
    for (int place : order) device_rows.push_back(device_out.get() + place * row_bytes);
    memory.store_converted_rows(reinterpret_cast<const float*>(device_src.get()), stride, n, type,
                                device_rows);
    std::vector<std::uint8_t> got(host_out.size(), 1);
    memory.download(got.data(), device_out.get(), got.size());
    EXPECT_EQ(got, host_out) << dtype_cli_name(type);
  }
}

// A ring of 4 KiB takes 100 uploads of 300 bytes from one host buffer that changes after every
// call: it wraps (waiting for the stream) and every device chunk holds what the buffer held.
TEST_F(CudaMemoryTest, StagedUploadsDeliverWhatTheHostHeldAtTheCall) {
  StagedUploads staging(4096);
  const std::size_t chunk = 300, count = 100;
  void* device = nullptr;
  ASSERT_EQ(cudaMalloc(&device, chunk * count), cudaSuccess);
  std::vector<std::uint8_t> host(chunk);
  for (std::size_t c = 0; c < count; ++c) {
    std::memset(host.data(), static_cast<int>(c), chunk);
    staging.upload(static_cast<std::uint8_t*>(device) + c * chunk, host.data(), chunk, nullptr);
  }
  std::memset(host.data(), 0xEE, chunk);
  std::vector<std::uint8_t> got(chunk * count);
  ASSERT_EQ(cudaMemcpy(got.data(), device, got.size(), cudaMemcpyDeviceToHost), cudaSuccess);
  cudaFree(device);
  for (std::size_t c = 0; c < count; ++c)
    for (std::size_t i = 0; i < chunk; ++i)
      ASSERT_EQ(got[c * chunk + i], static_cast<std::uint8_t>(c)) << "chunk " << c << " byte " << i;
  EXPECT_GT(staging.waits(), 0) << "the ring should have wrapped";
}

}  // namespace
}  // namespace r1::ops::cuda
