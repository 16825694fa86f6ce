#include "core/file.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "r1/error.h"

namespace r1 {

std::string read_text_file(const std::filesystem::path& path, std::size_t max_bytes) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    throw Error(ErrorCode::not_found, "file not found: " + path.string());
  }
  if (std::filesystem::is_directory(path, ec)) {
    throw Error(ErrorCode::invalid_argument, path.string() + " is a directory, expected a file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(ErrorCode::io_error, "cannot open " + path.string() + ": " + std::strerror(errno));
  }
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) throw Error(ErrorCode::io_error, "cannot determine the size of " + path.string());
  if (static_cast<std::size_t>(size) > max_bytes) {
    throw Error(ErrorCode::limit_exceeded, path.string() + " is " + std::to_string(size) +
                                               " bytes, more than the limit of " +
                                               std::to_string(max_bytes));
  }
  in.seekg(0, std::ios::beg);
  std::string data(static_cast<std::size_t>(size), '\0');
  if (size > 0 && !in.read(data.data(), size)) {
    throw Error(ErrorCode::io_error, "cannot read " + path.string() + ": " + std::strerror(errno));
  }
  return data;
}

void write_text_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    throw Error(ErrorCode::io_error, "cannot write " + path.string() + ": " + std::strerror(errno));
  }
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) {
    throw Error(ErrorCode::io_error, "cannot write " + path.string() + ": " + std::strerror(errno));
  }
}

}  // namespace r1
