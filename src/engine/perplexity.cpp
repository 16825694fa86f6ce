#include "engine/perplexity.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "r1/error.h"

namespace r1::engine {

double negative_log_likelihood(std::span<const float> logits, TokenId token) {
  float max_logit = logits[0];
  for (const float logit : logits) max_logit = std::max(max_logit, logit);
  double sum_exp = 0.0;
  for (const float logit : logits) sum_exp += std::exp(logit - max_logit);
  return -(static_cast<double>(logits[static_cast<std::size_t>(token)] - max_logit) -
           std::log(sum_exp));
}

PerplexityResult perplexity(model::Transformer& transformer, model::KvCache& cache,
                            std::span<const TokenId> tokens, const PerplexityOptions& options,
                            const std::function<void(const PerplexityChunk&)>& on_chunk) {
  const std::int32_t ctx = options.ctx;
  if (ctx < 4 || ctx % 2 != 0) {
    throw Error(
        ErrorCode::invalid_argument,
        "perplexity: the window length must be even and at least 4, got " + std::to_string(ctx));
  }
  if (cache.ctx_size() < ctx) {
    throw Error(ErrorCode::invalid_argument,
                "perplexity: the KV cache holds " + std::to_string(cache.ctx_size()) +
                    " positions, the window needs " + std::to_string(ctx));
  }
  if (options.max_chunks == 0 || options.max_chunks < -1) {
    throw Error(ErrorCode::invalid_argument,
                "perplexity: the number of windows must be positive (or -1 for all), got " +
                    std::to_string(options.max_chunks));
  }
  const auto n_tokens = static_cast<std::int64_t>(tokens.size());
  if (n_tokens < 2 * static_cast<std::int64_t>(ctx)) {
    throw Error(ErrorCode::invalid_argument,
                "perplexity: the text has " + std::to_string(n_tokens) + " tokens; a window of " +
                    std::to_string(ctx) + " needs at least " +
                    std::to_string(2 * static_cast<std::int64_t>(ctx)) +
                    " (use a longer text or a smaller --ctx)");
  }
  const auto fitting = static_cast<std::int32_t>(n_tokens / ctx);
  const std::int32_t n_chunks =
      options.max_chunks < 0 ? fitting : std::min(options.max_chunks, fitting);
  const std::int32_t first = ctx / 2;
  const auto vocab = static_cast<std::size_t>(transformer.config().vocab_size);

  PerplexityResult result;
  result.n_tokens = n_tokens;
  double nll = 0, nll2 = 0;
  std::vector<float> logits;
  for (std::int32_t chunk = 0; chunk < n_chunks; ++chunk) {
    const std::span<const TokenId> window =
        tokens.subspan(static_cast<std::size_t>(chunk) * ctx, static_cast<std::size_t>(ctx));
    // The window in pieces of at most kMaxChunkTokens (one slot, consecutive positions), each
    // piece's logits scored before the next, so a long window never holds all its logits.
    const auto piece = static_cast<std::int32_t>(model::Transformer::kMaxChunkTokens);
    for (std::int32_t begin = 0; begin < ctx; begin += piece) {
      const std::int32_t end = std::min(ctx, begin + piece);
      model::Batch batch;
      for (std::int32_t pos = begin; pos < end; ++pos) {
        const TokenId id = pos == 0 && options.bos ? *options.bos : window[pos];
        // Logits are needed for positions first .. ctx - 2 (the last one would score the token
        // after the window).
        batch.add(id, pos, 0, pos >= first && pos + 1 < ctx);
      }
      transformer.forward(batch, cache, logits);
      std::size_t row = 0;
      for (std::int32_t pos = std::max(begin, first); pos < end && pos + 1 < ctx; ++pos, ++row) {
        const std::span<const float> scores(logits.data() + row * vocab, vocab);
        const double v = negative_log_likelihood(scores, window[pos + 1]);
        nll += v;
        nll2 += v * v;
      }
    }
    result.scored += ctx - first - 1;
    PerplexityChunk done{chunk, result.scored, nll,
                         std::exp(nll / static_cast<double>(result.scored))};
    result.chunks.push_back(done);
    if (on_chunk) on_chunk(done);
  }
  result.n_chunks = n_chunks;
  const auto count = static_cast<double>(result.scored);
  result.mean_nll = nll / count;
  result.ppl = std::exp(result.mean_nll);
  const double variance = nll2 / count - result.mean_nll * result.mean_nll;
  result.ppl_error = variance > 0 && count > 1 ? std::sqrt(variance / (count - 1)) * result.ppl : 0;
  return result;
}

std::vector<TokenId> perplexity_tokens(const Tokenizer& tokenizer, std::string_view text) {
  EncodeOptions options;
  options.added_token_text = AddedTokenText::split_special;
  return tokenizer.encode(text, options);
}

std::optional<TokenId> window_bos(const Tokenizer& tokenizer) {
  const std::vector<TokenId> empty = tokenizer.encode("");
  if (!empty.empty() && tokenizer.bos_id() && empty.front() == *tokenizer.bos_id()) {
    return tokenizer.bos_id();
  }
  return std::nullopt;
}

}  // namespace r1::engine
