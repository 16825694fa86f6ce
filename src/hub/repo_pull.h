// r1 pull: a repo's files at a revision into the Hugging Face cache, as `huggingface-cli
// download` (huggingface_hub's snapshot_download) puts them there.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "hub/download_progress.h"
#include "hub/hub_api.h"
#include "hub/hub_connection.h"

namespace r1::hub {

struct PullOptions {
  std::string repo;                  // "org/name"
  std::string revision = "main";     // branch, tag or commit
  std::vector<std::string> include;  // fnmatch globs; empty: every file
  std::vector<std::string> exclude;
  /// When the repo has *.safetensors, leave out the same weights in other formats (*.bin, *.pth,
  /// *.pt, *.ckpt, *.h5, *.msgpack, *.onnx, *.onnx_data, *.ot, *.tflite, *.gguf).
  bool skip_duplicate_weights = false;
};

struct PullResult {
  std::filesystem::path snapshot;  // <cache>/models--org--name/snapshots/<commit>
  std::string commit;
  std::size_t downloaded = 0;      // files fetched now
  std::size_t cached = 0;          // files that were already in the cache
};

/// Python fnmatch: '*' and '?' match any character ('/' included), [seq] and [!seq] sets.
bool glob_matches(const std::string& pattern, const std::string& path);

/// The repo paths to download: matching an --include (a pattern ending in '/' is a folder:
/// "onnx/" means "onnx/*"), no --exclude, no duplicate weights when those are skipped.
std::vector<std::string> select_files(const std::vector<RepoFile>& files, const PullOptions& options);

/// Downloads what is missing and returns the snapshot. refs/<revision> is written (for branch and
/// tag names) once every file is in place, so it never names a half-downloaded snapshot. Offline
/// (HF_HUB_OFFLINE) only looks the snapshot up in the cache: Error(not_found) when absent.
PullResult pull_repo(HubConnection& hub, const PullOptions& options, DownloadProgress& progress);

}  // namespace r1::hub
