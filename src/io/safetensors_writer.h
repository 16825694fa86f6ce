// Writes safetensors files tensor by tensor, so a multi-gigabyte checkpoint never has to sit in
// memory: the header (names, dtypes, shapes, offsets) is written first, then each tensor's bytes
// in order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include "io/dtype.h"

namespace r1::io {

struct TensorSpec {
  std::string name;
  DType dtype = DType::f32;
  std::vector<std::int64_t> shape;
};

class SafetensorsWriter {
 public:
  /// Creates `path` and writes the header for `tensors`, whose data must then be appended in the
  /// same order. Throws Error(io_error) naming the path when it cannot be written.
  SafetensorsWriter(const std::filesystem::path& path, std::vector<TensorSpec> tensors);

  /// Appends bytes of the current tensor (a tensor may be written in several chunks).
  void append(std::span<const std::byte> bytes);

  /// Checks that every tensor got exactly its bytes and closes the file.
  void finish();

  /// Bytes a tensor of this spec holds.
  static std::size_t tensor_bytes(const TensorSpec& spec);

 private:
  std::filesystem::path path_;
  std::vector<TensorSpec> tensors_;
  std::ofstream out_;
  std::uint64_t data_written_ = 0;
  std::uint64_t data_total_ = 0;
};

}  // namespace r1::io
