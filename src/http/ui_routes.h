// The web chat page: GET / (index.html), /ui/... (the page's own files) and /vendor/... (the
// Debian-packaged libraries), from the program itself or, with --ui-dir, /ui/ from a folder on
// disk (development: edit and reload). Every answer carries the page's security headers
// (Content-Security-Policy without inline scripts, X-Frame-Options: DENY, nosniff, no referrer)
// and an ETag; Cache-Control: no-cache makes the browser revalidate, which costs a 304.
#pragma once

#include <string>
#include <string_view>

namespace httplib {
class Server;
}

namespace r1::http {

struct UiOptions {
  std::string ui_dir;  // empty: the embedded copy
};

void register_ui_routes(httplib::Server& server, const UiOptions& options);

/// Content-Type for a file name by its extension ("app.js" -> "text/javascript; charset=utf-8").
std::string_view content_type_for(std::string_view file_name);

/// The Content-Security-Policy the page is served with.
std::string_view ui_content_security_policy();

}  // namespace r1::http
