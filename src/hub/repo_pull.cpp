#include "hub/repo_pull.h"

#include <fnmatch.h>

#include "hub/blob_download.h"
#include "hub/cache_layout.h"
#include "io/model_locator.h"
#include "r1/error.h"

namespace r1::hub {
namespace {

namespace fs = std::filesystem;

const char* const kDuplicateWeightGlobs[] = {"*.bin",  "*.pth", "*.pt",         "*.ckpt",
                                             "*.h5",   "*.msgpack", "*.onnx",   "*.onnx_data",
                                             "*.ot",   "*.tflite",  "*.gguf"};

bool any_matches(const std::vector<std::string>& patterns, const std::string& path) {
  for (std::string pattern : patterns) {
    if (!pattern.empty() && pattern.back() == '/') pattern += '*';
    if (glob_matches(pattern, path)) return true;
  }
  return false;
}

}  // namespace

bool glob_matches(const std::string& pattern, const std::string& path) {
  return ::fnmatch(pattern.c_str(), path.c_str(), FNM_NOESCAPE) == 0;
}

std::vector<std::string> select_files(const std::vector<RepoFile>& files, const PullOptions& options) {
  bool has_safetensors = false;
  for (const RepoFile& file : files) has_safetensors |= glob_matches("*.safetensors", file.path);
  std::vector<std::string> selected;
  for (const RepoFile& file : files) {
    if (!options.include.empty() && !any_matches(options.include, file.path)) continue;
    if (any_matches(options.exclude, file.path)) continue;
    if (options.skip_duplicate_weights && has_safetensors) {
      bool duplicate = false;
      for (const char* glob : kDuplicateWeightGlobs) duplicate |= glob_matches(glob, file.path);
      if (duplicate) continue;
    }
    selected.push_back(file.path);
  }
  return selected;
}

PullResult pull_repo(HubConnection& hub, const PullOptions& options, DownloadProgress& progress) {
  if (!io::is_hf_repo_id(options.repo)) {
    throw Error(ErrorCode::invalid_argument,
                "'" + options.repo + "' is not a Hugging Face repo id (expected org/name, e.g. "
                "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B)");
  }
  if (options.revision.empty() || !is_safe_repo_path(options.revision)) {
    throw Error(ErrorCode::invalid_argument,
                "revision '" + options.revision + "' is not a branch, tag or commit name");
  }
  const RepoCache cache(hub.settings().cache_dir, options.repo);
  if (hub.settings().offline) {
    if (const auto snapshot = cache.find_snapshot(options.revision)) {
      return PullResult{*snapshot, snapshot->filename().string(), 0, 0};
    }
    throw Error(ErrorCode::not_found,
                options.repo + " at revision " + options.revision +
                    " is not in the Hugging Face cache (" + cache.folder().string() +
                    ") and HF_HUB_OFFLINE / --offline forbids downloading it; run `r1 pull " +
                    options.repo + "` on a machine with network access to this cache");
  }

  const RepoInfo info = fetch_repo_info(hub, options.repo, options.revision);
  const std::vector<std::string> files = select_files(info.files, options);
  if (files.empty()) {
    std::string listed;
    for (std::size_t i = 0; i < info.files.size() && i < 10; ++i) listed += " " + info.files[i].path;
    throw Error(ErrorCode::not_found, "no file of " + options.repo + " at " + options.revision +
                                          " matches --include/--exclude; its files:" +
                                          (listed.empty() ? std::string(" none") : listed));
  }

  PullResult result;
  result.commit = info.commit;
  result.snapshot = cache.snapshot(info.commit);
  for (const std::string& file : files) {
    const FileMetadata metadata = fetch_file_metadata(hub, options.repo, info.commit, file);
    if (cache.pointer_is_current(info.commit, file, metadata.etag)) {
      ++result.cached;
      continue;
    }
    std::error_code ec;
    if (!fs::is_regular_file(cache.blob(metadata.etag), ec)) {
      const BlobSource source{file, metadata.etag, *metadata.size, metadata.download_url};
      download_blob(hub, cache, source, hub.subject(options.repo, info.commit, file), progress);
      ++result.downloaded;
    } else {
      ++result.cached;
    }
    cache.link_pointer(info.commit, file, metadata.etag);
  }
  std::error_code ec;
  fs::create_directories(result.snapshot, ec);
  if (options.revision != info.commit) cache.write_ref(options.revision, info.commit);
  return result;
}

}  // namespace r1::hub
