// r1 bench: prefill and decode speed of a model, printed as llama-bench prints it (one markdown
// table row per test and thread count), with GB/s of weights read and peak RSS added.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/generation_options.h"
#include "cli/model_source.h"
#include "core/cpu_info.h"
#include "model/loaded_model.h"

namespace r1::cli {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<int> parse_int_list(const std::string& text, const std::string& option) {
  std::vector<int> values;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    try {
      std::size_t used = 0;
      const int value = std::stoi(item, &used);
      if (used == item.size() && value >= 0) {
        values.push_back(value);
        continue;
      }
    } catch (const std::exception&) {
    }
    throw UsageError{"option '--" + option + "' expects numbers like 1,2, got '" + text + "'"};
  }
  if (values.empty()) throw UsageError{"option '--" + option + "' needs at least one number"};
  return values;
}

// Token ids spread over the vocabulary, the same every run.
std::vector<std::int32_t> bench_tokens(std::int64_t n, std::int64_t vocab) {
  std::vector<std::int32_t> ids;
  std::uint64_t state = 0x9E3779B97F4A7C15ull;
  for (std::int64_t i = 0; i < n; ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    ids.push_back(static_cast<std::int32_t>((state >> 33) % static_cast<std::uint64_t>(vocab)));
  }
  return ids;
}

// Seconds to prefill `tokens` from position `start` (only the last token's logits, as a prompt).
double time_prefill(model::Transformer& transformer, model::KvCache& cache,
                    const std::vector<std::int32_t>& tokens, std::int32_t start,
                    std::int32_t slot = 0) {
  model::Batch batch;
  for (std::size_t i = 0; i < tokens.size(); ++i)
    batch.add(tokens[i], start + static_cast<std::int32_t>(i), slot, i + 1 == tokens.size());
  std::vector<float> logits;
  const auto begin = Clock::now();
  transformer.forward(batch, cache, logits);
  return std::chrono::duration<double>(Clock::now() - begin).count();
}

// Seconds for `n` decode steps of `streams` sequences at once (one token each per step, as a
// continuous-batching server runs them) after `depth` cached tokens in each.
double time_decode(model::Transformer& transformer, model::KvCache& cache, std::int64_t n,
                   std::int32_t depth, std::int64_t vocab, std::int32_t streams) {
  const std::vector<std::int32_t> tokens = bench_tokens(n * streams, vocab);
  std::vector<float> logits;
  const auto begin = Clock::now();
  for (std::int64_t i = 0; i < n; ++i) {
    model::Batch step;
    for (std::int32_t s = 0; s < streams; ++s) {
      step.add(tokens[static_cast<std::size_t>(i * streams + s)],
               depth + static_cast<std::int32_t>(i), s, true);
    }
    transformer.forward(step, cache, logits);
  }
  return std::chrono::duration<double>(Clock::now() - begin).count();
}

struct Stats {
  double mean = 0, stddev = 0;
};

Stats mean_and_stddev(const std::vector<double>& values) {
  Stats s;
  for (double v : values) s.mean += v;
  s.mean /= static_cast<double>(values.size());
  for (double v : values) s.stddev += (v - s.mean) * (v - s.mean);
  s.stddev = values.size() > 1 ? std::sqrt(s.stddev / static_cast<double>(values.size() - 1)) : 0;
  return s;
}

double peak_rss_gib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / (1024.0 * 1024.0);
}

std::string format(const char* pattern, double a, double b = 0) {
  char text[64];
  std::snprintf(text, sizeof(text), pattern, a, b);
  return text;
}

}  // namespace

int run_bench(int argc, char** argv, int first) {
  Args args(
      "bench",
      {
          value_option("model", "M", "Model folder or Hugging Face repo id", "", Required::yes),
          offline_option(),
          with_short(
              'p', value_option("n-prompt", "N,...", "Prompt lengths to prefill (0: none)", "512")),
          with_short('n', value_option("n-gen", "N,...", "Tokens to decode one at a time (0: none)",
                                       "128")),
          with_short('d', value_option("n-depth", "N",
                                       "Tokens already in the cache before each test", "0")),
          with_short('t',
                     value_option("threads", "N,...", "Thread counts to run", "physical cores")),
          with_short('b', value_option("streams", "N,...",
                                       "Sequences decoding together, one token each per step "
                                       "(tgN xS: aggregate tokens per second)",
                                       "1")),
          with_short('r', value_option("repetitions", "N",
                                       "Timed runs per test (after one warm-up)", "3")),
          quant_option(),
          device_option(),
          kv_type_option(),
          flag_option("file-layout",
                      "Compute on the weights as the file maps them (no repacking of quantized "
                      "matrices for the CPU kernels at load, no copy of 16-bit ones into "
                      "huge-page memory), to compare the two"),
      });
  if (!args.parse(argc, argv, first)) {
    std::cout << args.help_text(
        "Measures prefill (ppN) and decode (tgN) tokens per second like llama-bench, with GB/s "
        "of weights read per decode step and the peak resident memory; with --streams S, S "
        "sequences decode together (tgN xS, aggregate tokens per second), as in a serving "
        "batch.");
    return 0;
  }
  const auto folder = locate_model(args);
  const std::vector<int> prompts = parse_int_list(args.get("n-prompt"), "n-prompt");
  const std::vector<int> gens = parse_int_list(args.get("n-gen"), "n-gen");
  const std::vector<int> streams = parse_int_list(args.get("streams"), "streams");
  const int depth = args.get_int("n-depth");
  const int repetitions = args.get_int("repetitions");
  if (repetitions < 1 || depth < 0) throw UsageError{"--repetitions must be ≥ 1 and --n-depth ≥ 0"};
  const std::vector<int> threads = args.has("threads")
                                       ? parse_int_list(args.get("threads"), "threads")
                                       : std::vector<int>{physical_core_count()};

  std::printf("| %-30s | %10s | %10s | %-24s | %7s | %12s | %20s | %8s | %9s |\n", "model", "size",
              "params", "backend", "threads", "test", "t/s", "GB/s", "peak RSS");
  std::printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", std::string(30, '-').c_str(),
              "---------:", "---------:", std::string(24, '-').c_str(),
              "------:", "-----------:", "-------------------:", "-------:", "--------:");
  for (const int n_threads : threads) {
    model::LoadOptions options = load_options(args);
    options.cpu.n_threads = n_threads;
    options.pack_weights = !args.has("file-layout");
    const auto loaded = load_model_as_asked(folder, options);
    model::Transformer& transformer = *loaded->transformer;
    const io::ModelConfig& config = loaded->config;
    const std::size_t file_bytes = loaded->file_tensor_bytes();
    const double params = loaded->parameter_count();
    const std::string name = std::string(io::architecture_name(config.architecture)) + " " +
                             format("%.1fB ", params / 1e9) + transformer.weights().matrix_types();
    const std::size_t bytes_per_token = transformer.weights().bytes_per_token();
    int max_len = depth;
    for (int p : prompts) max_len = std::max(max_len, depth + p);
    for (int g : gens) max_len = std::max(max_len, depth + g);
    const int max_streams = std::max(1, *std::max_element(streams.begin(), streams.end()));
    model::KvCache cache(config, max_streams, std::max(1, max_len), kv_type(args, *loaded), 0,
                         transformer.backend().memory());
    const std::int64_t vocab = std::min<std::int64_t>(config.vocab_size, 151643);
    const std::vector<std::int32_t> context = bench_tokens(depth, vocab);

    auto row = [&](const std::string& test, const std::vector<double>& rates, bool decode,
                   int n_streams = 1) {
      const Stats s = mean_and_stddev(rates);
      const std::string gbps =
          decode ? format("%.1f", s.mean / n_streams * static_cast<double>(bytes_per_token) / 1e9)
                 : "-";
      std::printf(
          "| %-30s | %10s | %10s | %-24s | %7d | %12s | %20s | %8s | %9s |\n", name.c_str(),
          format("%.2f GiB", static_cast<double>(file_bytes) / (1024.0 * 1024.0 * 1024.0)).c_str(),
          format("%.2f B", params / 1e9).c_str(), transformer.backend().describe().c_str(),
          n_threads, test.c_str(), format("%.2f ± %.2f", s.mean, s.stddev).c_str(), gbps.c_str(),
          format("%.2f GiB", peak_rss_gib()).c_str());
      std::fflush(stdout);
    };
    auto fill_depth = [&](int n_streams) {
      if (depth == 0) return;
      for (int slot = 0; slot < n_streams; ++slot) time_prefill(transformer, cache, context, 0, slot);
    };
    for (const int p : prompts) {
      if (p == 0) continue;
      const std::vector<std::int32_t> tokens = bench_tokens(p, vocab);
      std::vector<double> rates;
      for (int r = 0; r <= repetitions; ++r) {
        fill_depth(1);
        const double seconds = time_prefill(transformer, cache, tokens, depth);
        if (r > 0) rates.push_back(p / seconds);  // run 0 warms up
      }
      row("pp" + std::to_string(p) + (depth > 0 ? " @ d" + std::to_string(depth) : ""), rates,
          false);
    }
    for (const int g : gens) {
      if (g == 0) continue;
      for (const int n_streams : streams) {
        if (n_streams == 0) continue;
        std::vector<double> rates;
        for (int r = 0; r <= repetitions; ++r) {
          fill_depth(n_streams);
          const double seconds = time_decode(transformer, cache, r == 0 ? std::min(g, 4) : g,
                                             depth, vocab, n_streams);
          if (r > 0) rates.push_back(static_cast<double>(g) * n_streams / seconds);
        }
        // GB/s: the weights are read once per step, for all the streams' tokens.
        row("tg" + std::to_string(g) + (n_streams > 1 ? " x" + std::to_string(n_streams) : "") +
                (depth > 0 ? " @ d" + std::to_string(depth) : ""),
            rates, true, n_streams);
      }
    }
  }
  return 0;
}

}  // namespace r1::cli
