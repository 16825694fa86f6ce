#include "hub/hub_connection.h"

#include <algorithm>
#include <cstdio>
#include <thread>

#include "hub/url.h"

namespace r1::hub {

HubConnection::HubConnection(HubSettings settings, RetryPolicy retry, Notice notice)
    : settings_(std::move(settings)), retry_(retry), notice_(std::move(notice)) {}

void HubConnection::notify(const std::string& line) const {
  if (notice_) {
    notice_(line);
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
}

HttpRequest HubConnection::with_auth(HttpRequest request) const {
  if (settings_.token && url_origin(request.url) == url_origin(settings_.endpoint)) {
    request.headers.push_back("Authorization: Bearer " + *settings_.token);
  }
  return request;
}

HttpResponse HubConnection::send_once(const HttpRequest& request, const BodySink& sink,
                                      const HeadersCallback& on_headers) {
  return http_.perform(with_auth(request), sink, on_headers);
}

void HubConnection::wait_before_retry(int retry, const std::string& reason) const {
  auto delay = retry_.first_delay;
  for (int i = 1; i < retry; ++i) delay = std::min(delay * 2, retry_.max_delay);
  notify("r1: " + reason + "; retrying in " + std::to_string(delay.count() / 1000.0).substr(0, 4) +
         " s (try " + std::to_string(retry + 1) + " of " + std::to_string(retry_.attempts) + ")");
  std::this_thread::sleep_for(delay);
}

HttpResponse HubConnection::send_with_retries(const HttpRequest& request,
                                              const RequestSubject& subject) {
  for (int attempt = 1;; ++attempt) {
    std::string reason;
    try {
      HttpResponse response = send_once(request);
      if (!is_retryable_status(response.status)) return response;
      if (attempt >= retry_.attempts) throw_hub_error(response, request.url, subject);
      reason = request.method + " " + request.url + " answered HTTP " +
               std::to_string(response.status);
    } catch (const NetworkError& error) {
      if (attempt >= retry_.attempts) {
        throw NetworkError(std::string(error.what()) + " (gave up after " +
                           std::to_string(retry_.attempts) +
                           " tries; check the network, a proxy (https_proxy) or HF_ENDPOINT)");
      }
      reason = error.what();
    }
    wait_before_retry(attempt, reason);
  }
}

RequestSubject HubConnection::subject(const std::string& repo, const std::string& revision,
                                      const std::string& file) const {
  return RequestSubject{repo, revision, file, settings_.token.has_value(), settings_.token_source};
}

}  // namespace r1::hub
