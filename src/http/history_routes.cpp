#include "http/history_routes.h"

#include <httplib.h>

#include "history/conversation_json.h"
#include "history/conversation_store.h"
#include "server/api_error.h"

namespace r1::http {
namespace {

using history::ConversationStore;
using history::StoreError;
using server::ApiError;

constexpr const char* kBase = "/api/conversations";

void send_json(httplib::Response& res, int status, const nlohmann::ordered_json& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(body.dump(), "application/json");
}

void send_error(httplib::Response& res, const ApiError& error) {
  res.status = error.status;
  if (error.status == 503) res.set_header("Retry-After", "5");
  res.set_content(server::error_body(error).dump(), "application/json");
}

ApiError to_api_error(const StoreError& e) {
  using Kind = StoreError::Kind;
  switch (e.kind) {
    case Kind::invalid: return server::invalid_request(e.what(), e.param);
    case Kind::not_found: return server::not_found(e.what(), "conversation_not_found");
    case Kind::conflict:
      return ApiError(409, e.what(), "invalid_request_error", e.param, "conflict");
    case Kind::disk_full:
      return ApiError(507, std::string("History is not being saved: ") + e.what(),
                      "server_error", "", "history_not_saved");
    case Kind::not_saved:
    case Kind::busy:
      return ApiError(503, std::string("History is not being saved: ") + e.what(),
                      "server_error", "", "history_not_saved");
    case Kind::unavailable:
      return ApiError(503, std::string("history unavailable: ") + e.what(), "server_error", "",
                      "history_unavailable");
  }
  return server::internal(e.what());
}

std::string lower_media_type(const httplib::Request& req) {
  std::string type = req.get_header_value("Content-Type");
  if (const auto semicolon = type.find(';'); semicolon != std::string::npos) type.resize(semicolon);
  while (!type.empty() && type.back() == ' ') type.pop_back();
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type;
}

// The body as a JSON object; 415 for another media type, 400 for malformed JSON.
nlohmann::json json_body(const httplib::Request& req) {
  if (lower_media_type(req) != "application/json")
    throw ApiError(415,
                   "Expected Content-Type: application/json, got '" +
                       req.get_header_value("Content-Type") +
                       "'. The History API accepts JSON only.",
                   "invalid_request_error", "", "unsupported_media_type");
  nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded())
    throw server::invalid_request("The body is not valid JSON.", "", "invalid_json");
  if (!body.is_object()) throw server::invalid_request("The body must be a JSON object.");
  return body;
}

std::int64_t int_param(const httplib::Request& req, const char* name, std::int64_t fallback) {
  if (!req.has_param(name)) return fallback;
  const std::string text = req.get_param_value(name);
  std::size_t used = 0;
  long long value = 0;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size())
    throw server::invalid_request(std::string(name) + " must be an integer, got '" +
                                      text.substr(0, 40) + "'",
                                  name);
  return value;
}

std::optional<std::string> optional_title(const nlohmann::json& body) {
  if (!body.contains("title") || body["title"].is_null()) return std::nullopt;
  if (!body["title"].is_string()) throw server::invalid_request("title must be a string", "title");
  return body["title"].get<std::string>();
}

std::optional<nlohmann::json> optional_settings(const nlohmann::json& body) {
  if (!body.contains("settings") || body["settings"].is_null()) return std::nullopt;
  return body["settings"];
}

// Ids are ours (UUIDs); anything else is a 404 before it reaches SQL.
bool plausible_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (const char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  return true;
}

class Routes : public std::enable_shared_from_this<Routes> {
 public:
  Routes(std::shared_ptr<ConversationStore> store, std::string reason)
      : store_(std::move(store)), reason_(std::move(reason)) {}

  // Wraps a handler: the store's absence, StoreErrors and ApiErrors become error responses;
  // nothing a request does can take the server down.
  template <typename F>
  httplib::Server::Handler handle(F body) {
    // The handler holds the Routes object for as long as the server keeps the handler.
    return [self = shared_from_this(), body](const httplib::Request& req,
                                            httplib::Response& res) {
      try {
        if (!self->store_)
          throw ApiError(503, "history unavailable: " + self->reason_, "server_error", "",
                         "history_unavailable");
        body(*self->store_, req, res);
      } catch (const StoreError& e) {
        send_error(res, to_api_error(e));
      } catch (const ApiError& e) {
        send_error(res, e);
      } catch (const std::exception& e) {
        send_error(res, server::internal(std::string("history: ") + e.what()));
      }
    };
  }

  static std::string id_of(const httplib::Request& req) {
    const std::string id = req.matches[1];
    if (!plausible_id(id))
      throw StoreError(StoreError::Kind::not_found, "no conversation with id '" +
                                                        id.substr(0, 64) + "'");
    return id;
  }

 private:
  std::shared_ptr<ConversationStore> store_;
  std::string reason_;
};

}  // namespace

bool is_history_path(const std::string& path) {
  return path == "/api" || path.rfind("/api/", 0) == 0;
}

void register_history_routes(httplib::Server& server,
                             std::shared_ptr<history::ConversationStore> store,
                             std::string unavailable_reason) {
  auto routes = std::make_shared<Routes>(std::move(store), std::move(unavailable_reason));
  Routes& r = *routes;
  const std::string base = kBase;
  const std::string one = base + "/([^/]+)";

  server.Get(base, r.handle([](ConversationStore& s, const httplib::Request& req,
                               httplib::Response& res) {
    const std::string query = req.has_param("q") ? req.get_param_value("q") : "";
    const std::int64_t limit = int_param(req, "limit", 50);
    const std::int64_t offset = int_param(req, "offset", 0);
    const history::ConversationPage page = s.list(query, limit, offset);
    nlohmann::ordered_json out;
    out["object"] = "list";
    out["data"] = nlohmann::ordered_json::array();
    for (const auto& item : page.items) out["data"].push_back(history::summary_json(item));
    out["total"] = page.total;
    out["limit"] = limit;
    out["offset"] = offset;
    out["has_more"] = offset + static_cast<std::int64_t>(page.items.size()) < page.total;
    send_json(res, 200, out);
  }));
  server.Post(base, r.handle([](ConversationStore& s, const httplib::Request& req,
                                httplib::Response& res) {
    const nlohmann::json body = json_body(req);
    const auto settings = optional_settings(body);
    const auto c = s.create(optional_title(body).value_or(""),
                            settings.value_or(nlohmann::json::object()));
    send_json(res, 201, history::conversation_json(c, true));
  }));
  server.Post(base + "/import", r.handle([](ConversationStore& s, const httplib::Request& req,
                                            httplib::Response& res) {
    const history::ImportedConversation in = history::parse_import(json_body(req));
    const auto c = s.insert_whole(in.title, in.settings, in.messages, in.created_at);
    send_json(res, 201, history::conversation_json(c, true));
  }));
  server.Get(one, r.handle([](ConversationStore& s, const httplib::Request& req,
                              httplib::Response& res) {
    send_json(res, 200, history::conversation_json(s.get(Routes::id_of(req)), true));
  }));
  server.Patch(one, r.handle([](ConversationStore& s, const httplib::Request& req,
                                httplib::Response& res) {
    const std::string id = Routes::id_of(req);
    const nlohmann::json body = json_body(req);
    const auto c = s.update(id, optional_title(body), optional_settings(body));
    send_json(res, 200, history::conversation_json(c, false));
  }));
  server.Delete(one, r.handle([](ConversationStore& s, const httplib::Request& req,
                                 httplib::Response& res) {
    const std::string id = Routes::id_of(req);
    if (!s.remove(id))
      throw StoreError(StoreError::Kind::not_found, "no conversation with id '" + id + "'");
    res.status = 204;
  }));
  server.Post(one + "/messages", r.handle([](ConversationStore& s, const httplib::Request& req,
                                             httplib::Response& res) {
    const std::string id = Routes::id_of(req);
    const nlohmann::json body = json_body(req);
    std::optional<std::int64_t> replace;
    if (body.contains("replace_from_seq") && !body["replace_from_seq"].is_null()) {
      if (!body["replace_from_seq"].is_number_integer())
        throw server::invalid_request("replace_from_seq must be an integer", "replace_from_seq");
      replace = body["replace_from_seq"].get<std::int64_t>();
    }
    const auto m = s.append(id, history::parse_new_message(body), replace);
    send_json(res, 201, history::message_json(m));
  }));
  server.Get(one + "/export", r.handle([](ConversationStore& s, const httplib::Request& req,
                                          httplib::Response& res) {
    const std::string format = req.has_param("format") ? req.get_param_value("format") : "json";
    if (format != "json" && format != "markdown")
      throw server::invalid_request("format must be json or markdown, not '" +
                                        format.substr(0, 40) + "'",
                                    "format");
    const history::Conversation c = s.get(Routes::id_of(req));
    const std::string name = "conversation-" + c.id.substr(0, 8);
    res.set_header("Cache-Control", "no-store");
    if (format == "json") {
      res.set_header("Content-Disposition", "attachment; filename=\"" + name + ".json\"");
      res.set_content(history::export_json(c).dump(2), "application/json");
    } else {
      res.set_header("Content-Disposition", "attachment; filename=\"" + name + ".md\"");
      res.set_content(history::export_markdown(c), "text/markdown; charset=utf-8");
    }
  }));

  // Other methods on these paths are 405, not 404.
  auto not_allowed = [](const httplib::Request& req, httplib::Response& res) {
    send_error(res, server::method_not_allowed(req.method, req.path));
  };
  server.Put(base, not_allowed).Delete(base, not_allowed).Patch(base, not_allowed);
  server.Put(one, not_allowed).Post(one, not_allowed);
  server.Get(one + "/messages", not_allowed).Put(one + "/messages", not_allowed);
}

}  // namespace r1::http
