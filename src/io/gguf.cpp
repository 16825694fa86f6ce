#include "io/gguf.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <utility>

#include "io/gguf_cursor.h"
#include "r1/error.h"

namespace r1::io {
namespace {

// Values and tensor bytes are read in place as little-endian data.
static_assert(std::endian::native == std::endian::little,
              "the GGUF reader needs a little-endian host");

// Smallest encodings, used to check counts against the remaining bytes before reserving: a pair is
// an 8-byte key length, a 4-byte type and at least a 1-byte value; a tensor info is an 8-byte name
// length, 4-byte n_dims, one 8-byte dimension, 4-byte type and 8-byte offset.
constexpr std::uint64_t kMinKeyValueBytes = 8 + 4 + 1;
constexpr std::uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;

std::string shape_text(std::span<const std::uint64_t> ne) {
  std::string text = "[";
  for (std::size_t i = 0; i < ne.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(ne[i]);
  }
  return text + "]";
}

std::uint32_t read_version(GgufCursor& cursor) {
  const std::uint32_t version = cursor.u32("the version");
  const std::string& origin = cursor.origin();
  if (version == 2 || version == 3) return version;
  if (version != 0 && (version & 0xFFFFu) == 0) {
    // The version is a small number; its bytes reversed leave the low half zero.
    const std::uint32_t swapped = (version >> 24) | ((version >> 8) & 0xFF00u) |
                                  ((version << 8) & 0xFF0000u) | (version << 24);
    throw Error(ErrorCode::unsupported,
                origin + ": this is a big-endian GGUF file (version field reads " +
                    std::to_string(version) + ", version " + std::to_string(swapped) +
                    " byte-swapped); r1 reads little-endian GGUF files only, use the little-endian "
                    "conversion of the model");
  }
  if (version == 1) {
    throw Error(ErrorCode::unsupported,
                origin +
                    ": GGUF version 1 is not supported (it used 32-bit counts and was "
                    "dropped by llama.cpp too); r1 reads versions 2 and 3, convert the model "
                    "again with a current llama.cpp");
  }
  throw Error(ErrorCode::unsupported,
              origin + ": GGUF version " + std::to_string(version) +
                  " is not supported; r1 reads versions 2 and 3" +
                  (version > 3 ? " (the file may come from a newer llama.cpp)" : ""));
}

std::vector<GgufKeyValue> read_metadata(GgufCursor& cursor, std::uint64_t count) {
  std::vector<GgufKeyValue> entries;
  entries.reserve(static_cast<std::size_t>(count));  // checked against the file size already
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::uint64_t at = cursor.offset();
    const std::string_view key = cursor.string("the key of metadata pair " + std::to_string(i));
    const std::string where = "metadata key " + gguf_quote(key);
    const std::uint64_t type_at = cursor.offset();
    const GgufValueType type =
        gguf_value_type_from_id(cursor, type_at, cursor.u32("the value type of " + where), where);
    GgufValue value = cursor.value(type, where, 0);
    entries.push_back({key, std::move(value), at});
  }
  return entries;
}

std::uint32_t read_alignment(const GgufCursor& cursor, const GgufMetadata& metadata) {
  const GgufValue* value = metadata.find("general.alignment");
  if (value == nullptr) return kGgufDefaultAlignment;
  if (value->type() != GgufValueType::u32) {
    cursor.fail(value->offset(), "general.alignment is " + value->type_text() +
                                     ", must be u32 (as llama.cpp and gguf-py require)");
  }
  const auto alignment = static_cast<std::uint32_t>(*value->to_uint());
  if (!std::has_single_bit(alignment)) {
    cursor.fail(value->offset(), "general.alignment is " + std::to_string(alignment) +
                                     ", must be a nonzero power of two");
  }
  return alignment;
}

// A tensor info before its bytes are located: what the file says.
struct TensorInfo {
  std::uint64_t at = 0;  // byte offset of the info
  std::string name;
  std::vector<std::uint64_t> ne;
  GgmlType type = GgmlType::f32;
  std::uint64_t element_count = 0;
  std::uint64_t nbytes = 0;
  std::uint64_t offset = 0;
};

TensorInfo read_tensor_info(GgufCursor& cursor, std::uint64_t index) {
  TensorInfo info;
  info.at = cursor.offset();
  const std::string_view name = cursor.string("the name of tensor " + std::to_string(index));
  const std::string where = "tensor " + gguf_quote(name);
  if (name.size() > kGgufMaxTensorName) {
    cursor.fail(info.at, where + " has a " + std::to_string(name.size()) +
                             "-byte name; ggml allows at most " +
                             std::to_string(kGgufMaxTensorName) + " bytes");
  }
  info.name = std::string(name);
  const std::uint64_t dims_at = cursor.offset();
  const std::uint32_t n_dims = cursor.u32("n_dims of " + where);
  if (n_dims < 1 || n_dims > kGgufMaxDims) {
    cursor.fail(dims_at, where + " has n_dims " + std::to_string(n_dims) +
                             "; GGUF tensors have 1 to " + std::to_string(kGgufMaxDims) +
                             " dimensions");
  }
  info.ne.resize(n_dims);
  constexpr auto kMaxElements =
      static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  info.element_count = 1;
  for (std::uint32_t d = 0; d < n_dims; ++d) {
    info.ne[d] = cursor.u64("ne[" + std::to_string(d) + "] of " + where);
    if (info.ne[d] == 0) {
      cursor.fail(dims_at, where + " has ne[" + std::to_string(d) +
                               "] = 0; every dimension must be at least 1");
    }
    // Overflow-safe product, kept within int64 so r1's signed shapes hold it.
    if (info.ne[d] > kMaxElements / info.element_count) {
      cursor.fail(dims_at,
                  where + " has dimensions ne = " + shape_text(std::span(info.ne).first(d + 1)) +
                      " whose element count overflows a 63-bit integer");
    }
    info.element_count *= info.ne[d];
  }
  const std::uint64_t type_at = cursor.offset();
  const std::uint32_t type_id = cursor.u32("the ggml type of " + where);
  info.type = ggml_type_from_id(
      type_id, cursor.origin() + ": byte " + std::to_string(type_at) + ": " + where);
  const GgmlTypeInfo& type = ggml_type_info(info.type);
  const std::optional<std::uint64_t> nbytes = ggml_tensor_bytes(info.type, info.ne);
  if (!nbytes) {
    if (info.ne[0] % type.block_size != 0) {
      cursor.fail(dims_at, where + " of type " + type.name + " has rows of ne[0] = " +
                               std::to_string(info.ne[0]) + " elements, not a multiple of the " +
                               std::to_string(type.block_size) + "-element block");
    }
    cursor.fail(dims_at, where + ": ne = " + shape_text(info.ne) + " of " + type.name +
                             " overflows a 64-bit byte count");
  }
  info.nbytes = *nbytes;
  info.offset = cursor.u64("the data offset of " + where);
  return info;
}

}  // namespace

GgufFile GgufFile::open(const std::filesystem::path& path) {
  MappedFile mapping = MappedFile::open(path);
  GgufFile file = parse(mapping.bytes(), path.string());
  file.mapping_ = std::move(mapping);  // The views keep pointing at the same mapped bytes.
  return file;
}

GgufFile GgufFile::parse(std::span<const std::byte> bytes, const std::string& origin) {
  GgufCursor cursor(bytes, origin);
  if (bytes.size() < 4 || std::memcmp(bytes.data(), "GGUF", 4) != 0) {
    std::string found;
    for (std::size_t i = 0; i < std::min<std::size_t>(bytes.size(), 4); ++i) {
      found.push_back(static_cast<char>(bytes[i]));
    }
    throw Error(
        ErrorCode::invalid_file,
        origin + ": not a GGUF file: it starts with " + gguf_quote(found) +
            " instead of the magic 'GGUF'" +
            (bytes.size() < 4 ? " (the file is " + std::to_string(bytes.size()) + " bytes)" : ""));
  }
  (void)cursor.take(4, "the magic");

  GgufFile file;
  file.origin_ = origin;
  file.version_ = read_version(cursor);
  const std::uint64_t counts_at = cursor.offset();
  const std::uint64_t tensor_count = cursor.u64("the tensor count");
  const std::uint64_t kv_count = cursor.u64("the metadata count");
  // Both counts drive allocations, so both are checked against the bytes that remain first.
  cursor.require(kv_count, kMinKeyValueBytes,
                 "the metadata count " + std::to_string(kv_count) + " (at byte " +
                     std::to_string(counts_at + 8) + ")");
  cursor.require(tensor_count, kMinTensorInfoBytes,
                 "the tensor count " + std::to_string(tensor_count) + " (at byte " +
                     std::to_string(counts_at) + ")");
  if (kv_count * kMinKeyValueBytes + tensor_count * kMinTensorInfoBytes > cursor.remaining()) {
    cursor.fail(counts_at, std::to_string(kv_count) + " metadata pairs and " +
                               std::to_string(tensor_count) + " tensor infos need more than the " +
                               std::to_string(cursor.remaining()) + " bytes that remain");
  }

  file.metadata_ = GgufMetadata(read_metadata(cursor, kv_count), origin);

  std::vector<TensorInfo> infos;
  infos.reserve(static_cast<std::size_t>(tensor_count));
  std::unordered_map<std::string_view, std::size_t> first_by_name;
  for (std::uint64_t i = 0; i < tensor_count; ++i) {
    infos.push_back(read_tensor_info(cursor, i));
  }
  for (std::size_t i = 0; i < infos.size(); ++i) {
    const auto [it, inserted] = first_by_name.emplace(infos[i].name, i);
    if (!inserted) {
      cursor.fail(infos[i].at, "tensor " + gguf_quote(infos[i].name) +
                                   " appears twice (first at byte " +
                                   std::to_string(infos[it->second].at) + ")");
    }
  }

  file.alignment_ = read_alignment(cursor, file.metadata_);
  const std::uint64_t header_end = cursor.offset();
  const std::uint64_t alignment = file.alignment_;
  file.data_offset_ = (header_end + alignment - 1) / alignment * alignment;
  const std::uint64_t data_size =
      file.data_offset_ < bytes.size() ? bytes.size() - file.data_offset_ : 0;

  struct Extent {
    std::uint64_t begin;
    std::uint64_t end;
    std::size_t index;
  };
  std::vector<Extent> extents;
  extents.reserve(infos.size());
  for (std::size_t i = 0; i < infos.size(); ++i) {
    const TensorInfo& info = infos[i];
    const std::string where = "tensor " + gguf_quote(info.name);
    if (info.offset % alignment != 0) {
      cursor.fail(info.at, where + " has data offset " + std::to_string(info.offset) +
                               ", not a multiple of the alignment " + std::to_string(alignment));
    }
    if (info.offset > data_size || info.nbytes > data_size - info.offset) {
      cursor.fail(info.at, where + " (" + std::to_string(info.nbytes) + " bytes at data offset " +
                               std::to_string(info.offset) + ") runs past the end of the " +
                               std::to_string(data_size) +
                               "-byte data section, which starts at byte " +
                               std::to_string(file.data_offset_) + " (truncated file?)");
    }
    extents.push_back({info.offset, info.offset + info.nbytes, i});
  }
  // Sorted by offset, a tensor overlaps another exactly when it starts before the furthest end seen
  // so far (every tensor has at least one byte).
  std::sort(extents.begin(), extents.end(), [](const Extent& a, const Extent& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  const Extent* furthest = nullptr;
  for (const Extent& extent : extents) {
    if (furthest != nullptr && extent.begin < furthest->end) {
      const TensorInfo& a = infos[furthest->index];
      const TensorInfo& b = infos[extent.index];
      cursor.fail(b.at, "tensors " + gguf_quote(a.name) + " [" + std::to_string(furthest->begin) +
                            ", " + std::to_string(furthest->end) + ") and " + gguf_quote(b.name) +
                            " [" + std::to_string(extent.begin) + ", " +
                            std::to_string(extent.end) + ") overlap in the data section");
    }
    if (furthest == nullptr || extent.end > furthest->end) furthest = &extent;
  }

  file.tensors_.reserve(infos.size());
  for (TensorInfo& info : infos) {
    GgufTensorView view;
    view.name = std::move(info.name);
    view.type = info.type;
    view.shape.assign(info.ne.rbegin(), info.ne.rend());  // r1 order: [out, in]
    view.element_count = info.element_count;
    view.offset = info.offset;
    view.data = bytes.data() + file.data_offset_ + info.offset;
    view.nbytes = static_cast<std::size_t>(info.nbytes);
    file.tensors_.push_back(std::move(view));
  }
  for (std::size_t i = 0; i < file.tensors_.size(); ++i) {
    file.index_by_name_.emplace(file.tensors_[i].name, i);
  }
  return file;
}

const GgufTensorView* GgufFile::find(std::string_view name) const {
  const auto it = index_by_name_.find(std::string(name));
  return it == index_by_name_.end() ? nullptr : &tensors_[it->second];
}

const GgufTensorView& GgufFile::at(std::string_view name) const {
  const GgufTensorView* view = find(name);
  if (view == nullptr) {
    throw Error(ErrorCode::not_found, origin_ + ": no tensor named " + gguf_quote(name));
  }
  return *view;
}

}  // namespace r1::io
