// r1 perplexity: how well a model predicts a text, computed as llama.cpp's llama-perplexity does
// (see engine/perplexity.h), so the numbers of the two programs can be compared directly.
#include <chrono>
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/generation_options.h"
#include "cli/model_source.h"
#include "core/file.h"
#include "engine/perplexity.h"
#include "model/loaded_model.h"

namespace r1::cli {

int run_perplexity(int argc, char** argv, int first) {
  Args args("perplexity",
            {
                value_option("model", "M", "Model folder, .gguf file or Hugging Face repo id", "",
                             Required::yes),
                offline_option(),
                value_option("file", "TEXT", "UTF-8 text file to score", "", Required::yes),
                value_option("ctx", "N", "Window length in tokens (even)", "512"),
                value_option("chunks", "N", "Score only the first N windows (default: all)"),
                value_option("threads", "N", "CPU threads (default: the physical cores)"),
                quant_option(),
                device_option(),
                kv_type_option(),
                flag_option("json", "Print one JSON object instead of llama-perplexity's lines"),
            });
  if (!args.parse(argc, argv, first)) {
    std::cout << args.help_text(
        "Perplexity of a text, as llama.cpp's llama-perplexity computes it. The whole file is "
        "tokenized (with the BOS the tokenizer adds, special-token text as plain text) and cut "
        "into non-overlapping windows of --ctx tokens; the tokens after the last whole window "
        "are not used, and at least 2 windows are needed. Each window is one forward pass from "
        "an empty cache, its first token replaced by BOS when the tokenizer adds one. Only the "
        "second half of each window is scored: the logits at positions ctx/2 .. ctx-2 against "
        "the tokens that follow them, so ctx/2 - 1 tokens per window, each with at least ctx/2 "
        "tokens of context. PPL = exp(mean negative log-likelihood of the scored tokens); "
        "printed as llama-perplexity prints it: the running value after each window "
        "([1]ppl,[2]ppl,...) and 'Final estimate: PPL = P +/- E' (E from the standard "
        "deviation of the per-token values). Timing goes to stderr.");
    return 0;
  }
  const int ctx = args.get_int("ctx");
  if (ctx < 4 || ctx % 2 != 0) throw UsageError{"--ctx must be an even number ≥ 4"};
  engine::PerplexityOptions options;
  options.ctx = ctx;
  if (args.has("chunks")) {
    options.max_chunks = args.get_int("chunks");
    if (options.max_chunks < 1) throw UsageError{"--chunks must be ≥ 1"};
  }
  const std::string text = read_text_file(args.get("file"));

  const auto model = load_model_as_asked(locate_model(args), load_options(args));
  report_unexpected_tensors(*model);
  if (ctx > model->config.max_position_embeddings) {
    throw UsageError{"--ctx " + std::to_string(ctx) + " exceeds the model's context of " +
                     std::to_string(model->config.max_position_embeddings) + " tokens"};
  }
  const Tokenizer tokenizer = load_tokenizer(*model);
  const std::vector<TokenId> tokens = engine::perplexity_tokens(tokenizer, text);
  options.bos = engine::window_bos(tokenizer);
  model::KvCache cache(model->config, 1, ctx, kv_type(args, *model), 0,
                       model->transformer->backend().memory());

  const bool json = args.flag("json");
  const auto begin = std::chrono::steady_clock::now();
  const engine::PerplexityResult result = engine::perplexity(
      *model->transformer, cache, tokens, options, [&](const engine::PerplexityChunk& chunk) {
        if (json) return;
        std::printf("[%d]%.4f,", chunk.index + 1, chunk.running_ppl);
        std::fflush(stdout);
      });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  if (json) {
    nlohmann::json out = {{"ppl", result.ppl},
                          {"ppl_error", result.ppl_error},
                          {"mean_nll", result.mean_nll},
                          {"n_tokens", result.n_tokens},
                          {"n_chunks", result.n_chunks},
                          {"scored", result.scored},
                          {"ctx", ctx}};
    out["chunk_ppl"] = nlohmann::json::array();
    for (const auto& chunk : result.chunks) out["chunk_ppl"].push_back(chunk.running_ppl);
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf("\nFinal estimate: PPL = %.4f +/- %.5f\n", result.ppl, result.ppl_error);
  }
  std::fflush(stdout);
  std::fprintf(stderr, "[r1] %lld tokens, %d windows of %d, %lld scored | %.2f s, %.1f tok/s\n",
               static_cast<long long>(result.n_tokens), result.n_chunks, ctx,
               static_cast<long long>(result.scored), seconds,
               static_cast<double>(result.n_chunks) * ctx / seconds);
  return 0;
}

}  // namespace r1::cli
