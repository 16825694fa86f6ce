// A model folder opened for inference: config.json parsed, weight files mapped and bound.
#pragma once

#include <filesystem>
#include <memory>

#include "io/checkpoint_files.h"
#include "io/hf_config.h"
#include "model/transformer.h"

namespace r1::model {

struct LoadedModel {
  io::ModelConfig config;
  io::CheckpointFiles files;  // owns the mappings the transformer's weights point into
  std::unique_ptr<Transformer> transformer;
};

/// Opens `folder` (config.json + model.safetensors or its shards). Errors name the file.
std::unique_ptr<LoadedModel> load_model(const std::filesystem::path& folder);

}  // namespace r1::model
