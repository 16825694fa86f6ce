// Read-only memory mapping of a whole file, for weights that must never be copied to the heap.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>

namespace r1::io {

/// A file mapped read-only into memory; unmapped on destruction. Move-only. The bytes stay at the
/// same address for the object's lifetime (moves keep the mapping), so views into them stay valid.
class MappedFile {
 public:
  /// Maps the whole file. Throws Error(not_found) if it does not exist, Error(invalid_argument) for
  /// a folder, Error(io_error) when the system refuses to open or map it (message: path and errno).
  static MappedFile open(const std::filesystem::path& path);

  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  /// First byte of the file; nullptr for an empty file.
  const std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }
  std::span<const std::byte> bytes() const { return {data_, size_}; }
  const std::filesystem::path& path() const { return path_; }

 private:
  void release() noexcept;

  std::filesystem::path path_;
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace r1::io
