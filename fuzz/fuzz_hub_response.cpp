// libFuzzer target: feeds the input to what r1 pull reads from a hub it does not control: the
// response header lines (as libcurl hands them over) and the values taken from them
// (Content-Range, ETag, sizes), and the repo API's JSON. Any r1::Error is an expected outcome;
// crashes, sanitizer reports and broken guarantees (a "safe" path with a ".." part, a range whose
// end precedes its start) are bugs. Seed corpus: fuzz/corpus/hub_response/.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "hub/hub_api.h"
#include "hub/http_headers.h"
#include "r1/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);

  r1::hub::HttpHeaders headers;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    headers.add_line(std::string_view(text).substr(start, end - start + (end < text.size())));
    start = end + 1;
  }
  for (const auto& [name, value] : headers.entries()) {
    if (const auto range = r1::hub::parse_content_range(value)) {
      if (range->last < range->first) __builtin_trap();
      if (range->total && *range->total <= range->last) __builtin_trap();
    }
    const std::string etag = r1::hub::normalize_etag(value);
    if (etag.size() > value.size()) __builtin_trap();
    (void)r1::hub::parse_byte_count(value);
  }

  try {
    const r1::hub::RepoInfo info = r1::hub::parse_repo_info(text, "http://fuzz/api");
    if (!r1::hub::is_commit_hash(info.commit)) __builtin_trap();
    for (const r1::hub::RepoFile& file : info.files) {
      const std::string path = "/" + file.path + "/";
      if (path.find("/../") != std::string::npos || path.find("/./") != std::string::npos ||
          path.find("//") != std::string::npos)
        __builtin_trap();
    }
  } catch (const r1::Error&) {
    // Rejected answers are fine.
  }
  return 0;
}
