// Where a --model argument points: a folder, or a Hugging Face repo id resolved in the local
// Hugging Face cache (io/model_locator.h), downloaded first when missing (cli/model_source.h).
#pragma once

#include <filesystem>
#include <string>

#include "cli/args.h"

namespace r1::cli {

/// Locates --model (downloading a missing repo id unless --offline) and checks that the folder
/// holds tokenizer.json. Throws Error(not_found) naming the places searched or the missing file.
std::filesystem::path resolve_model_dir(const Args& args);

}  // namespace r1::cli
