// Perplexity of a text as llama.cpp's llama-perplexity computes it: the tokens are cut into
// non-overlapping windows of ctx tokens (the rest is dropped), each window is one forward pass
// from an empty cache (its first token replaced by BOS when the tokenizer adds one), and only
// the second half of each window is scored: the logits of positions ctx/2 .. ctx-2 against the
// tokens at ctx/2+1 .. ctx-1, so every scored token has at least ctx/2 tokens of context.
// ppl = exp(mean negative log-likelihood over all scored tokens).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "model/kv_cache.h"
#include "model/transformer.h"
#include "r1/tokenizer.h"

namespace r1::engine {

struct PerplexityOptions {
  std::int32_t ctx = 512;        // window length in tokens (even, >= 4)
  std::optional<TokenId> bos;    // replaces each window's first token (llama.cpp's add_bos)
  std::int32_t max_chunks = -1;  // windows to score (-1: all that fit)
};

struct PerplexityChunk {
  std::int32_t index = 0;   // 0-based window number
  std::int64_t scored = 0;  // tokens scored so far, this window included
  double nll = 0;           // sum of the negative log-likelihoods so far
  double running_ppl = 0;   // exp(nll / scored): what llama-perplexity prints as [i]ppl
};

struct PerplexityResult {
  std::int64_t n_tokens = 0;  // tokens of the text
  std::int32_t n_chunks = 0;  // windows scored
  std::int64_t scored = 0;    // tokens scored: n_chunks * (ctx - ctx/2 - 1)
  double mean_nll = 0;
  double ppl = 0;
  double ppl_error = 0;  // llama-perplexity's "+/-": ppl * stddev(nll) / sqrt(scored - 1)
  std::vector<PerplexityChunk> chunks;
};

/// -log softmax(logits)[token], summed as llama-perplexity does (max in float, the sum of
/// expf(logit - max) in double).
double negative_log_likelihood(std::span<const float> logits, TokenId token);

/// Scores `tokens` (the whole text, tokenized as the model's tokenizer does with its special
/// tokens). `cache` must have a slot 0 of at least options.ctx positions. `on_chunk` (optional)
/// is called after each window. Throws Error(invalid_argument) when ctx is odd or below 4, or the
/// text has fewer than 2 * ctx tokens (naming both numbers), as llama-perplexity refuses it.
PerplexityResult perplexity(model::Transformer& transformer, model::KvCache& cache,
                            std::span<const TokenId> tokens, const PerplexityOptions& options,
                            const std::function<void(const PerplexityChunk&)>& on_chunk = {});

/// The text's tokens as llama-perplexity takes them: with the special tokens the tokenizer adds
/// (its BOS, if any), and special-token text written in the file encoded as plain text.
std::vector<TokenId> perplexity_tokens(const Tokenizer& tokenizer, std::string_view text);

/// The BOS id llama-perplexity puts at each window's start: the tokenizer's BOS when encoding
/// adds it (an empty text encodes to [BOS]), otherwise none.
std::optional<TokenId> window_bos(const Tokenizer& tokenizer);

}  // namespace r1::engine
