// One GGUF file (versions 2 and 3, little-endian): strictly checked metadata and tensor infos over
// the memory-mapped tensor data.
//
// Layout: magic "GGUF", u32 version, u64 tensor count, u64 metadata count, the key-value pairs
// (u64-length key, u32 value type, value), the tensor infos (u64-length name, u32 n_dims, n_dims ×
// u64 ne[], u32 ggml type, u64 offset), padding to the alignment (general.alignment, default 32),
// then the data section; tensor offsets are relative to its start.
//
// Shapes: GGUF lists dimensions fastest-varying first (ne[0] is the row length). r1 and safetensors
// list them slowest first, so GgufTensorView::shape is ne[] reversed, flipped here once: a linear
// layer's weight is [out, in] in r1, ne = [in, out] in the file.
//
// Every count and length is checked against the bytes that remain before anything is allocated;
// sizes are computed overflow-checked; every tensor must lie inside the file, aligned, without
// overlapping another (the bug classes of CVE-2024-21802, -21825, -21836, -23496, -23605).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "io/gguf_metadata.h"
#include "io/gguf_types.h"
#include "io/gguf_value.h"
#include "io/mapped_file.h"

namespace r1::io {

/// Default data alignment when general.alignment is absent.
inline constexpr std::uint32_t kGgufDefaultAlignment = 32;
/// Longest tensor name: ggml keeps names in char[64] with a terminating NUL, so llama.cpp rejects
/// names of 64 bytes or more.
inline constexpr std::size_t kGgufMaxTensorName = 63;
/// Most dimensions a tensor may have (ggml's GGML_MAX_DIMS).
inline constexpr std::uint32_t kGgufMaxDims = 4;

/// One tensor: its description and its bytes in the mapping (no copy). `data` is aligned to the
/// file's alignment relative to the start of the file, not necessarily in memory beyond that.
struct GgufTensorView {
  std::string name;
  GgmlType type = GgmlType::f32;
  /// r1 order: GGUF's ne[] reversed ([out, in] for a linear weight); 1 to 4 dimensions, each >= 1.
  std::vector<std::int64_t> shape;
  std::uint64_t element_count = 0;
  /// Offset of the bytes from the start of the data section, as the file states it.
  std::uint64_t offset = 0;
  const std::byte* data = nullptr;
  std::size_t nbytes = 0;

  /// GGUF's own dimension order (ne[0] = row length = shape.back()).
  std::vector<std::uint64_t> ne() const { return {shape.rbegin(), shape.rend()}; }
};

/// A parsed GGUF file. Move-only; views and string_views stay valid as long as the object (and,
/// for parse(), the caller's bytes) live.
class GgufFile {
 public:
  /// Memory-maps and parses the file. Throws Error(not_found/io_error) from the system,
  /// Error(invalid_file) for a malformed file, Error(unsupported) for a well-formed file r1 cannot
  /// read (version 1 or newer than 3, big-endian, unknown ggml type), Error(limit_exceeded) past
  /// r1's nesting limits. Messages name the file, the byte offset, the key or tensor, the numbers.
  static GgufFile open(const std::filesystem::path& path);

  /// Parses bytes that are a whole GGUF file (same checks as open()). The result points into
  /// `bytes` and does not own them. `origin` names the bytes in error messages.
  static GgufFile parse(std::span<const std::byte> bytes, const std::string& origin);

  GgufFile(GgufFile&&) = default;
  GgufFile& operator=(GgufFile&&) = default;

  /// 2 or 3.
  std::uint32_t version() const { return version_; }
  /// general.alignment, or 32.
  std::uint32_t alignment() const { return alignment_; }
  /// Byte offset of the data section in the file.
  std::uint64_t data_offset() const { return data_offset_; }
  const GgufMetadata& metadata() const { return metadata_; }
  /// general.architecture ("qwen2", "llama"); Error(not_found/invalid_file) as get_string.
  std::string_view architecture() const { return metadata_.get_string("general.architecture"); }

  /// Tensors in file order (the order of the tensor infos).
  const std::vector<GgufTensorView>& tensors() const { return tensors_; }
  /// The tensor with this name, or nullptr.
  const GgufTensorView* find(std::string_view name) const;
  /// The tensor with this name; Error(not_found) naming the file when absent.
  const GgufTensorView& at(std::string_view name) const;
  /// The file path or the origin given to parse().
  const std::string& origin() const { return origin_; }

 private:
  GgufFile() = default;

  std::string origin_;
  std::optional<MappedFile> mapping_;  // empty for parse(), which borrows the bytes.
  std::uint32_t version_ = 0;
  std::uint32_t alignment_ = kGgufDefaultAlignment;
  std::uint64_t data_offset_ = 0;
  GgufMetadata metadata_;
  std::vector<GgufTensorView> tensors_;
  std::unordered_map<std::string, std::size_t> index_by_name_;
};

}  // namespace r1::io
