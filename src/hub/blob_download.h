// Downloads one file's bytes into blobs/<etag> of the cache: into <etag>.incomplete first
// (resumed with a Range request when a previous try left one), checked against the expected size
// and, for LFS files (whose etag is their sha256), the sha256, then renamed into place. Only one
// process writes a blob at a time (the cache's lock file).
#pragma once

#include <cstdint>
#include <string>

#include "hub/cache_layout.h"
#include "hub/download_progress.h"
#include "hub/hub_connection.h"

namespace r1::hub {

struct BlobSource {
  std::string file;          // the repo path, for messages and progress
  std::string etag;          // the blob's name
  std::uint64_t size = 0;    // expected bytes
  std::string url;           // where to GET it (redirects followed)
};

/// True for 64 lowercase hex digits: an LFS etag, which is the file's sha256.
bool is_sha256_hex(const std::string& text);

/// Makes blobs/<etag> hold the file (nothing to do when it is already there). Network errors, a
/// dropped connection and 5xx answers are retried (resuming from the bytes received) with the
/// connection's retry policy. Throws Error(invalid_file) on a size or sha256 mismatch (the partial
/// file is removed so the next try starts over), errors of throw_hub_error for 4xx answers, or
/// NetworkError after the last try (the partial file is kept for the next run to resume).
void download_blob(HubConnection& hub, const RepoCache& cache, const BlobSource& source,
                   const RequestSubject& subject, DownloadProgress& progress);

}  // namespace r1::hub
