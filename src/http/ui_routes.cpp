#include "http/ui_routes.h"

#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "webui/embedded_ui.h"

namespace r1::http {
namespace {

namespace fs = std::filesystem;

// X-Content-Type-Options: nosniff comes with every response (api_server.cpp).
void add_security_headers(httplib::Response& res) {
  res.set_header("Content-Security-Policy", std::string(ui_content_security_policy()));
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cache-Control", "no-cache");
}

void send_text_error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(message + "\n", "text/plain; charset=utf-8");
}

void send_file(const httplib::Request& req, httplib::Response& res, std::string_view name,
               std::string_view content, const std::string& etag) {
  add_security_headers(res);
  res.set_header("ETag", etag);
  if (req.get_header_value("If-None-Match") == etag) {
    res.status = 304;
    return;
  }
  res.set_content(std::string(content), std::string(content_type_for(name)));
}

// A file of --ui-dir, refusing any path that would leave the folder.
bool read_from_dir(const std::string& dir, const std::string& relative, std::string& out) {
  const fs::path rel = fs::path(relative).lexically_normal();
  if (rel.empty() || rel.is_absolute() || *rel.begin() == "..") return false;
  std::ifstream in(fs::path(dir) / rel, std::ios::binary);
  if (!in || fs::is_directory(fs::path(dir) / rel)) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  out = buffer.str();
  return true;
}

}  // namespace

std::string_view ui_content_security_policy() {
  return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
         "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
         "form-action 'none'; object-src 'none'";
}

std::string_view content_type_for(std::string_view name) {
  const auto dot = name.rfind('.');
  const std::string_view ext = dot == std::string_view::npos ? "" : name.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "json") return "application/json";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "woff2") return "font/woff2";
  if (ext == "woff") return "font/woff";
  if (ext == "ttf") return "font/ttf";
  if (ext == "txt" || ext == "md") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

void register_ui_routes(httplib::Server& server, const UiOptions& options) {
  const std::string ui_dir = options.ui_dir;
  // One handler for both sources; url is "/ui/..." or "/vendor/...".
  auto serve = [ui_dir](const std::string& url, const httplib::Request& req,
                        httplib::Response& res) {
    if (!ui_dir.empty() && url.rfind("/ui/", 0) == 0) {
      std::string content;
      if (!read_from_dir(ui_dir, url.substr(4), content)) {
        send_text_error(res, 404, "No file " + url.substr(4) + " in --ui-dir " + ui_dir + ".");
        return;
      }
      send_file(req, res, url, content, webui::etag_of(content));
      return;
    }
    const webui::EmbeddedFile* file = webui::find_embedded(url);
    if (file == nullptr) {
      send_text_error(res, 404, "No file " + url + " in the web UI.");
      return;
    }
    send_file(req, res, url, file->content, file->etag);
  };
  server.Get("/", [serve](const httplib::Request& req, httplib::Response& res) {
    serve("/ui/index.html", req, res);
  });
  server.Get(R"(/(ui|vendor)/.+)", [serve](const httplib::Request& req, httplib::Response& res) {
    serve(req.path, req, res);
  });
}

}  // namespace r1::http
