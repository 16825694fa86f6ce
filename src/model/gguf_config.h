// The model configuration of a GGUF file, read from llama.cpp's metadata keys
// ({arch}.block_count, {arch}.embedding_length, ...) into the same ModelConfig config.json gives.
#pragma once

#include "io/gguf.h"
#include "io/hf_config.h"

namespace r1::model {

/// Reads the hyperparameters of a qwen2 or llama GGUF file. Throws Error(unsupported) for other
/// architectures and rope scalings r1 does not implement, Error(not_found/invalid_file) naming
/// the key for missing or malformed values.
io::ModelConfig model_config_from_gguf(const io::GgufFile& file);

}  // namespace r1::model
