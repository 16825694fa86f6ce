#include "io/gguf_writer.h"

#include <bit>
#include <fstream>
#include <limits>
#include <system_error>

#include "r1/error.h"

namespace r1::io {
namespace {

[[noreturn]] void bad_argument(const std::string& what) {
  throw Error(ErrorCode::invalid_argument, "GGUF writer: " + what);
}

template <typename T>
void append_le(std::string& out, T value) {
  using U = std::make_unsigned_t<
      std::conditional_t<std::is_floating_point_v<T>,
                         std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>, T>>;
  U bits;
  if constexpr (std::is_floating_point_v<T>) {
    bits = std::bit_cast<U>(value);
  } else {
    bits = static_cast<U>(value);
  }
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    out.push_back(static_cast<char>((bits >> (8 * i)) & 0xFF));
  }
}

std::uint64_t padded(std::uint64_t size, std::uint64_t alignment) {
  return (size + alignment - 1) / alignment * alignment;
}

}  // namespace

template <typename T>
void GgufWriter::put_scalar(T value) {
  append_le(metadata_, value);
}

void GgufWriter::put_string(std::string_view text) {
  append_le<std::uint64_t>(metadata_, text.size());
  metadata_.append(text);
}

void GgufWriter::begin_key(std::string_view key, GgufValueType type) {
  if (!keys_.emplace(key).second) {
    bad_argument("metadata key '" + std::string(key) + "' added twice");
  }
  if (key == "general.alignment" && type != GgufValueType::u32) {
    bad_argument("general.alignment must be u32, not " + std::string(gguf_value_type_name(type)));
  }
  put_string(key);
  put_scalar(static_cast<std::uint32_t>(type));
  ++kv_count_;
}

void GgufWriter::begin_array(std::string_view key, GgufValueType element_type,
                             std::uint64_t count) {
  begin_key(key, GgufValueType::array);
  put_scalar(static_cast<std::uint32_t>(element_type));
  put_scalar(count);
}

void GgufWriter::add_uint8(std::string_view key, std::uint8_t value) {
  begin_key(key, GgufValueType::u8);
  put_scalar(value);
}
void GgufWriter::add_int8(std::string_view key, std::int8_t value) {
  begin_key(key, GgufValueType::i8);
  put_scalar(value);
}
void GgufWriter::add_uint16(std::string_view key, std::uint16_t value) {
  begin_key(key, GgufValueType::u16);
  put_scalar(value);
}
void GgufWriter::add_int16(std::string_view key, std::int16_t value) {
  begin_key(key, GgufValueType::i16);
  put_scalar(value);
}
void GgufWriter::add_uint32(std::string_view key, std::uint32_t value) {
  if (key == "general.alignment") {
    if (!std::has_single_bit(value)) {
      bad_argument("general.alignment " + std::to_string(value) + " is not a nonzero power of two");
    }
    if (!tensors_.empty()) bad_argument("set general.alignment before adding tensors");
  }
  begin_key(key, GgufValueType::u32);
  put_scalar(value);
  if (key == "general.alignment") alignment_ = value;
}
void GgufWriter::add_int32(std::string_view key, std::int32_t value) {
  begin_key(key, GgufValueType::i32);
  put_scalar(value);
}
void GgufWriter::add_float32(std::string_view key, float value) {
  begin_key(key, GgufValueType::f32);
  put_scalar(value);
}
void GgufWriter::add_uint64(std::string_view key, std::uint64_t value) {
  begin_key(key, GgufValueType::u64);
  put_scalar(value);
}
void GgufWriter::add_int64(std::string_view key, std::int64_t value) {
  begin_key(key, GgufValueType::i64);
  put_scalar(value);
}
void GgufWriter::add_float64(std::string_view key, double value) {
  begin_key(key, GgufValueType::f64);
  put_scalar(value);
}
void GgufWriter::add_bool(std::string_view key, bool value) {
  begin_key(key, GgufValueType::boolean);
  put_scalar(static_cast<std::uint8_t>(value ? 1 : 0));
}
void GgufWriter::add_string(std::string_view key, std::string_view value) {
  begin_key(key, GgufValueType::string);
  put_string(value);
}

#define R1_GGUF_ARRAY(cpp_type, gguf_type)                                             \
  void GgufWriter::add_array(std::string_view key, std::span<const cpp_type> values) { \
    begin_array(key, gguf_type, values.size());                                        \
    for (cpp_type value : values) put_scalar(value);                                   \
  }
R1_GGUF_ARRAY(std::uint8_t, GgufValueType::u8)
R1_GGUF_ARRAY(std::int8_t, GgufValueType::i8)
R1_GGUF_ARRAY(std::uint16_t, GgufValueType::u16)
R1_GGUF_ARRAY(std::int16_t, GgufValueType::i16)
R1_GGUF_ARRAY(std::uint32_t, GgufValueType::u32)
R1_GGUF_ARRAY(std::int32_t, GgufValueType::i32)
R1_GGUF_ARRAY(float, GgufValueType::f32)
R1_GGUF_ARRAY(std::uint64_t, GgufValueType::u64)
R1_GGUF_ARRAY(std::int64_t, GgufValueType::i64)
R1_GGUF_ARRAY(double, GgufValueType::f64)
#undef R1_GGUF_ARRAY

void GgufWriter::add_bool_array(std::string_view key, const std::vector<bool>& values) {
  begin_array(key, GgufValueType::boolean, values.size());
  for (bool value : values) put_scalar(static_cast<std::uint8_t>(value ? 1 : 0));
}

void GgufWriter::add_string_array(std::string_view key, std::span<const std::string> values) {
  begin_array(key, GgufValueType::string, values.size());
  for (const std::string& value : values) put_string(value);
}

void GgufWriter::add_string_array(std::string_view key, std::span<const std::string_view> values) {
  begin_array(key, GgufValueType::string, values.size());
  for (std::string_view value : values) put_string(value);
}

std::uint64_t GgufWriter::tensor_bytes(GgmlType type, std::span<const std::int64_t> shape) {
  if (shape.empty() || shape.size() > 4) {
    bad_argument("a GGUF tensor has 1 to 4 dimensions, not " + std::to_string(shape.size()));
  }
  std::vector<std::uint64_t> ne;
  for (auto it = shape.rbegin(); it != shape.rend(); ++it) {
    if (*it < 1) bad_argument("tensor dimension " + std::to_string(*it) + " must be at least 1");
    ne.push_back(static_cast<std::uint64_t>(*it));
  }
  const std::optional<std::uint64_t> bytes = ggml_tensor_bytes(type, ne);
  const GgmlTypeInfo& info = ggml_type_info(type);
  if (!bytes) {
    bad_argument(std::string("a ") + info.name + " tensor's last dimension (" +
                 std::to_string(ne[0]) + ") must be a multiple of " +
                 std::to_string(info.block_size) + " and its size must fit in 64 bits");
  }
  return *bytes;
}

void GgufWriter::add_tensor_entry(Tensor tensor) {
  if (tensor.name.size() > 63) {
    bad_argument("tensor name '" + tensor.name + "' is " + std::to_string(tensor.name.size()) +
                 " bytes; ggml allows at most 63");
  }
  if (tensor_names_.count(tensor.name) != 0) {
    bad_argument("tensor '" + tensor.name + "' added twice");
  }
  tensor.nbytes = tensor_bytes(tensor.type, tensor.shape);
  tensor_names_.insert(tensor.name);
  tensors_.push_back(std::move(tensor));
}

void GgufWriter::add_tensor(std::string name, GgmlType type, std::vector<std::int64_t> shape,
                            std::span<const std::byte> bytes) {
  const std::uint64_t expected = tensor_bytes(type, shape);
  if (bytes.size() != expected) {
    bad_argument("tensor '" + name + "' of type " + ggml_type_name(type) + " needs " +
                 std::to_string(expected) + " bytes, " + std::to_string(bytes.size()) + " given");
  }
  add_tensor_entry({std::move(name), type, std::move(shape), 0, bytes, nullptr});
}

void GgufWriter::add_tensor(std::string name, GgmlType type, std::vector<std::int64_t> shape,
                            GgufTensorProducer produce) {
  if (!produce) bad_argument("tensor '" + name + "' has no producer");
  add_tensor_entry({std::move(name), type, std::move(shape), 0, {}, std::move(produce)});
}

void GgufWriter::write(const std::filesystem::path& path) const {
  std::string header;
  header.append("GGUF");
  append_le<std::uint32_t>(header, 3);
  append_le<std::uint64_t>(header, tensors_.size());
  append_le<std::uint64_t>(header, kv_count_);
  header += metadata_;
  std::uint64_t offset = 0;
  for (const Tensor& tensor : tensors_) {
    append_le<std::uint64_t>(header, tensor.name.size());
    header += tensor.name;
    append_le<std::uint32_t>(header, static_cast<std::uint32_t>(tensor.shape.size()));
    for (auto it = tensor.shape.rbegin(); it != tensor.shape.rend(); ++it) {
      append_le<std::uint64_t>(header, static_cast<std::uint64_t>(*it));  // ne[]: reversed
    }
    append_le<std::uint32_t>(header, static_cast<std::uint32_t>(tensor.type));
    append_le<std::uint64_t>(header, offset);
    offset += padded(tensor.nbytes, alignment_);
  }
  header.resize(padded(header.size(), alignment_), '\0');

  std::filesystem::path partial = path;
  partial += ".partial";
  std::ofstream out(partial, std::ios::binary | std::ios::trunc);
  if (!out) throw Error(ErrorCode::io_error, "cannot create " + partial.string());
  try {
    const auto check = [&](const char* what) {
      if (!out) {
        throw Error(ErrorCode::io_error,
                    std::string("cannot ") + what + " " + partial.string() + " (disk full?)");
      }
    };
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    check("write");
    static constexpr char kZeros[256] = {};
    for (const Tensor& tensor : tensors_) {
      std::uint64_t written = 0;
      const GgufByteSink sink = [&](std::span<const std::byte> chunk) {
        if (chunk.size() > tensor.nbytes - written) {
          bad_argument("the producer of tensor '" + tensor.name + "' wrote more than its " +
                       std::to_string(tensor.nbytes) + " bytes");
        }
        out.write(reinterpret_cast<const char*>(chunk.data()),
                  static_cast<std::streamsize>(chunk.size()));
        check("write");
        written += chunk.size();
      };
      if (tensor.produce) {
        tensor.produce(sink);
      } else {
        sink(tensor.bytes);
      }
      if (written != tensor.nbytes) {
        bad_argument("the producer of tensor '" + tensor.name + "' wrote " +
                     std::to_string(written) + " of its " + std::to_string(tensor.nbytes) +
                     " bytes");
      }
      for (std::uint64_t pad = padded(tensor.nbytes, alignment_) - tensor.nbytes; pad > 0;) {
        const std::uint64_t n = pad < sizeof(kZeros) ? pad : sizeof(kZeros);
        out.write(kZeros, static_cast<std::streamsize>(n));
        pad -= n;
      }
      check("write");
    }
    out.close();
    check("close");
    std::filesystem::rename(partial, path);
  } catch (const std::filesystem::filesystem_error& error) {
    std::error_code ignored;
    std::filesystem::remove(partial, ignored);
    throw Error(ErrorCode::io_error, "cannot rename " + partial.string() + " to " + path.string() +
                                         ": " + error.code().message());
  } catch (...) {
    // Never leave a half-written file behind, whatever failed (including a caller's producer).
    out.close();
    std::error_code ignored;
    std::filesystem::remove(partial, ignored);
    throw;
  }
}

}  // namespace r1::io
