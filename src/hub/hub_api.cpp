#include "hub/hub_api.h"

#include <nlohmann/json.hpp>

#include "hub/sha256.h"
#include "hub/url.h"

namespace r1::hub {
namespace {

bool is_safe_etag(const std::string& etag) {
  if (etag.empty() || etag.size() > 128 || etag.front() == '.') return false;
  for (char c : etag) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!allowed) return false;
  }
  return true;
}

[[noreturn]] void bad_answer(const std::string& url, const std::string& what) {
  throw Error(ErrorCode::invalid_file,
              "the hub's answer to " + url + " is not usable: " + what +
                  ". Is HF_ENDPOINT a Hugging Face hub or a mirror of one?");
}

}  // namespace

bool is_commit_hash(const std::string& text) { return is_lower_hex(text, 40); }

bool is_safe_repo_path(const std::string& path) {
  if (path.empty() || path.front() == '/' || path.find('\0') != std::string::npos) return false;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto end = std::min(path.find('/', start), path.size());
    const std::string part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

RepoInfo parse_repo_info(const std::string& body, const std::string& url) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception& error) {
    bad_answer(url, std::string("not JSON (") + error.what() + ")");
  }
  if (!json.is_object()) bad_answer(url, "not a JSON object");
  RepoInfo info;
  if (!json.contains("sha") || !json["sha"].is_string() ||
      !is_commit_hash(json["sha"].get<std::string>())) {
    bad_answer(url, "no \"sha\" with a 40-digit commit hash");
  }
  info.commit = json["sha"].get<std::string>();
  if (!json.contains("siblings") || !json["siblings"].is_array()) bad_answer(url, "no \"siblings\" list");
  for (const auto& sibling : json["siblings"]) {
    if (!sibling.is_object() || !sibling.contains("rfilename") || !sibling["rfilename"].is_string())
      bad_answer(url, "a sibling without \"rfilename\"");
    RepoFile file;
    file.path = sibling["rfilename"].get<std::string>();
    if (!is_safe_repo_path(file.path)) bad_answer(url, "the file name '" + file.path + "' is not a safe relative path");
    if (sibling.contains("size") && sibling["size"].is_number_unsigned()) file.size = sibling["size"].get<std::uint64_t>();
    if (sibling.contains("lfs") && sibling["lfs"].is_object()) {
      const auto& lfs = sibling["lfs"];
      if (lfs.contains("sha256") && lfs["sha256"].is_string()) file.lfs_sha256 = lfs["sha256"].get<std::string>();
      if (lfs.contains("size") && lfs["size"].is_number_unsigned()) file.size = lfs["size"].get<std::uint64_t>();
    }
    info.files.push_back(std::move(file));
  }
  return info;
}

RepoInfo fetch_repo_info(HubConnection& hub, const std::string& repo, const std::string& revision) {
  const std::string url = repo_info_url(hub.settings().endpoint, repo, revision);
  HttpRequest request;
  request.url = url;
  request.follow_redirects = true;  // a renamed repo answers with a redirect to its new name
  const RequestSubject subject = hub.subject(repo, revision);
  const HttpResponse response = hub.send_with_retries(request, subject);
  if (response.status < 200 || response.status >= 300) throw_hub_error(response, url, subject);
  return parse_repo_info(response.body, url);
}

FileMetadata fetch_file_metadata(HubConnection& hub, const std::string& repo,
                                 const std::string& revision, const std::string& file) {
  std::string url = resolve_url(hub.settings().endpoint, repo, revision, file);
  const RequestSubject subject = hub.subject(repo, revision, file);
  for (int redirects = 0; redirects <= 10; ++redirects) {
    HttpRequest request;
    request.method = "HEAD";
    request.url = url;
    request.headers = {"Accept-Encoding: identity"};  // the real size, not a compressed one
    const HttpResponse response = hub.send_with_retries(request, subject);
    const auto location = response.headers.get("location");
    const bool redirect = response.status >= 300 && response.status < 400 && location;
    if (redirect && location->rfind("/", 0) == 0 && location->rfind("//", 0) != 0) {
      url = url_origin(url) + *location;  // relative: a renamed repo or the hub's resolve cache
      continue;
    }
    if (!redirect && (response.status < 200 || response.status >= 300))
      throw_hub_error(response, url, subject);

    FileMetadata metadata;
    metadata.commit = response.headers.get("x-repo-commit").value_or("");
    const auto etag = response.headers.get("x-linked-etag");
    metadata.etag = normalize_etag(etag ? *etag : response.headers.get("etag").value_or(""));
    const auto size = response.headers.get("x-linked-size");
    metadata.size = parse_byte_count(size ? *size : response.headers.get("content-length").value_or(""));
    metadata.download_url = redirect ? *location : url;
    if (!is_commit_hash(metadata.commit)) bad_answer(url, "no X-Repo-Commit header with a commit hash");
    if (!is_safe_etag(metadata.etag)) {
      bad_answer(url, "the ETag '" + metadata.etag + "' is missing or not usable as a file name");
    }
    if (!metadata.size) bad_answer(url, "no X-Linked-Size or Content-Length header (the file size)");
    if (metadata.download_url.find("://") == std::string::npos) bad_answer(url, "a redirect to '" + metadata.download_url + "'");
    return metadata;
  }
  throw Error(ErrorCode::io_error, "HEAD " + url + ": more than 10 redirects");
}

}  // namespace r1::hub
