// DNS-rebinding defence: a page on another site can point a name it controls at 127.0.0.1 and make
// the browser talk to `r1 serve` under that name, reading saved conversations as "same origin".
// The browser still sends that name in the Host header, so every request's Host is checked against
// the names this server is really known by.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace r1::server {

struct HostPolicy {
  std::string bound_host;                  // the --host the server listens on
  std::vector<std::string> allowed_hosts;  // --allowed-host names (no port), compared case-blind
};

/// The host name of a Host header without its port, lower-case, without a trailing dot, and
/// without the brackets of an IPv6 literal: "[::1]:7860" -> "::1", "LocalHost.:80" -> "localhost".
std::string host_name_of(std::string_view host_header);

/// Whether a request with this Host header may be served: localhost (and *.localhost, which
/// browsers resolve to loopback themselves), any IP literal (no DNS name, so nothing to rebind),
/// the bound address, and the allowed names. An absent header (HTTP/1.0 tools; browsers always
/// send one) is allowed.
bool host_allowed(std::string_view host_header, const HostPolicy& policy);

/// The 403 message for a refused Host, naming the option that admits it.
std::string host_refused_message(std::string_view host_header);

}  // namespace r1::server
