// The web chat page's files, carried inside the program (see CMakeLists.txt here): ui/ at
// /ui/..., the Debian-packaged libraries at /vendor/....
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace r1::webui {

struct EmbeddedFile {
  std::string_view url_path;  // "/ui/app.js", "/vendor/katex/katex.min.css", ...
  std::string_view content;
  std::string etag;           // quoted strong validator from the content's hash
};

/// The file served at this URL path, or nullptr.
const EmbeddedFile* find_embedded(std::string_view url_path);

/// How many files are embedded (for tests and the startup log).
std::size_t embedded_count();

/// A strong ETag ("\"<16 hex digits>\"") for content: FNV-1a 64 of the bytes, enough to tell
/// versions of one URL apart.
std::string etag_of(std::string_view content);

namespace detail {
struct RawFile {
  const char* url_path;
  const char* begin;
  const char* end;
};
extern const RawFile kFiles[];
extern const std::size_t kFileCount;
}  // namespace detail

}  // namespace r1::webui
