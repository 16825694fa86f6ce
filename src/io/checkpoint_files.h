// The weight files of one Hugging Face model folder: model.safetensors, or the shards listed by
// model.safetensors.index.json, opened once each and searched as one set of tensors.
#pragma once

#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include "io/safetensors.h"

namespace r1::io {

/// File names Hugging Face uses for single-file and sharded checkpoints.
inline constexpr const char* kSafetensorsFileName = "model.safetensors";
inline constexpr const char* kSafetensorsIndexFileName = "model.safetensors.index.json";

/// All tensors of a checkpoint across its shards. Move-only (owns the mappings).
class CheckpointFiles {
 public:
  /// Opens `folder`/model.safetensors, or else `folder`/model.safetensors.index.json and each shard
  /// it names (each once), in transformers' order of preference. Errors: not_found (no weights,
  /// missing shard), invalid_file (malformed index, a tensor the index lists but its shard lacks, a
  /// tensor in two shards), plus everything SafetensorsFile::open throws.
  static CheckpointFiles open(const std::filesystem::path& folder);

  /// The tensor with this name, or nullptr.
  const TensorView* find(const std::string& name) const;
  /// The tensor with this name; Error(not_found) naming the folder when absent.
  const TensorView& at(const std::string& name) const;
  /// Every tensor of every shard, sorted by name.
  std::vector<const TensorView*> tensors() const;
  /// The opened files, in the order of their names.
  const std::vector<SafetensorsFile>& files() const { return files_; }

 private:
  std::filesystem::path folder_;
  std::vector<SafetensorsFile> files_;
  std::unordered_map<std::string, const TensorView*> by_name_;
};

}  // namespace r1::io
