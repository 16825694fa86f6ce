#include "server/host_check.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace r1::server {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_ip_literal(const std::string& name) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, name.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, name.c_str(), buffer) == 1;
}

bool ends_with(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::string host_name_of(std::string_view header) {
  while (!header.empty() && (header.front() == ' ' || header.front() == '\t')) header.remove_prefix(1);
  while (!header.empty() && (header.back() == ' ' || header.back() == '\t')) header.remove_suffix(1);
  std::string_view name = header;
  if (!name.empty() && name.front() == '[') {
    const auto close = name.find(']');
    if (close == std::string_view::npos) return lower(name);  // malformed: compared as is
    name = name.substr(1, close - 1);
  } else if (const auto colon = name.find(':');
             colon != std::string_view::npos && name.find(':', colon + 1) == std::string_view::npos) {
    name = name.substr(0, colon);  // one colon: host:port (several: a bare IPv6 literal)
  }
  std::string out = lower(name);
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

bool host_allowed(std::string_view host_header, const HostPolicy& policy) {
  if (host_header.empty()) return true;
  const std::string name = host_name_of(host_header);
  if (name.empty()) return false;
  if (name == "localhost" || ends_with(name, ".localhost")) return true;
  if (is_ip_literal(name)) return true;
  if (name == host_name_of(policy.bound_host)) return true;
  return std::any_of(policy.allowed_hosts.begin(), policy.allowed_hosts.end(),
                     [&](const std::string& allowed) { return host_name_of(allowed) == name; });
}

std::string host_refused_message(std::string_view host_header) {
  const std::string name = host_name_of(host_header);
  return "Host '" + std::string(host_header) +
         "' is not one this server answers to (a defence against DNS rebinding). Use "
         "http://localhost or the IP address, or start r1 serve with --allowed-host " +
         (name.empty() ? std::string("NAME") : name) + ".";
}

}  // namespace r1::server
