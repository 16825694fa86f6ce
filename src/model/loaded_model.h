// A model folder opened for inference: config.json parsed, weight files mapped and bound.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>

#include "io/checkpoint_files.h"
#include "io/hf_config.h"
#include "model/transformer.h"
#include "ops/cpu_backend.h"

namespace r1::model {

struct LoadedModel {
  io::ModelConfig config;
  io::CheckpointFiles files;  // owns the mappings the transformer's weights point into
  std::unique_ptr<Transformer> transformer;
};

enum class BackendKind {
  cpu,        // threaded SIMD kernels (the default)
  reference,  // the scalar reference ops on one thread (the test oracle)
};

struct LoadOptions {
  BackendKind backend = BackendKind::cpu;
  ops::CpuBackendOptions cpu;  // threads and instruction set of the cpu backend
};

/// Opens `folder` (config.json + model.safetensors or its shards). Errors name the file.
std::unique_ptr<LoadedModel> load_model(const std::filesystem::path& folder,
                                        const LoadOptions& options = {});

}  // namespace r1::model
