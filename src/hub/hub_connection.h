// Requests to one hub endpoint: the token sent only to the endpoint itself, retries with backoff
// for network errors and 5xx/429 answers, and one line on stderr (or a test's callback) per retry.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "hub/hub_errors.h"
#include "hub/hub_settings.h"
#include "hub/http_client.h"

namespace r1::hub {

struct RetryPolicy {
  int attempts = 5;                                  // tries in all, the first included
  std::chrono::milliseconds first_delay{1000};       // doubled after each failed try
  std::chrono::milliseconds max_delay{16000};
};

class HubConnection {
 public:
  using Notice = std::function<void(const std::string& line)>;

  HubConnection(HubSettings settings, RetryPolicy retry = {}, Notice notice = nullptr);

  const HubSettings& settings() const { return settings_; }
  const RetryPolicy& retry_policy() const { return retry_; }
  void notify(const std::string& line) const;

  /// The request with the Authorization header added when it goes to the endpoint's origin.
  HttpRequest with_auth(HttpRequest request) const;

  /// One try: no retries, errors as HttpClient::perform throws them.
  HttpResponse send_once(const HttpRequest& request, const BodySink& sink = nullptr,
                         const HeadersCallback& on_headers = nullptr);

  /// A request without a body sink (API JSON, HEAD), retried on NetworkError and 5xx/429. Returns
  /// the answer (any status but those) or throws the last error after the last try.
  HttpResponse send_with_retries(const HttpRequest& request, const RequestSubject& subject);

  /// Sleeps before retry number `retry` (1-based) and says so.
  void wait_before_retry(int retry, const std::string& reason) const;

  /// The subject of a request for error messages (token fields filled in).
  RequestSubject subject(const std::string& repo, const std::string& revision,
                         const std::string& file = "") const;

 private:
  HubSettings settings_;
  RetryPolicy retry_;
  Notice notice_;
  HttpClient http_;
};

}  // namespace r1::hub
