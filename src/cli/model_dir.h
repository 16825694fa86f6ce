// Where a --model argument points. Today: a folder with tokenizer.json; the model issue adds
// Hugging Face repo ids resolved in the HF cache.
#pragma once

#include <filesystem>
#include <string>

namespace r1::cli {

/// Checks that `model` is a folder holding tokenizer.json and returns it. Throws Error(not_found)
/// naming what is missing.
std::filesystem::path resolve_model_dir(const std::string& model);

}  // namespace r1::cli
