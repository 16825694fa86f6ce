// Writes GGUF version 3 files the way llama.cpp and gguf-py lay them out: header, metadata, tensor
// infos, padding to the alignment, then each tensor's bytes padded to the alignment, at offsets
// that are the running sum of the padded sizes (llama.cpp requires exactly that). Metadata is
// encoded as it is added (it is small); tensor data is streamed to disk one tensor at a time from
// caller-provided bytes or a producer callback, so a multi-gigabyte model never sits in memory.
//
// Shapes are given in r1 order ([out, in]) and written as GGUF ne[] (reversed), like GgufFile reads
// them back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "io/gguf_types.h"
#include "io/gguf_value.h"

namespace r1::io {

/// Receives a tensor's bytes in one or more chunks.
using GgufByteSink = std::function<void(std::span<const std::byte>)>;
/// Produces a tensor's bytes when the writer reaches it, by calling the sink (any number of times,
/// exactly the tensor's byte size in total).
using GgufTensorProducer = std::function<void(const GgufByteSink&)>;

class GgufWriter {
 public:
  // Metadata, written in the order added. Keys must be unique (Error(invalid_argument) otherwise).
  void add_uint8(std::string_view key, std::uint8_t value);
  void add_int8(std::string_view key, std::int8_t value);
  void add_uint16(std::string_view key, std::uint16_t value);
  void add_int16(std::string_view key, std::int16_t value);
  /// "general.alignment" added here also sets the data alignment (nonzero power of two).
  void add_uint32(std::string_view key, std::uint32_t value);
  void add_int32(std::string_view key, std::int32_t value);
  void add_float32(std::string_view key, float value);
  void add_uint64(std::string_view key, std::uint64_t value);
  void add_int64(std::string_view key, std::int64_t value);
  void add_float64(std::string_view key, double value);
  void add_bool(std::string_view key, bool value);
  void add_string(std::string_view key, std::string_view value);

  /// Arrays of scalars (the element type follows from the C++ type) and of strings.
  void add_array(std::string_view key, std::span<const std::uint8_t> values);
  void add_array(std::string_view key, std::span<const std::int8_t> values);
  void add_array(std::string_view key, std::span<const std::uint16_t> values);
  void add_array(std::string_view key, std::span<const std::int16_t> values);
  void add_array(std::string_view key, std::span<const std::uint32_t> values);
  void add_array(std::string_view key, std::span<const std::int32_t> values);
  void add_array(std::string_view key, std::span<const float> values);
  void add_array(std::string_view key, std::span<const std::uint64_t> values);
  void add_array(std::string_view key, std::span<const std::int64_t> values);
  void add_array(std::string_view key, std::span<const double> values);
  void add_bool_array(std::string_view key, const std::vector<bool>& values);
  void add_string_array(std::string_view key, std::span<const std::string> values);
  void add_string_array(std::string_view key, std::span<const std::string_view> values);

  /// Adds general.alignment (u32) at this point of the metadata and pads to it.
  void set_alignment(std::uint32_t alignment) { add_uint32("general.alignment", alignment); }

  /// Declares a tensor whose bytes are `bytes`, which must stay alive until write(). Checks the
  /// name (unique, at most 63 bytes), the shape (1 to 4 dimensions, each >= 1, the last a multiple
  /// of the type's block size) and that `bytes` has exactly the size the type and shape need;
  /// Error(invalid_argument) otherwise.
  void add_tensor(std::string name, GgmlType type, std::vector<std::int64_t> shape,
                  std::span<const std::byte> bytes);
  /// Declares a tensor whose bytes `produce` writes during write() (same checks on name and shape).
  void add_tensor(std::string name, GgmlType type, std::vector<std::int64_t> shape,
                  GgufTensorProducer produce);

  /// Bytes a tensor of this type and r1-order shape takes (Error(invalid_argument) as add_tensor).
  static std::uint64_t tensor_bytes(GgmlType type, std::span<const std::int64_t> shape);

  /// Writes the file: to `path` + ".partial", renamed to `path` when complete (removed on failure).
  /// Throws Error(io_error) naming the path when the system refuses, Error(invalid_argument) when a
  /// producer writes more or fewer bytes than its tensor needs.
  void write(const std::filesystem::path& path) const;

 private:
  struct Tensor {
    std::string name;
    GgmlType type;
    std::vector<std::int64_t> shape;
    std::uint64_t nbytes;
    std::span<const std::byte> bytes;
    GgufTensorProducer produce;
  };

  void begin_key(std::string_view key, GgufValueType type);
  void begin_array(std::string_view key, GgufValueType element_type, std::uint64_t count);
  template <typename T>
  void put_scalar(T value);
  void put_string(std::string_view text);
  void add_tensor_entry(Tensor tensor);

  std::string metadata_;  // encoded key-value pairs
  std::uint64_t kv_count_ = 0;
  std::unordered_set<std::string> keys_;
  std::uint32_t alignment_ = 32;
  std::vector<Tensor> tensors_;
  std::unordered_set<std::string> tensor_names_;
};

}  // namespace r1::io
