// One HTTP request at a time over libcurl. Proxies come from the environment as libcurl reads
// them (https_proxy / HTTPS_PROXY, http_proxy, ALL_PROXY, no_proxy / NO_PROXY): nothing here
// overrides them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hub/http_headers.h"
#include "r1/error.h"

namespace r1::hub {

struct HttpRequest {
  std::string method = "GET";        // GET or HEAD
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  bool follow_redirects = false;     // follow 3xx (curl never sends Authorization to other hosts)
  long connect_timeout_s = 10;
  long stall_timeout_s = 60;         // give up when fewer than 1 byte/s arrive for this long
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;   // of the last response (after redirects)
  std::string body;      // for non-2xx answers, or 2xx ones without a body sink (capped at 1 MiB)
  std::string url;       // the URL that answered (after redirects)
};

/// No HTTP answer (DNS, refused connection, TLS, a connection dropped mid-body, timeout): curl's
/// reason and the URL. Worth retrying.
class NetworkError : public Error {
 public:
  NetworkError(const std::string& message) : Error(ErrorCode::io_error, message) {}
};

/// Receives the body of a 2xx response as it arrives. Throw to abort the transfer (the exception
/// reaches the caller of perform()).
using BodySink = std::function<void(const char* data, std::size_t size)>;
/// Called once the headers of the final response are in, before any body byte.
using HeadersCallback = std::function<void(const HttpResponse& response)>;

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// Performs the request. A 2xx body goes to `sink` when one is given; every other body is
  /// collected in the response. Throws NetworkError when no complete answer arrived.
  HttpResponse perform(const HttpRequest& request, const BodySink& sink = nullptr,
                       const HeadersCallback& on_headers = nullptr);

 private:
  void* curl_ = nullptr;  // CURL*, reused so connections are kept alive between requests
};

}  // namespace r1::hub
