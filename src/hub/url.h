// The hub's URLs: the repo API and the resolve endpoint, with paths percent-encoded as
// huggingface_hub encodes them.
#pragma once

#include <string>
#include <string_view>

namespace r1::hub {

/// Percent-encodes every byte but letters, digits, "-._~" and the characters in `safe` (Python's
/// urllib.parse.quote).
std::string url_quote(std::string_view text, std::string_view safe = "/");

/// {endpoint}/api/models/{repo}/revision/{revision} (revision encoded whole, '/' included).
std::string repo_info_url(const std::string& endpoint, const std::string& repo,
                          const std::string& revision);

/// {endpoint}/{repo}/resolve/{revision}/{file}.
std::string resolve_url(const std::string& endpoint, const std::string& repo,
                        const std::string& revision, const std::string& file);

/// "scheme://host[:port]" of a URL, lowercased; "" if it has no "://".
std::string url_origin(std::string_view url);

}  // namespace r1::hub
