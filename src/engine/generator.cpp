#include "engine/generator.h"

#include <algorithm>

#include "r1/error.h"

namespace r1::engine {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

const char* finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::stop:
      return "stop";
    case FinishReason::length:
      return "length";
    case FinishReason::cancelled:
      return "cancelled";
  }
  return "stop";
}

Generator::Generator(model::Transformer& transformer, const Tokenizer& tokenizer,
                     StopTokenIds stop_ids, model::KvCache& cache)
    : transformer_(transformer),
      tokenizer_(tokenizer),
      stop_ids_(std::move(stop_ids)),
      cache_(cache) {}

GenerationStats Generator::generate(const GenerationRequest& original,
                                    const TextCallback& on_text) {
  const auto start = Clock::now();
  GenerationStats stats;
  if (original.prompt.empty()) throw Error(ErrorCode::invalid_argument, "the prompt has no tokens");
  const auto ctx = static_cast<std::size_t>(cache_.ctx_size());
  const auto max_tokens = static_cast<std::size_t>(original.max_tokens);
  const std::size_t needed = original.prompt.size() + max_tokens;
  GenerationRequest truncated;
  if (needed > ctx) {
    const std::string sizes = "the prompt has " + std::to_string(original.prompt.size()) +
                              " tokens and max_tokens is " + std::to_string(max_tokens) + ": " +
                              std::to_string(needed) + " tokens do not fit the context of " +
                              std::to_string(ctx);
    if (original.overflow == PromptOverflow::refuse) {
      throw Error(ErrorCode::invalid_argument,
                  sizes + "; raise --ctx-size, lower --max-tokens or ask to truncate the prompt");
    }
    const bool keep_bos = tokenizer_.bos_id() && original.prompt.front() == *tokenizer_.bos_id();
    if (max_tokens + (keep_bos ? 2 : 1) > ctx) {
      throw Error(ErrorCode::invalid_argument,
                  sizes +
                      ", and truncating the prompt cannot help: max_tokens leaves no room for "
                      "it; lower max_tokens below the context size");
    }
    truncated = original;
    const std::size_t keep_tail = ctx - max_tokens - (keep_bos ? 1 : 0);
    truncated.prompt.assign(original.prompt.end() - static_cast<std::ptrdiff_t>(keep_tail),
                            original.prompt.end());
    if (keep_bos) truncated.prompt.insert(truncated.prompt.begin(), original.prompt.front());
    stats.n_truncated = original.prompt.size() - truncated.prompt.size();
  }
  const GenerationRequest& request = stats.n_truncated > 0 ? truncated : original;
  stats.n_prompt = request.prompt.size();

  // Reuse the cached keys/values of the common prefix; at least the last prompt token is
  // recomputed so that its logits exist.
  std::size_t reuse = 0;
  while (reuse < cached_.size() && reuse + 1 < request.prompt.size() &&
         cached_[reuse] == request.prompt[reuse]) {
    ++reuse;
  }
  stats.n_reused = reuse;
  model::Batch prefill;
  for (std::size_t i = reuse; i < request.prompt.size(); ++i) {
    prefill.add(request.prompt[i], static_cast<std::int32_t>(i), 0, i + 1 == request.prompt.size());
  }
  std::vector<float> logits;
  transformer_.forward(prefill, cache_, logits);
  cached_.assign(request.prompt.begin(), request.prompt.end());
  stats.prefill_seconds = seconds_since(start);

  Sampler sampler(request.sampling);
  StopMatcher stops(request.stop_strings);
  IncrementalDetokenizer detokenizer(tokenizer_);
  std::vector<TokenId> history = request.prompt;
  Clock::time_point decode_start;
  while (true) {
    const TokenId next = sampler.sample(logits, history, request.prompt.size());
    if (stats.n_generated == 0) {
      stats.first_token_seconds = seconds_since(start);
      decode_start = Clock::now();
    }
    ++stats.n_generated;
    if (stop_ids_.contains(next)) {
      stats.finish_reason = FinishReason::stop;
      break;
    }
    history.push_back(next);
    const StopFeedResult shown = stops.feed(detokenizer.push(next));
    if (!shown.text.empty() && !on_text(shown.text, next)) {
      stats.finish_reason = FinishReason::cancelled;
      break;
    }
    if (shown.stopped) {
      stats.finish_reason = FinishReason::stop;
      break;
    }
    if (stats.n_generated >= static_cast<std::size_t>(request.max_tokens)) {
      stats.finish_reason = FinishReason::length;
      break;
    }
    model::Batch step;
    step.add(next, static_cast<std::int32_t>(history.size() - 1), 0, true);
    transformer_.forward(step, cache_, logits);
    cached_.push_back(next);
  }
  if (!stops.stopped() && stats.finish_reason != FinishReason::cancelled) {
    const std::string rest = stops.feed(detokenizer.finish()).text + stops.flush();
    if (!rest.empty()) on_text(rest, -1);
  }
  stats.decode_seconds = stats.n_generated > 0 ? seconds_since(decode_start) : 0.0;
  return stats;
}

}  // namespace r1::engine
