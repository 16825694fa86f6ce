#include "hub/fixture_hub.h"

#include <httplib.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace r1::test {

FixtureHub::FixtureHub(std::string repo, std::string commit, std::vector<FixtureFile> files)
    : repo_(std::move(repo)), commit_(std::move(commit)), files_(std::move(files)),
      server_(std::make_unique<httplib::Server>()) {
  add_routes();
  port_ = server_->bind_to_any_port("127.0.0.1");
  if (port_ <= 0) throw std::runtime_error("fixture hub: cannot bind a loopback port");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

FixtureHub::~FixtureHub() {
  server_->stop();
  thread_.join();
}

std::string FixtureHub::endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

void FixtureHub::record(const SeenRequest& request) {
  std::lock_guard<std::mutex> lock(mutex_);
  seen_.push_back(request);
}

std::vector<SeenRequest> FixtureHub::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return seen_;
}

std::size_t FixtureHub::count(const std::string& method, const std::string& path_prefix) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::size_t n = 0;
  for (const auto& request : seen_) n += request.method == method && request.path.rfind(path_prefix, 0) == 0;
  return n;
}

void FixtureHub::clear_requests() {
  std::lock_guard<std::mutex> lock(mutex_);
  seen_.clear();
}

void FixtureHub::add_routes() {
  // Everything goes through one handler (HEAD too); the path decides.
  const auto serve = [this](const httplib::Request& original, httplib::Response& res) {
    // A request through a proxy names the whole URL; answer it as the hub it names. (httplib
    // hands handlers a const request it still reads afterwards, e.g. its ranges.)
    auto& req = const_cast<httplib::Request&>(original);
    std::string proxied_host;
    if (req.path.rfind("http://", 0) == 0) {
      const auto path_start = req.path.find('/', 7);
      proxied_host = req.path.substr(7, path_start - 7);
      req.path = path_start == std::string::npos ? "/" : req.path.substr(path_start);
    }
    handle(req, res, proxied_host);
  };
  server_->Get(".*", serve);
}

void FixtureHub::handle(httplib::Request& req, httplib::Response& res,
                        const std::string& proxied_host) {
  {
    record({req.method, req.path, req.get_header_value("Authorization"), req.get_header_value("Range"),
            proxied_host});
    const std::string api_prefix = "/api/models/" + repo_ + "/revision/";
    const std::string resolve_prefix = "/" + repo_ + "/resolve/";
    const std::string cache_prefix = "/api/resolve-cache/models/" + repo_ + "/" + commit_ + "/";
    const bool hub_route = req.path.rfind("/api/", 0) == 0 || req.path.find("/resolve/") != std::string::npos;

    if (hub_route) {
      if (fail_next > 0) {
        --fail_next;
        res.status = 503;
        res.set_content("Service Unavailable", "text/plain");
        return;
      }
      if (!required_token.empty() && req.get_header_value("Authorization") != "Bearer " + required_token) {
        res.status = 401;
        res.set_header("X-Error-Code", "RepoNotFound");
        res.set_header("X-Error-Message", "Invalid username or password.");
        res.set_content("{\"error\":\"Invalid username or password.\"}", "application/json");
        return;
      }
      if (gated) {
        res.status = 403;
        res.set_header("X-Error-Code", "GatedRepo");
        res.set_header("X-Error-Message", "Access to model " + repo_ + " is restricted.");
        res.set_content("{\"error\":\"gated\"}", "application/json");
        return;
      }
    }

    if (req.path.rfind(api_prefix, 0) == 0) {
      const std::string revision = req.path.substr(api_prefix.size());
      if (revision != "main" && revision != commit_) {
        res.status = 404;
        res.set_header("X-Error-Code", "RevisionNotFound");
        res.set_header("X-Error-Message", "Invalid rev id: " + revision);
        return;
      }
      nlohmann::json siblings = nlohmann::json::array();
      for (const FixtureFile& file : files_) {
        nlohmann::json sibling = {{"rfilename", file.path}, {"size", file.content.size()}};
        if (file.lfs) sibling["lfs"] = {{"sha256", file.etag}, {"size", file.content.size()}, {"pointerSize", 134}};
        siblings.push_back(sibling);
      }
      const nlohmann::json info = {{"id", repo_}, {"sha", commit_}, {"siblings", siblings}};
      res.set_content(info.dump(), "application/json");
      return;
    }
    if (req.path.rfind(cache_prefix, 0) == 0) {
      for (const FixtureFile& file : files_) {
        if (file.lfs || file.path != req.path.substr(cache_prefix.size())) continue;
        res.set_header("X-Repo-Commit", commit_);
        res.set_header("ETag", "\"" + file.etag + "\"");
        res.set_content(file.content, "application/octet-stream");
        return;
      }
    }
    if (req.path.rfind("/api/", 0) == 0 || (hub_route && req.path.rfind(resolve_prefix, 0) != 0)) {
      res.status = 404;
      res.set_header("X-Error-Code", "RepoNotFound");
      res.set_header("X-Error-Message", "Repository not found");
      return;
    }
    if (req.path.rfind(resolve_prefix, 0) == 0) {
      const std::string rest = req.path.substr(resolve_prefix.size());
      const auto slash = rest.find('/');
      const std::string revision = rest.substr(0, slash);
      const std::string path = slash == std::string::npos ? "" : rest.substr(slash + 1);
      if (revision != "main" && revision != commit_) {
        res.status = 404;
        res.set_header("X-Error-Code", "RevisionNotFound");
        return;
      }
      for (const FixtureFile& file : files_) {
        if (file.path != path) continue;
        res.set_header("X-Repo-Commit", commit_);
        if (file.lfs) {
          res.status = 302;
          res.set_header("Location", endpoint() + "/cdn/" + file.etag + "?signature=fixture");
          res.set_header("X-Linked-Etag", "\"" + file.etag + "\"");
          res.set_header("X-Linked-Size", std::to_string(file.content.size()));
          res.set_header("ETag", "W/\"not-the-blob-" + file.etag.substr(0, 8) + "\"");
          res.set_content("Found.", "text/plain");
        } else if (relative_redirects) {
          res.status = 307;
          res.set_header("Location", cache_prefix + file.path + "?etag=%22" + file.etag + "%22");
          res.set_content("Temporary Redirect.", "text/plain");
        } else {
          res.set_header("ETag", "\"" + file.etag + "\"");
          res.set_content(file.content, "application/octet-stream");
        }
        return;
      }
      res.status = 404;
      res.set_header("X-Error-Code", "EntryNotFound");
      res.set_header("X-Error-Message", "Entry not found");
      return;
    }
    if (req.path.rfind("/cdn/", 0) == 0) {
      const std::string etag = req.path.substr(5);
      for (const FixtureFile& file : files_) {
        if (!file.lfs || file.etag != etag) continue;
        auto content = std::make_shared<std::string>(file.content);
        if (corrupt.count(etag) && !content->empty()) (*content)[content->size() / 2] ^= 0x5a;
        std::size_t drop_at = std::string::npos;
        if (auto it = drop_once_after.find(etag); it != drop_once_after.end()) {
          drop_at = it->second;
          drop_once_after.erase(it);
        }
        if (ignore_range && req.has_header("Range")) {
          // Pretend not to understand Range: the whole file, status 200.
          req.ranges.clear();
        }
        res.set_content_provider(
            content->size(), "application/octet-stream",
            [content, drop_at](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
              const std::size_t chunk = std::min<std::size_t>(length, 4096);
              if (drop_at != std::string::npos && offset + chunk > drop_at) {
                if (drop_at > offset) sink.write(content->data() + offset, drop_at - offset);
                return false;  // the connection drops here
              }
              sink.write(content->data() + offset, chunk);
              return true;
            });
        return;
      }
      res.status = 404;
      return;
    }
    res.status = 404;
  }
}

ScopedEnvironment::~ScopedEnvironment() {
  for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
    if (it->second) {
      ::setenv(it->first.c_str(), it->second->c_str(), 1);
    } else {
      ::unsetenv(it->first.c_str());
    }
  }
}

void ScopedEnvironment::remember(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  saved_.emplace_back(name, value ? std::make_unique<std::string>(value) : nullptr);
}

void ScopedEnvironment::set(const std::string& name, const std::string& value) {
  remember(name);
  ::setenv(name.c_str(), value.c_str(), 1);
}

void ScopedEnvironment::unset(const std::string& name) {
  remember(name);
  ::unsetenv(name.c_str());
}

}  // namespace r1::test
