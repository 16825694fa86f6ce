// Where --model comes from: a folder or file as given, or a Hugging Face repo id from the cache,
// downloaded first (r1 pull) when it is not there, unless --offline or HF_HUB_OFFLINE=1.
#pragma once

#include <filesystem>
#include <string>

#include "cli/args.h"

namespace r1::cli {

/// --offline: never download; a repo id must already be in the Hugging Face cache.
OptionSpec offline_option();

/// Resolves `spec`. An existing path is never downloaded. A repo id whose cached snapshot (refs/main)
/// is missing or lacks config.json or weights is pulled (all files but duplicate weight formats,
/// progress on stderr) unless offline; offline, a missing one is Error(not_found) saying how to
/// get it.
std::filesystem::path locate_model(const std::string& spec, bool offline);

/// locate_model(--model, --offline).
std::filesystem::path locate_model(const Args& args);

}  // namespace r1::cli
