#include "hub/blob_download.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "hub/cache_layout.h"
#include "hub/sha256.h"
#include "r1/error.h"

namespace r1::hub {
namespace {

namespace fs = std::filesystem;

// The partial file of one blob, appended to while its sha256 is computed along.
class PartialFile {
 public:
  PartialFile(fs::path path, bool hashed) : path_(std::move(path)), hashed_(hashed) {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0666);  // umask applies
    if (fd_ < 0) cache_io_failure("open", path_, errno);
    const off_t end = ::lseek(fd_, 0, SEEK_END);
    if (end < 0) cache_io_failure("read", path_, errno);
    size_ = static_cast<std::uint64_t>(end);
  }
  ~PartialFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  PartialFile(const PartialFile&) = delete;
  PartialFile& operator=(const PartialFile&) = delete;

  std::uint64_t size() const { return size_; }

  // Hashes the bytes a previous run left, so the digest covers the whole file.
  void hash_existing() {
    if (!hashed_) return;
    std::vector<char> buffer(1 << 20);
    std::uint64_t offset = 0;
    while (offset < size_) {
      const ssize_t n = ::pread(fd_, buffer.data(), buffer.size(), static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) cache_io_failure("read", path_, n < 0 ? errno : EIO);
      sha_.update(buffer.data(), static_cast<std::size_t>(n));
      offset += static_cast<std::uint64_t>(n);
    }
  }

  void append(const char* data, std::size_t bytes) {
    if (hashed_) sha_.update(data, bytes);
    while (bytes > 0) {
      const ssize_t n = ::write(fd_, data, bytes);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) cache_io_failure("write", path_, errno);
      data += n;
      bytes -= static_cast<std::size_t>(n);
      size_ += static_cast<std::uint64_t>(n);
    }
  }

  void truncate() {
    if (::ftruncate(fd_, 0) != 0) cache_io_failure("truncate", path_, errno);
    size_ = 0;
    sha_.reset();
  }

  std::string sha256() { return sha_.hex_digest(); }

  // Flushed to disk and closed, so a crash after the rename cannot leave a short blob.
  void finish() {
    if (::fsync(fd_) != 0) cache_io_failure("write", path_, errno);
    ::close(fd_);
    fd_ = -1;
  }

 private:
  fs::path path_;
  bool hashed_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  Sha256 sha_;
};

// The server answered a Range request from another offset: start the file over.
struct StartOver {};

}  // namespace

bool is_sha256_hex(const std::string& text) { return is_lower_hex(text, 64); }

void download_blob(HubConnection& hub, const RepoCache& cache, const BlobSource& source,
                   const RequestSubject& subject, DownloadProgress& progress) {
  const fs::path blob = cache.blob(source.etag);
  std::error_code ec;
  fs::create_directories(blob.parent_path(), ec);
  if (ec) cache_io_failure("create the folder", blob.parent_path(), ec.value());
  FileLock lock(cache.lock(source.etag));
  if (fs::is_regular_file(blob, ec)) return;  // another process finished it while we waited

  const fs::path incomplete = blob.string() + ".incomplete";
  const bool check_sha = is_sha256_hex(source.etag);
  PartialFile partial(incomplete, check_sha);
  if (partial.size() > source.size) partial.truncate();  // not a prefix of this file
  partial.hash_existing();
  progress.begin(source.file, partial.size(), source.size);

  const int attempts = hub.retry_policy().attempts;
  int failures = 0;
  while (partial.size() < source.size) {
    const std::uint64_t before = partial.size();
    HttpRequest request;
    request.url = source.url;
    request.follow_redirects = true;
    if (before > 0) request.headers.push_back("Range: bytes=" + std::to_string(before) + "-");
    const auto on_headers = [&](const HttpResponse& head) {
      if (head.status == 200 && before > 0) {
        partial.truncate();  // the server ignored the Range: it sends the whole file again
      } else if (head.status == 206) {
        const auto range = parse_content_range(head.headers.get("content-range").value_or(""));
        if (!range || range->first != before) {
          partial.truncate();
          throw StartOver{};
        }
      }
    };
    const auto sink = [&](const char* data, std::size_t bytes) {
      if (partial.size() + bytes > source.size) {
        throw Error(ErrorCode::invalid_file,
                    "the hub sent more than the " + std::to_string(source.size) + " bytes of " +
                        source.file + " (" + source.url + "); run the command again");
      }
      partial.append(data, bytes);
      progress.update(partial.size());
    };
    std::string reason;
    try {
      const HttpResponse response = hub.send_once(request, sink, on_headers);
      if (response.status == 416) {
        partial.truncate();
        reason = "GET " + source.url + " answered 416 (range not satisfiable)";
      } else if (is_retryable_status(response.status)) {
        reason = "GET " + source.url + " answered HTTP " + std::to_string(response.status);
        if (failures + 1 >= attempts) throw_hub_error(response, source.url, subject);
      } else if (response.status < 200 || response.status >= 300) {
        throw_hub_error(response, source.url, subject);
      } else if (partial.size() < source.size) {
        reason = "GET " + source.url + " ended after " + std::to_string(partial.size()) + " of " +
                 std::to_string(source.size) + " bytes";
      }
    } catch (const StartOver&) {
      reason = "GET " + source.url + " answered a range that does not start at " +
               std::to_string(before);
    } catch (const NetworkError& error) {
      reason = error.what();
    }
    if (partial.size() >= source.size && reason.empty()) break;
    if (partial.size() > before) failures = 0;  // it moved on: only tries without progress count
    if (++failures >= attempts) {
      throw NetworkError(reason + " (gave up after " + std::to_string(attempts) +
                         " tries without progress; run the command again to resume from " +
                         std::to_string(partial.size()) + " bytes)");
    }
    hub.wait_before_retry(failures, reason + "; " + source.file + " resumes at byte " +
                                        std::to_string(partial.size()));
  }

  if (partial.size() != source.size) {
    fs::remove(incomplete, ec);
    throw Error(ErrorCode::invalid_file,
                source.file + ": received " + std::to_string(partial.size()) + " bytes, expected " +
                    std::to_string(source.size) + "; run the command again");
  }
  if (check_sha) {
    const std::string digest = partial.sha256();
    if (digest != source.etag) {
      fs::remove(incomplete, ec);
      throw Error(ErrorCode::invalid_file,
                  source.file + " from " + source.url + " is corrupt: its sha256 is " + digest +
                      ", the hub says " + source.etag +
                      ". The partial file was removed; run the command again (a proxy or mirror "
                      "that alters files would explain a repeat)");
    }
  }
  partial.finish();
  if (::rename(incomplete.c_str(), blob.c_str()) != 0)
    cache_io_failure("rename into place", blob, errno);
  progress.end(source.size);
}

}  // namespace r1::hub
