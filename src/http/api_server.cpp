#include "http/api_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>

#include <cerrno>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>

#include "http/generation.h"
#include "http/history_routes.h"
#include "http/ui_routes.h"
#include "server/api_error.h"
#include "server/api_key.h"
#include "server/host_check.h"
#include "server/metrics.h"
#include "server/openai_response.h"

namespace r1::http {
namespace {

using Clock = std::chrono::steady_clock;
using server::ApiError;

// What the log line of the request being served on this thread reports.
struct RequestLog {
  Clock::time_point start;
  std::int64_t prompt_tokens = -1;
  std::int64_t completion_tokens = -1;
  double ttft = -1;
};
thread_local RequestLog t_log;

// Headers of one request, all lines together (431 beyond).
constexpr std::size_t kMaxHeaderBytes = 32 * 1024;

struct Route {
  const char* method;
  const char* path;
};
constexpr Route kRoutes[] = {
    {"GET", "/health"},          {"GET", "/metrics"},           {"GET", "/v1/models"},
    {"POST", "/v1/chat/completions"}, {"POST", "/v1/completions"}, {"POST", "/tokenize"},
    {"POST", "/detokenize"},
};

bool is_known_path(const std::string& path) {
  for (const Route& r : kRoutes)
    if (path == r.path) return true;
  return false;
}

void send_error(httplib::Response& res, const ApiError& error) {
  res.status = error.status;
  if (error.status == 503) res.set_header("Retry-After", "2");
  res.set_content(server::error_body(error).dump(), "application/json");
}

// Is the body declared as JSON? ("application/json", optionally with parameters.)
bool is_json(const httplib::Request& req) {
  std::string type = req.get_header_value("Content-Type");
  const auto semicolon = type.find(';');
  if (semicolon != std::string::npos) type.resize(semicolon);
  while (!type.empty() && type.back() == ' ') type.pop_back();
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type == "application/json";
}

// Why bind failed, as one line the user can act on.
std::string bind_failure(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (getaddrinfo(host.c_str(), service.c_str(), &hints, &found) != 0 || found == nullptr) {
    return "cannot listen on " + host + ":" + service + ": the host name does not resolve";
  }
  int error = 0;
  const int fd = socket(found->ai_family, found->ai_socktype, found->ai_protocol);
  if (fd >= 0) {
    const int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(fd, found->ai_addr, found->ai_addrlen) != 0) error = errno;
    close(fd);
  } else {
    error = errno;
  }
  freeaddrinfo(found);
  if (error == EADDRINUSE) {
    return "port " + service + " is already in use on " + host +
           " (see which process holds it: `ss -ltnp 'sport = :" + service +
           "'`); stop it or choose another port with --port";
  }
  if (error == EACCES) {
    return "no permission to listen on port " + service +
           " (ports below 1024 need root); choose another with --port";
  }
  return "cannot listen on " + host + ":" + service + ": " +
         (error != 0 ? std::strerror(error) : "unknown error");
}

}  // namespace

struct ApiServer::Impl {
  explicit Impl(ServerOptions o) : options(std::move(o)), metrics(registry) {}

  ServerOptions options;
  httplib::Server http;
  std::thread thread;
  std::atomic<bool> listen_returned{false};
  int bound_port = 0;
  std::atomic<bool> ready{false};
  std::mutex model_mutex;
  std::shared_ptr<const ServedModel> model;
  server::MetricsRegistry registry;
  server::ServerMetrics metrics;
  server::Gauge* prefill_rate = &registry.gauge(
      "prefill_tokens_per_second", "Prompt tokens computed per second of prefill forward passes");
  server::Gauge* decode_rate = &registry.gauge(
      "decode_tokens_per_second", "Tokens generated per second of decode-only forward passes");
  server::Counter* reused_tokens = &registry.counter(
      "prompt_tokens_reused_total", "Prompt tokens whose keys/values came from the prefix cache");
  double reused_seen = 0;

  std::shared_ptr<const ServedModel> current_model() {
    std::lock_guard lock(model_mutex);
    return model;
  }

  void configure() {
    http.set_payload_max_length(options.max_body_bytes);
    http.set_read_timeout(options.read_timeout_seconds, 0);
    http.set_write_timeout(options.write_timeout_seconds, 0);
    http.set_keep_alive_timeout(5);
    // Only SO_REUSEADDR: httplib's default also sets SO_REUSEPORT, which would let a second
    // server bind the same port silently instead of failing with "port in use".
    http.set_socket_options([](int fd) {
      const int yes = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    const auto threads = static_cast<std::size_t>(std::max(options.http_threads, 4));
    http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };

    http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      t_log = RequestLog{Clock::now()};
      // Every answer (JSON, SSE, the page, errors) is exactly the type it says it is.
      res.set_header("X-Content-Type-Options", "nosniff");
      // cpp-httplib refuses a single header line over 8 KB itself (400); the total is ours.
      std::size_t header_bytes = 0;
      for (const auto& [name, value] : req.headers) header_bytes += name.size() + value.size() + 4;
      if (header_bytes > kMaxHeaderBytes) {
        send_error(res, ApiError(431,
                                 "The request headers are " + std::to_string(header_bytes) +
                                     " bytes; the limit is " + std::to_string(kMaxHeaderBytes) + ".",
                                 "invalid_request_error", "", "request_header_fields_too_large"));
        return httplib::Server::HandlerResponse::Handled;
      }
      // Before anything else, CORS included: a rebinding page must learn nothing.
      if (!server::host_allowed(req.get_header_value("Host"),
                                {options.host, options.allowed_hosts})) {
        send_error(res, ApiError(403, server::host_refused_message(req.get_header_value("Host")),
                                 "invalid_request_error", "", "host_not_allowed"));
        return httplib::Server::HandlerResponse::Handled;
      }
      add_cors_headers(req, res);
      if (req.method == "OPTIONS") {
        res.status = 204;
        return httplib::Server::HandlerResponse::Handled;
      }
      if (req.path == "/health") return httplib::Server::HandlerResponse::Unhandled;
      // /api (the web chat's history) is protected exactly like /v1.
      if (!options.api_key.empty() && (is_known_path(req.path) || is_history_path(req.path)) &&
          !server::api_key_matches(req.get_header_value("Authorization"), options.api_key)) {
        send_error(res, server::authentication(
                            "Incorrect API key provided. Pass it as 'Authorization: Bearer KEY'."));
        return httplib::Server::HandlerResponse::Handled;
      }
      if (!ready && is_known_path(req.path)) {
        send_error(res, server::overloaded("The model is still loading; retry shortly."));
        return httplib::Server::HandlerResponse::Handled;
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });

    // Errors httplib produces itself (no route, body too large, bad request line) get OpenAI's
    // error object too.
    http.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      if (res.status == 404 && is_known_path(req.path)) {
        send_error(res, server::method_not_allowed(req.method, req.path));
      } else if (res.status == 404) {
        send_error(res, server::not_found("Unknown request URL: " + req.method + " " + req.path +
                                          ". See the README for the routes r1 serves."));
      } else if (res.status == 413) {
        send_error(res, server::payload_too_large(options.max_body_bytes));
      } else if (res.status == 400) {
        send_error(res, server::invalid_request("The HTTP request could not be parsed."));
      } else if (res.status >= 400) {
        send_error(res, ApiError(res.status, "HTTP error " + std::to_string(res.status),
                                 res.status >= 500 ? "server_error" : "invalid_request_error"));
      }
    });

    http.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
          try {
            std::rethrow_exception(ep);
          } catch (const ApiError& error) {
            send_error(res, error);
          } catch (const std::exception& error) {
            send_error(res, server::internal(error.what()));
          }
        });

    http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      // A request httplib refused before routing never set the start time.
      const double seconds =
          t_log.start == Clock::time_point{}
              ? 0.0
              : std::chrono::duration<double>(Clock::now() - t_log.start).count();
      t_log.start = Clock::time_point{};
      std::string line = req.method + " " + req.path + " " + std::to_string(res.status);
      if (t_log.prompt_tokens >= 0) {
        char buffer[160];
        std::snprintf(buffer, sizeof buffer, " prompt=%lld completion=%lld ttft=%.3fs",
                      static_cast<long long>(t_log.prompt_tokens),
                      static_cast<long long>(t_log.completion_tokens), t_log.ttft);
        line += buffer;
      }
      char tail[48];
      std::snprintf(tail, sizeof tail, " %.3fs\n", seconds);
      line += tail;
      std::fputs(line.c_str(), stderr);
      if (is_known_path(req.path))
        metrics.requests.inc({req.path, std::to_string(res.status)});
      metrics.request_duration.observe(seconds);
    });

    http.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
      if (!ready) {
        res.status = 503;
        res.set_header("Retry-After", "2");
        res.set_content(R"({"status":"loading"})", "application/json");
        return;
      }
      res.set_content(R"({"status":"ok"})", "application/json");
    });
    http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      refresh_engine_gauges();
      res.set_content(registry.render(), "text/plain; version=0.0.4");
    });
    http.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
      const auto m = current_model();
      res.set_content(server::json_text(server::model_list({{m->id, m->created}})),
                      "application/json");
    });
    http.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
      generate(Api::chat, req, res);
    });
    http.Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) {
      generate(Api::completions, req, res);
    });
    http.Post("/tokenize", [this](const httplib::Request& req, httplib::Response& res) {
      tokenize(req, res);
    });
    http.Post("/detokenize", [this](const httplib::Request& req, httplib::Response& res) {
      detokenize(req, res);
    });
    register_history_routes(http, options.history, options.history_unavailable);
    register_ui_routes(http, {options.ui_dir});
    // Every other method on a known path is 405.
    auto not_allowed = [](const httplib::Request& req, httplib::Response& res) {
      send_error(res, server::method_not_allowed(req.method, req.path));
    };
    for (const Route& r : kRoutes) {
      const std::string method = r.method;
      if (method != "GET") http.Get(r.path, not_allowed);
      if (method != "POST") http.Post(r.path, not_allowed);
      http.Put(r.path, not_allowed);
      http.Delete(r.path, not_allowed);
      http.Patch(r.path, not_allowed);
    }
  }

  void add_cors_headers(const httplib::Request& req, httplib::Response& res) const {
    if (options.cors_origins.empty()) return;
    const std::string origin = req.get_header_value("Origin");
    if (origin.empty()) return;
    bool allowed = false;
    bool any = false;
    for (const std::string& o : options.cors_origins) {
      if (o == "*") any = true;
      if (o == origin) allowed = true;
    }
    if (!allowed && !any) return;
    // "*" is answered as "*" (never the reflected origin), so no credentials ride on it.
    res.set_header("Access-Control-Allow-Origin", allowed ? origin : "*");
    if (allowed) res.set_header("Vary", "Origin");
    res.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type");
    res.set_header("Access-Control-Max-Age", "600");
  }

  void refresh_engine_gauges() {
    const auto m = current_model();
    if (!m) return;
    const engine::EngineMetrics e = m->engine->metrics();
    metrics.queue_length.set(static_cast<double>(e.queued));
    metrics.active_sequences.set(static_cast<double>(e.active_sequences));
    metrics.kv_blocks_used.set(static_cast<double>(e.kv_blocks_used));
    metrics.kv_blocks_cached.set(static_cast<double>(e.kv_blocks_cached));
    metrics.kv_blocks_free.set(
        static_cast<double>(e.kv_blocks_total - e.kv_blocks_used - e.kv_blocks_cached));
    if (e.prefill_seconds > 0)
      prefill_rate->set(static_cast<double>(e.prompt_tokens) / e.prefill_seconds);
    if (e.decode_seconds > 0)
      decode_rate->set(static_cast<double>(e.generated_tokens) / e.decode_seconds);
    const auto reused = static_cast<double>(e.reused_tokens);
    if (reused > reused_seen) {
      reused_tokens->inc({}, reused - reused_seen);
      reused_seen = reused;
    }
  }

  void record(ResponseBuilder& builder) {
    t_log.prompt_tokens = builder.prompt_tokens();
    t_log.completion_tokens = builder.completion_tokens();
    t_log.ttft = builder.first_token_seconds();
    metrics.prompt_tokens.inc({}, static_cast<double>(builder.prompt_tokens()));
    metrics.generation_tokens.inc({}, static_cast<double>(builder.completion_tokens()));
    if (builder.completion_tokens() > 0)
      metrics.time_to_first_token.observe(builder.first_token_seconds());
    for (const double gap : builder.take_token_gaps()) metrics.inter_token_latency.observe(gap);
  }

  std::shared_ptr<engine::RequestHandle> submit(const ServedModel& m, PreparedGeneration& p) {
    try {
      return m.engine->submit(p.request);
    } catch (const engine::ContextLengthExceeded& error) {
      throw server::context_length_exceeded(error.what());
    } catch (const engine::EngineOverloaded& error) {
      throw server::overloaded(error.what());
    } catch (const Error& error) {
      throw server::from_error(error);
    }
  }

  void generate(Api api, const httplib::Request& req, httplib::Response& res) {
    if (!is_json(req)) {
      send_error(res, server::invalid_request(
                          "Expected Content-Type: application/json, got '" +
                          req.get_header_value("Content-Type") + "'."));
      return;
    }
    const std::shared_ptr<const ServedModel> m = current_model();
    auto prepared = std::make_shared<PreparedGeneration>(prepare_generation(*m, api, req.body));
    auto handle = submit(*m, *prepared);
    auto builder = std::make_shared<ResponseBuilder>(*m, *prepared);
    if (!prepared->stream) {
      while (!handle->done()) {
        std::vector<engine::StreamEvent> events = handle->wait(std::chrono::milliseconds(500));
        builder->absorb(events);
      }
      record(*builder);
      res.set_content(builder->whole_response(), "application/json");
      return;
    }
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    auto started = std::make_shared<bool>(false);
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, m, prepared, handle, builder, started](std::size_t, httplib::DataSink& sink) {
          auto send = [&](const std::string& text) {
            if (text.empty() || sink.write(text.data(), text.size())) return true;
            handle->cancel();  // the client went away: free its sequence within one step
            return false;
          };
          if (!*started) {
            *started = true;
            if (!send(builder->stream_start())) return false;
          }
          auto last_write = Clock::now();
          while (!handle->done()) {
            std::vector<engine::StreamEvent> events = handle->wait(std::chrono::milliseconds(250));
            if (events.empty()) {
              // An SSE comment now and then finds a vanished client while the request waits.
              if (Clock::now() - last_write > std::chrono::seconds(2)) {
                if (!send(": keep-alive\n\n")) return false;
                last_write = Clock::now();
              }
              continue;
            }
            if (!send(builder->stream_events(events))) return false;
            last_write = Clock::now();
          }
          record(*builder);
          if (!send(builder->stream_end())) return false;
          sink.done();
          return true;
        },
        [handle](bool success) {
          if (!success) handle->cancel();
        });
  }

  void tokenize(const httplib::Request& req, httplib::Response& res) {
    const auto m = current_model();
    nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("content") || !body["content"].is_string()) {
      throw server::invalid_request("Expected {\"content\": \"text\"}.", "content");
    }
    bool add_special = true;
    if (body.contains("add_special")) {
      if (!body["add_special"].is_boolean())
        throw server::invalid_request("add_special must be true or false.", "add_special");
      add_special = body["add_special"].get<bool>();
    }
    std::vector<TokenId> ids;
    try {
      ids = m->tokenizer->encode(
          body["content"].get<std::string>(),
          {.special_tokens = add_special ? SpecialTokens::add : SpecialTokens::skip});
    } catch (const Error& error) {
      throw server::from_error(error, "content");
    }
    nlohmann::json out = {{"tokens", ids}, {"count", ids.size()},
                          {"max_model_len", m->engine->ctx_size()}};
    res.set_content(out.dump(), "application/json");
  }

  void detokenize(const httplib::Request& req, httplib::Response& res) {
    const auto m = current_model();
    nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("tokens") || !body["tokens"].is_array()) {
      throw server::invalid_request("Expected {\"tokens\": [ids]}.", "tokens");
    }
    std::vector<TokenId> ids;
    for (std::size_t i = 0; i < body["tokens"].size(); ++i) {
      const auto& v = body["tokens"][i];
      if (!v.is_number_integer() || v.get<std::int64_t>() < 0 ||
          v.get<std::int64_t>() >= m->tokenizer->vocab_size()) {
        throw server::invalid_request("tokens[" + std::to_string(i) +
                                          "] is not a token id of this model's vocabulary.",
                                      "tokens");
      }
      ids.push_back(static_cast<TokenId>(v.get<std::int64_t>()));
    }
    const nlohmann::json out = {{"content", m->tokenizer->decode(ids)}};
    res.set_content(server::json_text(nlohmann::ordered_json(out)), "application/json");
  }
};

ApiServer::ApiServer(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  impl_->configure();
}

ApiServer::~ApiServer() { stop(); }

void ApiServer::bind() {
  Impl& s = *impl_;
  if (s.options.port == 0) {
    s.bound_port = s.http.bind_to_any_port(s.options.host);
    if (s.bound_port < 0) throw Error(ErrorCode::io_error, bind_failure(s.options.host, 0));
    return;
  }
  if (!s.http.bind_to_port(s.options.host, s.options.port)) {
    throw Error(ErrorCode::io_error, bind_failure(s.options.host, s.options.port));
  }
  s.bound_port = s.options.port;
}

void ApiServer::start() {
  impl_->thread = std::thread([this] {
    impl_->http.listen_after_bind();
    impl_->listen_returned = true;
  });
  // Until the accept loop runs, httplib's stop() does nothing: a stop() right after start() (the
  // model failing to load at once) would then wait forever for the thread.
  while (!impl_->http.is_running() && !impl_->listen_returned) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void ApiServer::set_model(ServedModel model) {
  {
    std::lock_guard lock(impl_->model_mutex);
    impl_->model = std::make_shared<const ServedModel>(std::move(model));
  }
  impl_->ready = true;
}

void ApiServer::stop() {
  if (!impl_) return;
  if (impl_->http.is_running()) impl_->http.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

int ApiServer::port() const { return impl_->bound_port; }

}  // namespace r1::http
