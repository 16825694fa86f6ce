#include "io/checkpoint_files.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "core/file.h"
#include "r1/error.h"

namespace r1::io {
namespace {

using nlohmann::json;

[[noreturn]] void fail_index(const std::filesystem::path& index_path, const std::string& what) {
  throw Error(ErrorCode::invalid_file,
              index_path.string() + ": " + what +
                  " (the checkpoint index is malformed; download it again)");
}

// Shard names are plain file names next to the index; anything else could reach outside the folder.
bool is_plain_file_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\\') == std::string::npos && name.find('\0') == std::string::npos;
}

// tensor name -> shard file name, from the index's "weight_map".
std::map<std::string, std::string> read_weight_map(const std::filesystem::path& index_path) {
  json index;
  try {
    index = json::parse(read_text_file(index_path, std::size_t(256) << 20));
  } catch (const json::exception& error) {
    fail_index(index_path, std::string("not valid JSON: ") + error.what());
  }
  if (!index.is_object()) fail_index(index_path, "must be a JSON object");
  const auto weight_map = index.find("weight_map");
  if (weight_map == index.end() || !weight_map->is_object()) {
    fail_index(index_path, "has no \"weight_map\" object");
  }
  std::map<std::string, std::string> shard_of;
  for (const auto& [tensor, shard] : weight_map->items()) {
    if (!shard.is_string() || !is_plain_file_name(shard.get<std::string>())) {
      fail_index(index_path, "tensor '" + tensor + "' maps to " + shard.dump() +
                                 ", expected a file name in the same folder");
    }
    shard_of.emplace(tensor, shard.get<std::string>());
  }
  if (shard_of.empty()) fail_index(index_path, "\"weight_map\" lists no tensors");
  return shard_of;
}

}  // namespace

CheckpointFiles CheckpointFiles::open(const std::filesystem::path& folder) {
  CheckpointFiles checkpoint;
  checkpoint.folder_ = folder;
  const std::filesystem::path index_path = folder / kSafetensorsIndexFileName;
  const std::filesystem::path single_path = folder / kSafetensorsFileName;
  std::error_code ec;

  // transformers looks for the single file first and only then for the index; so do we.
  if (std::filesystem::exists(single_path, ec)) {
    checkpoint.files_.push_back(SafetensorsFile::open(single_path));
    for (const TensorView& view : checkpoint.files_.front().tensors()) {
      checkpoint.by_name_.emplace(view.name, &view);
    }
    return checkpoint;
  }
  if (!std::filesystem::exists(index_path, ec)) {
    throw Error(ErrorCode::not_found,
                "no weights in " + folder.string() + ": neither " + kSafetensorsFileName + " nor " +
                    kSafetensorsIndexFileName + " exists (download the model's safetensors files)");
  }

  const std::map<std::string, std::string> shard_of = read_weight_map(index_path);
  std::vector<std::string> shard_names;
  for (const auto& [tensor, shard] : shard_of) shard_names.push_back(shard);
  std::sort(shard_names.begin(), shard_names.end());
  shard_names.erase(std::unique(shard_names.begin(), shard_names.end()), shard_names.end());

  checkpoint.files_.reserve(shard_names.size());  // The views below point into these elements.
  std::map<std::string, std::size_t> file_index_of;
  for (const std::string& shard : shard_names) {
    const std::filesystem::path shard_path = folder / shard;
    if (!std::filesystem::exists(shard_path, ec)) {
      throw Error(ErrorCode::not_found, "shard " + shard_path.string() + " listed in " +
                                            index_path.string() +
                                            " is missing (download all of the model's files)");
    }
    file_index_of.emplace(shard, checkpoint.files_.size());
    checkpoint.files_.push_back(SafetensorsFile::open(shard_path));
  }

  std::unordered_map<std::string, const SafetensorsFile*> holder_of;
  for (const SafetensorsFile& file : checkpoint.files_) {
    for (const TensorView& view : file.tensors()) {
      const auto [it, inserted] = holder_of.emplace(view.name, &file);
      if (!inserted) {
        throw Error(ErrorCode::invalid_file,
                    "tensor '" + view.name + "' is stored in two shards: " + it->second->origin() +
                        " and " + file.origin() + " (the checkpoint is inconsistent)");
      }
      checkpoint.by_name_.emplace(view.name, &view);
    }
  }
  for (const auto& [tensor, shard] : shard_of) {
    const SafetensorsFile& file = checkpoint.files_[file_index_of.at(shard)];
    if (file.find(tensor) == nullptr) {
      throw Error(ErrorCode::invalid_file,
                  "tensor '" + tensor + "' is listed in " + index_path.string() + " under " +
                      shard +
                      " but that shard does not contain it (the checkpoint is inconsistent)");
    }
  }
  return checkpoint;
}

const TensorView* CheckpointFiles::find(const std::string& name) const {
  const auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

const TensorView& CheckpointFiles::at(const std::string& name) const {
  const TensorView* view = find(name);
  if (view == nullptr) {
    throw Error(ErrorCode::not_found,
                "the checkpoint in " + folder_.string() + " has no tensor named '" + name + "'");
  }
  return *view;
}

std::vector<const TensorView*> CheckpointFiles::tensors() const {
  std::vector<const TensorView*> all;
  all.reserve(by_name_.size());
  for (const auto& [name, view] : by_name_) all.push_back(view);
  std::sort(all.begin(), all.end(),
            [](const TensorView* a, const TensorView* b) { return a->name < b->name; });
  return all;
}

}  // namespace r1::io
