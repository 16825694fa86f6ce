#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/model_source.h"
#include "core/file.h"
#include "hub/repo_pull.h"
#include "io/checkpoint_files.h"
#include "io/model_locator.h"
#include "r1/error.h"

namespace r1::cli {
namespace {

namespace fs = std::filesystem;

// A snapshot an interrupted pull left has some files but not all: it needs config.json and the
// weights (model.safetensors, or every shard the index names).
bool looks_complete(const fs::path& folder) {
  std::error_code ec;
  if (!fs::is_regular_file(folder / "config.json", ec)) return false;
  if (fs::is_regular_file(folder / io::kSafetensorsFileName, ec)) return true;
  const fs::path index = folder / io::kSafetensorsIndexFileName;
  if (!fs::is_regular_file(index, ec)) return false;
  try {
    const auto json = nlohmann::json::parse(read_text_file(index));
    for (const auto& [tensor, shard] : json.at("weight_map").items()) {
      if (!shard.is_string() || !fs::is_regular_file(folder / shard.get<std::string>(), ec)) return false;
    }
    return true;
  } catch (const std::exception&) {
    return true;  // let the loader say what is wrong with the index
  }
}

}  // namespace

OptionSpec offline_option() {
  return flag_option("offline",
                     "Never download: a repo id must be in the Hugging Face cache already (also "
                     "HF_HUB_OFFLINE=1)");
}

fs::path locate_model(const std::string& spec, bool offline) {
  const io::EnvironmentLookup environment = io::process_environment();
  std::error_code ec;
  if (spec.empty() || fs::exists(spec, ec) || !io::is_hf_repo_id(spec)) {
    return io::resolve_model(spec, environment);
  }
  std::optional<fs::path> cached;
  std::string not_cached;
  try {
    cached = io::resolve_model(spec, environment);
  } catch (const Error& error) {
    if (error.code() != ErrorCode::not_found) throw;
    not_cached = error.what();
  }
  if (cached && looks_complete(*cached)) return *cached;  // no network, no settings needed

  const hub::HubSettings settings = hub::read_hub_settings(environment);
  offline = offline || settings.offline;
  if (cached && offline) return *cached;  // as complete as it gets; the loader names what is missing
  if (offline) {
    throw Error(ErrorCode::not_found,
                not_cached + "\nNot downloading: " +
                    (settings.offline ? "HF_HUB_OFFLINE is set" : "--offline was given") +
                    ". Run `r1 pull " + spec +
                    "` with network access (the same HF_HUB_CACHE / HF_HOME), or give a folder.");
  }

  std::fprintf(stderr, "r1: %s is not %s the Hugging Face cache (%s); downloading it from %s\n",
               spec.c_str(), cached ? "complete in" : "in", settings.cache_dir.c_str(),
               settings.endpoint.c_str());
  const auto progress = hub::make_progress(stderr);
  hub::HubConnection hub(settings, {}, [&](const std::string& line) { progress->note(line); });
  hub::PullOptions options;
  options.repo = spec;
  options.skip_duplicate_weights = true;
  const hub::PullResult pulled = hub::pull_repo(hub, options, *progress);
  std::fprintf(stderr, "r1: %s is in %s\n", spec.c_str(), pulled.snapshot.c_str());
  return io::resolve_model(spec, environment);
}

fs::path locate_model(const Args& args) { return locate_model(args.get("model"), args.flag("offline")); }

}  // namespace r1::cli
