// Turns the --model argument into a model folder: a folder as given, or a Hugging Face repo id
// looked up in the local Hugging Face cache where `huggingface-cli download` stores it.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace r1::io {

/// Reads an environment variable (nullopt when unset). Tests pass their own; the program passes
/// process_environment().
using EnvironmentLookup = std::function<std::optional<std::string>(const std::string& name)>;

/// Looks variables up in this process's environment.
EnvironmentLookup process_environment();

/// True for a Hugging Face repo id: "owner/name", each part letters, digits, '-', '_', '.' (not
/// "." or ".."), at most 96 characters.
bool is_hf_repo_id(const std::string& spec);

/// The Hugging Face hub cache folder huggingface_hub uses: $HF_HUB_CACHE, else
/// $HUGGINGFACE_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else
/// ~/.cache/huggingface/hub. Leading "~" is expanded with $HOME. nullopt if none can be formed.
std::optional<std::filesystem::path> hf_hub_cache_dir(const EnvironmentLookup& environment);

/// Resolves `spec`: an existing folder is returned as is; otherwise "org/name" is looked up as
/// <cache>/models--org--name/snapshots/<refs/main>/ (or the only snapshot if refs/main is missing).
/// Throws Error(not_found) listing every place searched and the commands that download the model,
/// or Error(invalid_argument) when spec names a file that is not *.gguf, or is neither a folder,
/// a GGUF file nor a repo id. A folder or an existing .gguf file is returned as is.
std::filesystem::path resolve_model(const std::string& spec, const EnvironmentLookup& environment);

}  // namespace r1::io
