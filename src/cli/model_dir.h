// Where a --model argument points: a folder, or a Hugging Face repo id resolved in the local
// Hugging Face cache (io/model_locator.h).
#pragma once

#include <filesystem>
#include <string>

namespace r1::cli {

/// Resolves `model` and checks that the folder holds tokenizer.json. Throws Error(not_found)
/// naming the places searched or the missing file.
std::filesystem::path resolve_model_dir(const std::string& model);

}  // namespace r1::cli
