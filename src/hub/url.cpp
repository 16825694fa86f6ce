#include "hub/url.h"

#include <cctype>

namespace r1::hub {

std::string url_quote(std::string_view text, std::string_view safe) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    const bool plain = std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' ||
                       safe.find(static_cast<char>(c)) != std::string_view::npos;
    if (plain) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

std::string repo_info_url(const std::string& endpoint, const std::string& repo,
                          const std::string& revision) {
  return endpoint + "/api/models/" + repo + "/revision/" + url_quote(revision, "") + "?blobs=true";
}

std::string resolve_url(const std::string& endpoint, const std::string& repo,
                        const std::string& revision, const std::string& file) {
  return endpoint + "/" + repo + "/resolve/" + url_quote(revision, "") + "/" + url_quote(file);
}

std::string url_origin(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "";
  const auto path_start = url.find_first_of("/?#", scheme_end + 3);
  std::string origin(url.substr(0, path_start));
  for (char& c : origin) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return origin;
}

}  // namespace r1::hub
