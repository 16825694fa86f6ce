// One safetensors file: a strictly checked header over memory-mapped tensor bytes.
// Format: u64 little-endian header length N, N bytes of JSON header, then the data area. The header
// maps tensor names to {dtype, shape, data_offsets: [begin, end]} (offsets relative to the data
// area) plus an optional "__metadata__" string map.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "io/dtype.h"
#include "io/mapped_file.h"

namespace r1::io {

/// One tensor's description and bytes. `data` points into the file's mapping (no copy); it is not
/// necessarily aligned to the element size, so read elements with memcpy or check alignment.
struct TensorView {
  std::string name;
  DType dtype = DType::f32;
  std::vector<std::int64_t> shape;
  const std::byte* data = nullptr;
  std::size_t nbytes = 0;

  /// Number of elements (product of the shape; 1 for a scalar).
  std::size_t element_count() const { return nbytes / dtype_size(dtype); }
};

/// Largest header accepted, as in the reference safetensors implementation (100 MB).
inline constexpr std::uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;

/// A parsed safetensors file. Move-only; the views stay valid as long as the object (and, for
/// parse(), the caller's bytes) live.
class SafetensorsFile {
 public:
  /// Memory-maps and parses the file. Throws Error(not_found/io_error) from the system,
  /// Error(invalid_file) for a malformed file and Error(unsupported) for a dtype r1 cannot use;
  /// every message names the file, the tensor and the numbers involved.
  static SafetensorsFile open(const std::filesystem::path& path);

  /// Parses bytes that are a whole safetensors file (same checks as open()). The result points into
  /// `bytes` and does not own them. `origin` names the bytes in error messages.
  static SafetensorsFile parse(std::span<const std::byte> bytes, const std::string& origin);

  /// Tensors in file order (ascending data offset).
  const std::vector<TensorView>& tensors() const { return tensors_; }
  /// The tensor with this name, or nullptr.
  const TensorView* find(const std::string& name) const;
  /// The tensor with this name; Error(not_found) naming the file when absent.
  const TensorView& at(const std::string& name) const;
  /// The "__metadata__" entries (empty when the header has none).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  /// The file path or the origin given to parse().
  const std::string& origin() const { return origin_; }

 private:
  std::string origin_;
  std::optional<MappedFile> mapping_;  // empty for parse(), which borrows the bytes.
  std::vector<TensorView> tensors_;
  std::unordered_map<std::string, std::size_t> index_by_name_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace r1::io
