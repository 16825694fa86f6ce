// The tokenizer of a loaded model as GGUF metadata (for r1 quantize) and, for a GGUF model, as the
// Hugging Face files r1's tokenizer reads.
#pragma once

#include "io/gguf_tokenizer.h"
#include "model/gguf_export.h"
#include "model/loaded_model.h"

namespace r1::cli {

/// The model's tokenizer files: its folder's tokenizer.json / tokenizer_config.json, or those
/// built from a GGUF file's metadata (files beside a GGUF file win, as they are what the user
/// put there). Error(not_found) naming the folder when a Hugging Face folder has none.
io::HfTokenizerFiles tokenizer_files(const model::LoadedModel& model);

/// Writes the model's tokenizer keys into a GGUF file being exported.
model::TokenizerExport tokenizer_export(const model::LoadedModel& model);

}  // namespace r1::cli
