// Response headers as libcurl hands them over (one raw line at a time), looked up without regard
// to case, plus the few header values the hub downloader reads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace r1::hub {

class HttpHeaders {
 public:
  /// Takes one raw header line ("Name: value\r\n"). A status line ("HTTP/1.1 302 Found") starts
  /// a new response (after a redirect or a 100 Continue): the headers so far are dropped and its
  /// status is returned; other lines return nullopt. Lines without ':' are ignored.
  std::optional<int> add_line(std::string_view line);

  /// The first value of header `name` (any case), trimmed; nullopt when absent.
  std::optional<std::string> get(std::string_view name) const;

  const std::vector<std::pair<std::string, std::string>>& entries() const { return entries_; }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;  // names lowercased
};

/// The parts of "Content-Range: bytes FIRST-LAST/TOTAL" (TOTAL may be '*').
struct ContentRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  std::optional<std::uint64_t> total;
};
std::optional<ContentRange> parse_content_range(std::string_view value);

/// An ETag as a file name, as huggingface_hub normalizes it: a leading W/ and the quotes dropped.
std::string normalize_etag(std::string_view etag);

/// A decimal byte count; nullopt for anything else (signs, spaces inside, overflow).
std::optional<std::uint64_t> parse_byte_count(std::string_view text);

}  // namespace r1::hub
