// A Hugging Face hub on loopback, inside the test process, speaking what huggingface_hub and r1
// pull use: GET /api/models/{repo}/revision/{rev}, HEAD/GET /{repo}/resolve/{rev}/{file} (LFS
// files answer 302 to an absolute /cdn/ URL with X-Linked-Etag / X-Linked-Size, others 200 with
// ETag and Content-Length), GET /cdn/{sha256} with Range. Knobs make it fail the ways the real
// one and networks do: 401/403 without the right token, 5xx, a connection dropped mid-body, a
// corrupt body, Range ignored. It also answers as an HTTP proxy would for requests in absolute
// form, so a test can check that r1 goes through http_proxy.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace httplib {
class Server;
struct Request;
struct Response;
}

namespace r1::test {

struct FixtureFile {
  std::string path;     // repo path
  std::string content;
  bool lfs = false;
  std::string etag;     // LFS: the content's sha256 (given by the test); else the git blob id
};

struct SeenRequest {
  std::string method;
  std::string path;           // without the query
  std::string authorization;  // "" when absent
  std::string range;          // "" when absent
  std::string proxied_host;   // the host of an absolute-form target ("GET http://host/path"),
                              // as a client sends it to an HTTP proxy; "" for direct requests
};

class FixtureHub {
 public:
  FixtureHub(std::string repo, std::string commit, std::vector<FixtureFile> files);
  ~FixtureHub();
  FixtureHub(const FixtureHub&) = delete;
  FixtureHub& operator=(const FixtureHub&) = delete;

  /// http://127.0.0.1:PORT
  std::string endpoint() const;

  // Knobs (set before the requests they affect).
  std::string required_token;       // API/resolve need "Authorization: Bearer <it>", else 401
  bool gated = false;               // with the right token still 403 GatedRepo
  std::atomic<int> fail_next{0};    // the next N API/resolve requests answer 503
  std::map<std::string, std::size_t> drop_once_after;  // cdn etag -> drop the connection after N bytes, once
  std::set<std::string> corrupt;    // cdn etags served with one byte changed
  bool ignore_range = false;        // /cdn/ answers 200 with the whole file even to a Range request
  bool relative_redirects = false;  // plain files: 307 to /api/resolve-cache/... as huggingface.co does

  std::vector<SeenRequest> requests() const;
  std::size_t count(const std::string& method, const std::string& path_prefix) const;
  void clear_requests();

 private:
  void record(const SeenRequest& request);
  void add_routes();
  void handle(httplib::Request& req, httplib::Response& res, const std::string& proxied_host);

  std::string repo_, commit_;
  std::vector<FixtureFile> files_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mutex_;
  std::vector<SeenRequest> seen_;
};

/// Sets environment variables for the test's lifetime, restoring them afterwards (child processes
/// such as the r1 program inherit them).
class ScopedEnvironment {
 public:
  ScopedEnvironment() = default;
  ~ScopedEnvironment();
  void set(const std::string& name, const std::string& value);
  void unset(const std::string& name);

 private:
  void remember(const std::string& name);
  std::vector<std::pair<std::string, std::unique_ptr<std::string>>> saved_;
};

}  // namespace r1::test
