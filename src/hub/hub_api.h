// The two hub endpoints a download needs: the repo's file list at a revision
// (GET /api/models/{repo}/revision/{revision}) and each file's metadata
// (HEAD /{repo}/resolve/{revision}/{file}: commit, etag, size, where to download it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hub/hub_connection.h"

namespace r1::hub {

struct RepoFile {
  std::string path;                     // "model.safetensors", "onnx/model.onnx"
  std::optional<std::uint64_t> size;    // with ?blobs=true
  std::optional<std::string> lfs_sha256;
};

struct RepoInfo {
  std::string commit;  // 40 hex digits
  std::vector<RepoFile> files;
};

struct FileMetadata {
  std::string commit;                  // X-Repo-Commit
  std::string etag;                    // X-Linked-Etag (LFS: the sha256) or ETag, normalized
  std::optional<std::uint64_t> size;   // X-Linked-Size or Content-Length
  std::string download_url;            // Location of the CDN redirect, or the resolve URL itself
};

/// True for a full commit hash (40 lowercase hex digits), as huggingface_hub's REGEX_COMMIT_HASH.
bool is_commit_hash(const std::string& text);

/// A repo file path that is safe to create under snapshots/<commit>/: relative, no empty, "." or
/// ".." parts, no NUL. The hub's list is not trusted beyond that.
bool is_safe_repo_path(const std::string& path);

/// Reads the repo API's JSON answer (`url` is for messages): "sha" and "siblings" with
/// "rfilename" (and with ?blobs=true "size", "lfs"). Error(invalid_file) for anything else, a
/// commit that is not 40 hex digits, or a file name that is not a safe relative path.
RepoInfo parse_repo_info(const std::string& body, const std::string& url);

/// GET the repo info (retried). Throws via throw_hub_error, or Error(invalid_file) when the answer
/// is not the JSON the hub sends (naming the URL).
RepoInfo fetch_repo_info(HubConnection& hub, const std::string& repo, const std::string& revision);

/// HEAD the file (retried); relative redirects (a renamed repo) are followed, an absolute one (the
/// CDN) is where the file will be downloaded from, its etag and size taken from this first answer
/// as huggingface_hub does.
FileMetadata fetch_file_metadata(HubConnection& hub, const std::string& repo,
                                 const std::string& revision, const std::string& file);

}  // namespace r1::hub
