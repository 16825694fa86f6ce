#include "webui/embedded_ui.h"

#include <cstdint>
#include <cstdio>
#include <vector>

namespace r1::webui {
namespace {

const std::vector<EmbeddedFile>& files() {
  // Hashed once, on first use, so an ETag costs nothing per request.
  static const std::vector<EmbeddedFile> table = [] {
    std::vector<EmbeddedFile> out;
    for (std::size_t i = 0; i < detail::kFileCount; ++i) {
      const detail::RawFile& raw = detail::kFiles[i];
      const std::string_view content(raw.begin, static_cast<std::size_t>(raw.end - raw.begin));
      out.push_back({raw.url_path, content, etag_of(content)});
    }
    return out;
  }();
  return table;
}

}  // namespace

std::string etag_of(std::string_view content) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (const char c : content) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ull;
  }
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "\"%016llx\"", static_cast<unsigned long long>(hash));
  return buffer;
}

const EmbeddedFile* find_embedded(std::string_view url_path) {
  for (const EmbeddedFile& f : files())
    if (f.url_path == url_path) return &f;
  return nullptr;
}

std::size_t embedded_count() { return files().size(); }

}  // namespace r1::webui
