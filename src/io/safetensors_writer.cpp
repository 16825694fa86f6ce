#include "io/safetensors_writer.h"

#include <nlohmann/json.hpp>

#include "r1/error.h"

namespace r1::io {

std::size_t SafetensorsWriter::tensor_bytes(const TensorSpec& spec) {
  std::size_t count = 1;
  for (std::int64_t dim : spec.shape) count *= static_cast<std::size_t>(dim);
  return count * dtype_size(spec.dtype);
}

SafetensorsWriter::SafetensorsWriter(const std::filesystem::path& path,
                                     std::vector<TensorSpec> tensors)
    : path_(path), tensors_(std::move(tensors)) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  header["__metadata__"] = {{"format", "pt"}};
  for (const TensorSpec& spec : tensors_) {
    const std::uint64_t bytes = tensor_bytes(spec);
    header[spec.name] = {{"dtype", dtype_name(spec.dtype)},
                         {"shape", spec.shape},
                         {"data_offsets", {data_total_, data_total_ + bytes}}};
    data_total_ += bytes;
  }
  std::string text = header.dump();
  // The reference implementation pads the header with spaces to a multiple of 8 bytes so the data
  // area starts aligned.
  text.append((8 - text.size() % 8) % 8, ' ');
  out_.open(path_, std::ios::binary | std::ios::trunc);
  if (!out_) throw Error(ErrorCode::io_error, "cannot create " + path_.string());
  const std::uint64_t length = text.size();
  unsigned char prefix[8];
  for (int i = 0; i < 8; ++i) prefix[i] = static_cast<unsigned char>(length >> (8 * i));
  out_.write(reinterpret_cast<const char*>(prefix), 8);
  out_.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!out_) throw Error(ErrorCode::io_error, "cannot write " + path_.string());
}

void SafetensorsWriter::append(std::span<const std::byte> bytes) {
  if (data_written_ + bytes.size() > data_total_) {
    throw Error(ErrorCode::invalid_argument,
                "more tensor data than the header of " + path_.string() + " declares");
  }
  out_.write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  if (!out_) throw Error(ErrorCode::io_error, "cannot write " + path_.string() + " (disk full?)");
  data_written_ += bytes.size();
}

void SafetensorsWriter::finish() {
  if (data_written_ != data_total_) {
    throw Error(ErrorCode::invalid_argument, path_.string() + ": " + std::to_string(data_written_) +
                                                 " bytes of tensor data written, " +
                                                 std::to_string(data_total_) + " declared");
  }
  out_.close();
  if (!out_) throw Error(ErrorCode::io_error, "cannot close " + path_.string());
}

}  // namespace r1::io
