// The HTTP side of `r1 serve`: cpp-httplib (Debian's libcpp-httplib) with limits on body size,
// timeouts and threads; the OpenAI routes, /health, /metrics, /tokenize, /detokenize; API-key
// checks, CORS and one log line per request.
//
// The listener starts before the model is loaded: /health answers 503 with Retry-After until
// set_model() is called, and the API routes answer 503 the same way.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "http/served_model.h"

namespace r1::history {
class ConversationStore;
}

namespace r1::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 7860;
  std::string api_key;                    // empty: no authentication
  std::vector<std::string> cors_origins;  // empty: no CORS headers
  std::size_t max_body_bytes = 8u << 20;
  int read_timeout_seconds = 30;
  int write_timeout_seconds = 60;
  int http_threads = 32;  // connections served at once (streams hold one each)
  // The web chat's history (/api/conversations); null: those routes answer 503 with this reason.
  std::shared_ptr<history::ConversationStore> history;
  std::string history_unavailable = "no data directory was configured";
  std::vector<std::string> allowed_hosts;  // Host names admitted besides localhost / IP literals
  std::string ui_dir;                      // the web UI from this folder instead of the binary
};

class ApiServer {
 public:
  explicit ApiServer(ServerOptions options);
  ~ApiServer();

  /// Binds the port. Throws Error(io_error) with a one-line message when it is in use (naming the
  /// port and how to find the process) or cannot be bound.
  void bind();
  /// Serves on a background thread until stop().
  void start();
  /// Makes the API available (before this, 503 + Retry-After).
  void set_model(ServedModel model);
  /// Stops accepting and waits for the connections to finish (streams end once the engine has
  /// shut down).
  void stop();

  int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace r1::http
