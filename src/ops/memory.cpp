#include "ops/memory.h"

#include <cstring>

#include "core/half.h"

namespace r1::ops {
namespace {

class HostMemory final : public Memory {
 public:
  bool host_visible() const override { return true; }

  std::shared_ptr<std::uint8_t> allocate(std::size_t bytes) override {
    // Default-initialized: the kernel hands out pages only as they are first written.
    return std::shared_ptr<std::uint8_t>(new std::uint8_t[bytes],
                                         std::default_delete<std::uint8_t[]>());
  }

  void copy(void* dst, const void* src, std::size_t bytes) override {
    if (bytes > 0) std::memmove(dst, src, bytes);
  }
  void upload(void* dst, const void* host, std::size_t bytes) override { copy(dst, host, bytes); }
  void download(void* host, const void* src, std::size_t bytes) override { copy(host, src, bytes); }

  void store_converted(const float* src, std::int64_t n, DType type, void* dst) override {
    if (type == DType::f32) {
      copy(dst, src, static_cast<std::size_t>(n) * 4);
      return;
    }
    auto* half = static_cast<std::uint16_t*>(dst);
    for (std::int64_t i = 0; i < n; ++i)
      half[i] = type == DType::bf16 ? f32_to_bf16(src[i]) : f32_to_f16(src[i]);
  }
};

}  // namespace

void Memory::store_converted_rows(const float* src, std::int64_t src_stride, std::int64_t n,
                                  DType type, std::span<void* const> dst_rows) {
  for (std::size_t r = 0; r < dst_rows.size(); ++r)
    store_converted(src + static_cast<std::int64_t>(r) * src_stride, n, type, dst_rows[r]);
}

std::shared_ptr<float> Memory::allocate_floats(std::size_t n) {
  std::shared_ptr<std::uint8_t> bytes = allocate(n * sizeof(float));
  return std::shared_ptr<float>(bytes, reinterpret_cast<float*>(bytes.get()));
}

Memory& host_memory() {
  static HostMemory memory;
  return memory;
}

}  // namespace r1::ops
