#include "io/safetensors.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

#include "r1/error.h"

namespace r1::io {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& origin, const std::string& what) {
  throw Error(ErrorCode::invalid_file,
              origin + ": " + what + " (the safetensors file is malformed; download it again)");
}

std::uint64_t read_u64_le(const std::byte* p) {
  std::uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | std::to_integer<std::uint64_t>(p[i]);
  return value;
}

// A JSON value that is a non-negative integer (floats like 2.0 are not accepted).
std::optional<std::uint64_t> as_unsigned(const json& value) {
  if (value.is_number_unsigned()) return value.get<std::uint64_t>();
  if (value.is_number_integer() && value.get<std::int64_t>() >= 0) {
    return static_cast<std::uint64_t>(value.get<std::int64_t>());
  }
  return std::nullopt;
}

// An entry's byte range within the data area, before it is checked against its neighbours.
struct Extent {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  std::size_t index = 0;
};

std::vector<std::int64_t> parse_shape(const std::string& origin, const std::string& name,
                                      const json& shape) {
  if (!shape.is_array()) {
    fail(origin,
         "tensor '" + name + "': \"shape\" must be an array of integers, got " + shape.dump());
  }
  std::vector<std::int64_t> dims;
  dims.reserve(shape.size());
  for (std::size_t i = 0; i < shape.size(); ++i) {
    const json& dim = shape[i];
    if (dim.is_number_integer() && !dim.is_number_unsigned() && dim.get<std::int64_t>() < 0) {
      fail(origin, "tensor '" + name + "': dimension " + std::to_string(i) + " is negative (" +
                       dim.dump() + ")");
    }
    const auto value = as_unsigned(dim);
    if (!value || *value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      fail(origin, "tensor '" + name + "': dimension " + std::to_string(i) +
                       " must be a non-negative integer, got " + dim.dump());
    }
    dims.push_back(static_cast<std::int64_t>(*value));
  }
  return dims;
}

// shape × element size, or nullopt if the product does not fit in 64 bits.
std::optional<std::uint64_t> checked_byte_count(const std::vector<std::int64_t>& shape,
                                                std::uint64_t element_size) {
  std::uint64_t total = element_size;
  for (std::int64_t dim : shape) {
    const auto d = static_cast<std::uint64_t>(dim);
    if (d != 0 && total > std::numeric_limits<std::uint64_t>::max() / d) {
      // A later zero dimension makes the true product 0, which is representable.
      if (std::find(shape.begin(), shape.end(), 0) != shape.end()) return 0;
      return std::nullopt;
    }
    total *= d;
  }
  return total;
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

void parse_metadata(const std::string& origin, const json& value,
                    std::map<std::string, std::string>& metadata) {
  if (!value.is_object()) {
    fail(origin, "\"__metadata__\" must be an object of strings, got " + value.dump());
  }
  for (const auto& [key, entry] : value.items()) {
    if (!entry.is_string()) {
      fail(origin, "\"__metadata__\" entry '" + key + "' must be a string, got " + entry.dump());
    }
    metadata.emplace(key, entry.get<std::string>());
  }
}

}  // namespace

SafetensorsFile SafetensorsFile::open(const std::filesystem::path& path) {
  MappedFile mapping = MappedFile::open(path);
  SafetensorsFile file = parse(mapping.bytes(), path.string());
  file.mapping_ = std::move(mapping);  // The views keep pointing at the same mapped bytes.
  return file;
}

SafetensorsFile SafetensorsFile::parse(std::span<const std::byte> bytes,
                                       const std::string& origin) {
  if (bytes.size() < 8) {
    fail(origin, "file is " + std::to_string(bytes.size()) +
                     " bytes, too short for the 8-byte header length");
  }
  const std::uint64_t header_size = read_u64_le(bytes.data());
  if (header_size > kMaxSafetensorsHeaderBytes) {
    fail(origin, "header length " + std::to_string(header_size) + " exceeds the limit of " +
                     std::to_string(kMaxSafetensorsHeaderBytes) + " bytes");
  }
  if (header_size > bytes.size() - 8) {
    fail(origin, "header length " + std::to_string(header_size) + " runs past the end of the " +
                     std::to_string(bytes.size()) + "-byte file (truncated?)");
  }
  const auto* header_begin = reinterpret_cast<const char*>(bytes.data() + 8);
  json header;
  // JSON keeps only the last of repeated keys; a repeated tensor name would silently hide one.
  std::string repeated_name;
  std::unordered_map<std::string, int> top_level_names;
  const json::parser_callback_t note_repeats = [&](int depth, json::parse_event_t event,
                                                   json& parsed) {
    if (event == json::parse_event_t::key && depth == 1 && parsed.is_string() &&
        !top_level_names.emplace(parsed.get<std::string>(), 0).second && repeated_name.empty()) {
      repeated_name = parsed.get<std::string>();
    }
    return true;
  };
  try {
    header = json::parse(header_begin, header_begin + header_size, note_repeats);
  } catch (const json::exception& error) {
    fail(origin, std::string("header is not valid JSON: ") + error.what());
  }
  if (!repeated_name.empty()) fail(origin, "tensor '" + repeated_name + "' is listed twice");
  if (!header.is_object()) {
    fail(origin, "header must be a JSON object, got " + std::string(header.type_name()));
  }

  SafetensorsFile file;
  file.origin_ = origin;
  const std::byte* data_area = bytes.data() + 8 + header_size;
  const std::uint64_t data_size = bytes.size() - 8 - header_size;
  std::vector<Extent> extents;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      parse_metadata(origin, entry, file.metadata_);
      continue;
    }
    if (!entry.is_object()) fail(origin, "tensor '" + name + "' must be an object");
    const auto dtype_field = entry.find("dtype");
    const auto shape_field = entry.find("shape");
    const auto offsets_field = entry.find("data_offsets");
    if (dtype_field == entry.end() || !dtype_field->is_string()) {
      fail(origin, "tensor '" + name + "' has no \"dtype\" string");
    }
    if (shape_field == entry.end()) fail(origin, "tensor '" + name + "' has no \"shape\"");
    if (offsets_field == entry.end()) fail(origin, "tensor '" + name + "' has no \"data_offsets\"");

    const std::string dtype_text = dtype_field->get<std::string>();
    const std::optional<DType> dtype = parse_dtype(dtype_text);
    if (!dtype) {
      const bool known = safetensors_dtype_size(dtype_text) != 0;
      throw Error(
          ErrorCode::unsupported,
          origin + ": tensor '" + name + "' has dtype " + dtype_text +
              (known ? ", which r1 does not compute with" : ", which is not a safetensors dtype") +
              "; supported: F32, F16, BF16 (convert the checkpoint)");
    }
    std::vector<std::int64_t> shape = parse_shape(origin, name, *shape_field);

    const json& offsets = *offsets_field;
    std::optional<std::uint64_t> begin;
    std::optional<std::uint64_t> end;
    if (offsets.is_array() && offsets.size() == 2) {
      begin = as_unsigned(offsets[0]);
      end = as_unsigned(offsets[1]);
    }
    if (!begin || !end) {
      fail(origin, "tensor '" + name +
                       "': \"data_offsets\" must be [begin, end] with non-negative integers, got " +
                       offsets.dump());
    }
    if (*begin > *end) {
      fail(origin, "tensor '" + name + "': data_offsets begin " + std::to_string(*begin) +
                       " is after end " + std::to_string(*end));
    }
    if (*end > data_size) {
      fail(origin, "tensor '" + name + "': data_offsets [" + std::to_string(*begin) + ", " +
                       std::to_string(*end) + "] run past the " + std::to_string(data_size) +
                       "-byte data area");
    }
    const std::optional<std::uint64_t> expected = checked_byte_count(shape, dtype_size(*dtype));
    if (!expected) {
      fail(origin, "tensor '" + name + "': shape " + shape_text(shape) + " of " + dtype_text +
                       " overflows a 64-bit byte count");
    }
    if (*expected != *end - *begin) {
      fail(origin, "tensor '" + name + "': shape " + shape_text(shape) + " of " + dtype_text +
                       " needs " + std::to_string(*expected) + " bytes but data_offsets [" +
                       std::to_string(*begin) + ", " + std::to_string(*end) + "] hold " +
                       std::to_string(*end - *begin));
    }
    extents.push_back({*begin, *end, file.tensors_.size()});
    file.tensors_.push_back(TensorView{name, *dtype, std::move(shape), data_area + *begin,
                                       static_cast<std::size_t>(*end - *begin)});
  }

  // Sorted by offset, a tensor overlaps another exactly when it starts before the furthest end seen
  // so far. Empty tensors occupy no bytes and cannot overlap anything.
  std::sort(extents.begin(), extents.end(), [](const Extent& a, const Extent& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  const Extent* furthest = nullptr;
  for (const Extent& extent : extents) {
    if (extent.begin == extent.end) continue;
    if (furthest != nullptr && extent.begin < furthest->end) {
      const TensorView& a = file.tensors_[furthest->index];
      const TensorView& b = file.tensors_[extent.index];
      fail(origin, "tensors '" + a.name + "' [" + std::to_string(furthest->begin) + ", " +
                       std::to_string(furthest->end) + "] and '" + b.name + "' [" +
                       std::to_string(extent.begin) + ", " + std::to_string(extent.end) +
                       "] overlap");
    }
    if (furthest == nullptr || extent.end > furthest->end) furthest = &extent;
  }

  // Keep file order (ascending offset), which is also the order a sequential reader wants.
  std::vector<TensorView> ordered;
  ordered.reserve(file.tensors_.size());
  for (const Extent& extent : extents) ordered.push_back(std::move(file.tensors_[extent.index]));
  file.tensors_ = std::move(ordered);
  for (std::size_t i = 0; i < file.tensors_.size(); ++i) {
    file.index_by_name_.emplace(file.tensors_[i].name, i);
  }
  return file;
}

const TensorView* SafetensorsFile::find(const std::string& name) const {
  const auto it = index_by_name_.find(name);
  return it == index_by_name_.end() ? nullptr : &tensors_[it->second];
}

const TensorView& SafetensorsFile::at(const std::string& name) const {
  const TensorView* view = find(name);
  if (view == nullptr) {
    throw Error(ErrorCode::not_found, origin_ + ": no tensor named '" + name + "'");
  }
  return *view;
}

}  // namespace r1::io
