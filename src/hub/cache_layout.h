// The Hugging Face cache layout as huggingface_hub writes it, so transformers, huggingface-cli
// and r1 share one copy of each file:
//   <cache>/models--org--name/blobs/<etag>                    the file's bytes
//   <cache>/models--org--name/snapshots/<commit>/<path>       relative link to ../../blobs/<etag>
//   <cache>/models--org--name/refs/<revision>                 the commit a branch or tag named
//   <cache>/.locks/models--org--name/<etag>.lock              held while a blob is written
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace r1::hub {

/// Throws Error(io_error): "cannot <what> <path>: <strerror(error)>" and what to check.
[[noreturn]] void cache_io_failure(const std::string& what, const std::filesystem::path& path,
                                   int error);

class RepoCache {
 public:
  RepoCache(std::filesystem::path cache_dir, std::string repo);

  /// "models--org--name".
  static std::string folder_name(const std::string& repo);

  const std::filesystem::path& folder() const { return folder_; }
  std::filesystem::path blob(const std::string& etag) const;
  std::filesystem::path snapshot(const std::string& commit) const;
  std::filesystem::path pointer(const std::string& commit, const std::string& file) const;
  std::filesystem::path ref(const std::string& revision) const;
  std::filesystem::path lock(const std::string& etag) const;

  /// The commit refs/<revision> holds; nullopt when there is no such ref.
  std::optional<std::string> read_ref(const std::string& revision) const;
  /// Writes refs/<revision> = commit (no newline, as huggingface_hub) if it holds something else,
  /// through a temporary file and a rename.
  void write_ref(const std::string& revision, const std::string& commit) const;

  /// The snapshot folder of `revision` (a commit, or a ref naming one) if it exists.
  std::optional<std::filesystem::path> find_snapshot(const std::string& revision) const;

  /// Makes snapshots/<commit>/<file> a relative link to blobs/<etag> (replacing what was there in
  /// one rename).
  void link_pointer(const std::string& commit, const std::string& file,
                    const std::string& etag) const;

  /// True when snapshots/<commit>/<file> leads to blobs/<etag> and that blob exists.
  bool pointer_is_current(const std::string& commit, const std::string& file,
                          const std::string& etag) const;

 private:
  std::filesystem::path cache_dir_;
  std::string repo_;
  std::filesystem::path folder_;
};

/// An exclusive flock(2) on a lock file (created, with its folder, when missing), released when
/// destroyed. The same kind of lock huggingface_hub's filelock takes, on the same file.
class FileLock {
 public:
  explicit FileLock(const std::filesystem::path& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace r1::hub
