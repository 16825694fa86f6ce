#include "hub/cache_layout.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "core/file.h"
#include "hub/hub_api.h"
#include "r1/error.h"

namespace r1::hub {
namespace {

namespace fs = std::filesystem;

void make_folders(const fs::path& folder) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) cache_io_failure("create the folder", folder, ec.value());
}

// A name next to `path` no other process picks: <name>.tmp-<random>.
fs::path temporary_beside(const fs::path& path) {
  static thread_local std::mt19937_64 random(std::random_device{}());
  return path.parent_path() / (path.filename().string() + ".tmp-" + std::to_string(random()));
}

}  // namespace

void cache_io_failure(const std::string& what, const fs::path& path, int error) {
  throw Error(ErrorCode::io_error, "cannot " + what + " " + path.string() + ": " +
                                       std::strerror(error) +
                                       " (check the permissions and free space of the Hugging "
                                       "Face cache, or point HF_HUB_CACHE elsewhere)");
}

RepoCache::RepoCache(fs::path cache_dir, std::string repo)
    : cache_dir_(std::move(cache_dir)),
      repo_(std::move(repo)),
      folder_(cache_dir_ / folder_name(repo_)) {}

std::string RepoCache::folder_name(const std::string& repo) {
  std::string name = "models--";
  for (char c : repo) {
    if (c == '/') {
      name += "--";
    } else {
      name += c;
    }
  }
  return name;
}

fs::path RepoCache::blob(const std::string& etag) const {
  return folder_ / "blobs" / etag;
}
fs::path RepoCache::snapshot(const std::string& commit) const {
  return folder_ / "snapshots" / commit;
}
fs::path RepoCache::pointer(const std::string& commit, const std::string& file) const {
  return snapshot(commit) / fs::path(file);
}
fs::path RepoCache::ref(const std::string& revision) const {
  return folder_ / "refs" / fs::path(revision);
}
fs::path RepoCache::lock(const std::string& etag) const {
  return cache_dir_ / ".locks" / folder_name(repo_) / (etag + ".lock");
}

std::optional<std::string> RepoCache::read_ref(const std::string& revision) const {
  std::error_code ec;
  if (!fs::is_regular_file(ref(revision), ec)) return std::nullopt;
  std::string text = read_text_file(ref(revision), 4096);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

void RepoCache::write_ref(const std::string& revision, const std::string& commit) const {
  if (read_ref(revision) == commit) return;
  const fs::path path = ref(revision);
  make_folders(path.parent_path());
  const fs::path temporary = temporary_beside(path);
  write_text_file(temporary, commit);
  std::error_code ec;
  fs::rename(temporary, path, ec);
  if (ec) {
    fs::remove(temporary, ec);
    cache_io_failure("write", path, ec.value());
  }
}

std::optional<fs::path> RepoCache::find_snapshot(const std::string& revision) const {
  std::string commit = revision;
  if (!is_commit_hash(revision)) {
    const auto named = read_ref(revision);
    if (!named || !is_commit_hash(*named)) return std::nullopt;
    commit = *named;
  }
  std::error_code ec;
  if (!fs::is_directory(snapshot(commit), ec)) return std::nullopt;
  return snapshot(commit);
}

void RepoCache::link_pointer(const std::string& commit, const std::string& file,
                             const std::string& etag) const {
  const fs::path link = pointer(commit, file);
  make_folders(link.parent_path());
  // ../ once per folder between the link and the repo folder: snapshots/<commit>/[dirs of file].
  const fs::path target = blob(etag).lexically_relative(link.parent_path());
  const fs::path temporary = temporary_beside(link);
  if (::symlink(target.c_str(), temporary.c_str()) != 0)
    cache_io_failure("create the link", temporary, errno);
  if (::rename(temporary.c_str(), link.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    cache_io_failure("create the link", link, error);
  }
}

bool RepoCache::pointer_is_current(const std::string& commit, const std::string& file,
                                   const std::string& etag) const {
  std::error_code ec;
  const fs::path link = pointer(commit, file);
  if (!fs::is_regular_file(blob(etag), ec)) return false;
  return fs::equivalent(link, blob(etag), ec) && !ec;
}

FileLock::FileLock(const fs::path& path) {
  make_folders(path.parent_path());
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd_ < 0) cache_io_failure("open the lock file", path, errno);
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    const int error = errno;
    ::close(fd_);
    cache_io_failure("lock", path, error);
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace r1::hub
