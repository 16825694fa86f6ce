// r1 serve: the OpenAI-compatible API on one copy of the weights. The port is bound first (a port
// in use is a one-line error before anything loads), /health says 503 while the model loads, then
// the engine thread serves every request with continuous batching. SIGTERM / SIGINT stop
// accepting, cancel what is still generating (streams end with [DONE]) and exit 0.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/generation_options.h"
#include "engine/serving_engine.h"
#include "model/kv_budget.h"
#include "history/conversation_store.h"
#include "http/api_server.h"
#include "r1/error.h"
#include "server/api_key.h"

namespace r1::cli {
namespace {

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    std::string item = text.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(item);
    start = end + 1;
  }
  return out;
}

std::filesystem::path default_data_dir() {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg != '\0')
    return std::filesystem::path(xdg) / "r1";
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0')
    return std::filesystem::path(home) / ".local" / "share" / "r1";
  return ".r1-data";
}

int positive(const Args& args, const std::string& name) {
  const int value = args.get_int(name);
  if (value <= 0) throw UsageError{"--" + name + " must be positive, got " + args.get(name)};
  return value;
}

}  // namespace

// --gpu-memory-fraction: a number in (0, 1].
double gpu_memory_fraction(const Args& args) {
  const std::string text = args.get("gpu-memory-fraction");
  try {
    std::size_t used = 0;
    const double value = std::stod(text, &used);
    if (used == text.size() && value > 0.0 && value <= 1.0) return value;
  } catch (const std::exception&) {
  }
  throw UsageError{"--gpu-memory-fraction must be a number above 0 and at most 1 (0.9: r1 may "
                   "fill 90 % of the GPU's memory), got '" + text + "'"};
}

// Positions of the shared KV pool: --kv-cache-tokens, else parallel x ctx-size; on a GPU at most
// what --gpu-memory-fraction leaves after the weights (an error at start-up, with the numbers,
// when not even one context fits, instead of an out-of-memory failure mid-request).
std::int64_t kv_pool_positions(const Args& args, const LoadedSession& session, int parallel,
                               std::int32_t ctx_size, DType kv_type, double fraction) {
  const bool explicit_size = args.has("kv-cache-tokens");
  std::int64_t positions = explicit_size ? positive(args, "kv-cache-tokens")
                                         : static_cast<std::int64_t>(parallel) * ctx_size;
  if (positions < ctx_size) {
    throw UsageError{"--kv-cache-tokens " + std::to_string(positions) +
                     " is smaller than one sequence's context (--ctx-size " +
                     std::to_string(ctx_size) + "); give at least that"};
  }
  const auto device = session.model->transformer->backend().memory().device_memory();
  if (!device) return positions;
  const io::ModelConfig& config = session.model->config;
  const std::size_t per_position = model::kv_bytes_per_position(config, kv_type);
  // Kept for the buffers allocated later: the logits of every sequence of a step and slack
  // for page tables and the CUDA runtime's own allocations.
  const std::size_t reserve = (256u << 20) + static_cast<std::size_t>(parallel) *
                                                 static_cast<std::size_t>(config.vocab_size) * 4;
  const model::KvBudget budget = model::kv_budget(*device, fraction, reserve, per_position);
  auto mib = [](double bytes) { return std::to_string(static_cast<long long>(bytes / 1048576.0)); };
  if (explicit_size && positions > budget.positions) {
    throw UsageError{"--kv-cache-tokens " + std::to_string(positions) + " needs " +
                     mib(static_cast<double>(positions) * static_cast<double>(per_position)) +
                     " MiB on the GPU, more than it has room for (" + budget.description +
                     "); give fewer or raise --gpu-memory-fraction"};
  }
  positions = std::min(positions, budget.positions);
  if (positions < ctx_size) {
    throw UsageError{"one sequence's context (--ctx-size " + std::to_string(ctx_size) +
                     ") needs " +
                     mib(static_cast<double>(ctx_size) * static_cast<double>(per_position)) +
                     " MiB of KV cache on the GPU, more than it has room for (" +
                     budget.description +
                     "); lower --ctx-size, use a 16-bit --kv-type or raise --gpu-memory-fraction"};
  }
  return positions;
}

int run_serve(int argc, char** argv, int first) {
  std::vector<OptionSpec> specs = {
      value_option("host", "HOST", "Address to listen on (0.0.0.0: every interface)", "127.0.0.1"),
      value_option("port", "PORT", "Port to listen on (0: any free port)", "7860"),
      value_option("parallel", "N", "Sequences generated at once (KV cache slots)", "4"),
      value_option("max-queue", "N", "Requests waiting for a slot before 503", "64"),
      value_option("prefill-chunk", "N", "Tokens per forward pass while prompts prefill", "512"),
      value_option("batch-window-ms", "MS",
                   "When idle, how long the first request of a burst waits for the others so "
                   "that their prompts are prefilled together (0: no wait)",
                   "10"),
      value_option("kv-cache-tokens", "N",
                   "Positions the shared KV block pool holds for all sequences together "
                   "(default: parallel x ctx-size; at least ctx-size)"),
      value_option("gpu-memory-fraction", "F",
                   "With --device cuda: the share of the GPU's memory r1 may fill; the KV pool "
                   "gets what the weights leave of it (at most --kv-cache-tokens)",
                   "0.9"),
      value_option("max-body", "BYTES", "Largest request body (413 beyond)", "8388608"),
      value_option("max-n", "N", "Largest n (choices per request)", "4"),
      value_option("api-key", "KEY", "Require 'Authorization: Bearer KEY' on the API"),
      value_option("api-key-file", "FILE", "Read the API key from FILE"),
      value_option("cors-origin", "ORIGINS",
                   "Comma-separated origins allowed to call the API from a browser"),
      value_option("reasoning-format", "FORMAT",
                   "separate: thinking in reasoning_content (default); raw: left in content",
                   "separate"),
      value_option("max-reasoning-tokens", "N",
                   "Default thinking budget per request (default: unlimited)"),
      value_option("allowed-host", "NAMES",
                   "Comma-separated host names the server may be reached by, besides localhost "
                   "and IP addresses (DNS-rebinding defence)"),
      value_option("ui-dir", "DIR", "Serve the web UI from DIR instead of the copy in the program"),
      value_option("data-dir", "DIR", "Where conversations are stored (default ~/.local/share/r1)"),
      value_option("history-max-bytes", "BYTES",
                   "Largest size of the conversation history database (default: unlimited)"),
      value_option("http-threads", "N",
                   "HTTP connections served at once (default: parallel + max-queue + 16)"),
  };
  append_generation_options(specs);
  Args args("serve", std::move(specs));
  if (!args.parse(argc, argv, first)) {
    std::cout << args.help_text(
        "Serves the OpenAI-compatible API (/v1/chat/completions, /v1/completions, /v1/models, "
        "/tokenize, /detokenize, /health, /metrics) with continuous batching. --ctx-size is the "
        "context of each parallel sequence; their keys and values live in one pool of blocks "
        "(--kv-cache-tokens) that requests wait for when it is full.");
    return 0;
  }

  http::ServerOptions options;
  options.host = args.get("host");
  options.port = args.get_int("port");
  if (options.port < 0 || options.port > 65535)
    throw UsageError{"--port must be between 0 and 65535, got " + args.get("port")};
  const int parallel = positive(args, "parallel");
  const int max_queue = positive(args, "max-queue");
  const double fraction = gpu_memory_fraction(args);  // checked before the model loads
  options.max_body_bytes = static_cast<std::size_t>(positive(args, "max-body"));
  options.http_threads =
      args.has("http-threads") ? positive(args, "http-threads") : parallel + max_queue + 16;
  if (args.has("api-key") && args.has("api-key-file"))
    throw UsageError{"give --api-key or --api-key-file, not both"};
  if (args.has("api-key")) options.api_key = args.get("api-key");
  if (args.has("api-key-file")) options.api_key = server::read_api_key_file(args.get("api-key-file"));
  if (args.has("cors-origin")) options.cors_origins = split_commas(args.get("cors-origin"));
  if (args.has("allowed-host")) options.allowed_hosts = split_commas(args.get("allowed-host"));
  if (args.has("ui-dir")) {
    options.ui_dir = args.get("ui-dir");
    if (!std::filesystem::is_regular_file(std::filesystem::path(options.ui_dir) / "index.html"))
      throw UsageError{"--ui-dir " + options.ui_dir +
                       " has no index.html; point it at the repository's ui/ folder"};
  }
  const std::string reasoning_format = args.get("reasoning-format");
  if (reasoning_format != "separate" && reasoning_format != "raw")
    throw UsageError{"--reasoning-format is separate or raw, not " + reasoning_format};
  const std::filesystem::path data_dir =
      args.has("data-dir") ? std::filesystem::path(args.get("data-dir")) : default_data_dir();

  // The history never stops the server: without it /api/conversations answers 503 with why.
  history::StoreOptions history_options;
  if (args.has("history-max-bytes")) history_options.max_bytes = positive(args, "history-max-bytes");
  history::OpenedHistory opened = history::open_history(data_dir, history_options);
  options.history = opened.store;
  if (!opened.store) {
    options.history_unavailable = opened.error;
    std::fprintf(stderr, "r1 serve: conversation history disabled: %s\n", opened.error.c_str());
  }

  // Signals are taken by sigwait below; every thread started from here on inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client that hangs up is a failed write, not a crash

  http::ApiServer api(options);
  api.bind();
  api.start();
  std::fprintf(stderr, "r1 serve: listening on http://%s:%d (loading %s)\n", options.host.c_str(),
               api.port(), args.get("model").c_str());

  LoadedSession session = load_session(args);
  const engine::GenerationRequest defaults = make_request(args, session);
  // One KV slot per parallel sequence, each up to the full --ctx-size, in one pool of blocks.
  const DType kv_type = session.cache->type();
  const std::int32_t ctx_size = session.cache->ctx_size();
  session.cache.reset();  // its memory counts as free while the pool is sized
  const std::int64_t pool_tokens = kv_pool_positions(args, session, parallel, ctx_size, kv_type, fraction);
  session.cache = std::make_unique<model::KvCache>(
      session.model->config, parallel, ctx_size, kv_type,
      model::KvCache::blocks_for(pool_tokens), session.model->transformer->backend().memory());
  engine::EngineOptions engine_options;
  engine_options.max_queue = max_queue;
  engine_options.prefill_chunk = positive(args, "prefill-chunk");
  const int batch_window = args.get_int("batch-window-ms");
  if (batch_window < 0 || batch_window > 10000) {
    throw UsageError{"--batch-window-ms must be between 0 and 10000, got " +
                     std::to_string(batch_window)};
  }
  engine_options.batch_window = std::chrono::milliseconds(batch_window);
  engine::ServingEngine engine(*session.model->transformer, session.tokenizer, session.stop_ids,
                               *session.cache, engine_options);

  http::ServedModel served;
  const std::string model_arg = args.get("model");
  served.id = std::filesystem::exists(model_arg)
                  ? std::filesystem::path(model_arg).lexically_normal().filename().string()
                  : model_arg;
  if (served.id.empty()) served.id = model_arg;
  served.created = static_cast<std::int64_t>(std::time(nullptr));
  served.tokenizer = &session.tokenizer;
  served.render = [&session](ChatTemplateInputs inputs) { return session.render(std::move(inputs)); };
  served.engine = &engine;
  served.default_sampling = defaults.sampling;
  served.default_max_tokens = defaults.max_tokens;
  if (args.has("max-reasoning-tokens"))
    served.default_max_reasoning_tokens = args.get_int("max-reasoning-tokens");
  served.default_reasoning_format = reasoning_format == "raw" ? server::ReasoningFormat::raw
                                                              : server::ReasoningFormat::separate;
  served.limits.max_n = std::min(positive(args, "max-n"), parallel);
  api.set_model(std::move(served));
  std::fprintf(stderr,
               "r1 serve: ready on http://%s:%d — %s, %d parallel x %d tokens of context, "
               "KV pool %lld tokens (%.0f MiB), %s\n",
               options.host.c_str(), api.port(), session.model->transformer->backend().describe().c_str(),
               parallel, session.cache->ctx_size(),
               static_cast<long long>(session.cache->n_blocks() * model::KvCache::kBlockTokens),
               static_cast<double>(session.cache->bytes()) / (1024.0 * 1024.0),
               options.api_key.empty() ? "no API key" : "API key required");

  int received = 0;
  sigwait(&stop_signals, &received);
  std::fprintf(stderr, "r1 serve: %s received, stopping\n", received == SIGINT ? "SIGINT" : "SIGTERM");
  engine.shutdown();  // in-flight streams end (finish_reason stop, then [DONE])
  api.stop();
  return 0;
}

}  // namespace r1::cli
