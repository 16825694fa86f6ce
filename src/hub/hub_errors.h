// Hub answers that are not 2xx, turned into messages that say what to do: 401/403 (login, gated
// repos), 404 (repo, revision or file), anything else with the URL and the hub's own words.
#pragma once

#include <string>

#include "hub/http_client.h"

namespace r1::hub {

/// What the failing request was after, for the message.
struct RequestSubject {
  std::string repo;
  std::string revision;
  std::string file;           // empty for repo-level requests
  bool token_sent = false;
  std::string token_source;   // where the token came from
};

/// Throws Error for a non-2xx `response` to `url`: not_found for 404, invalid_argument for
/// 401/403 (the caller must change something), io_error for the rest.
[[noreturn]] void throw_hub_error(const HttpResponse& response, const std::string& url,
                                  const RequestSubject& subject);

/// 5xx and 429: the hub or a proxy is overloaded or restarting; the request may succeed later.
bool is_retryable_status(int status);

}  // namespace r1::hub
