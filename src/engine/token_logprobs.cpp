#include "engine/token_logprobs.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace r1::engine {

TokenLogprobs token_logprobs(std::span<const float> logits, TokenId chosen, std::int32_t k,
                             std::size_t n_valid) {
  const std::size_t n = n_valid == 0 ? logits.size() : std::min(n_valid, logits.size());
  float max_logit = -std::numeric_limits<float>::infinity();
  for (std::size_t i = 0; i < n; ++i) max_logit = std::max(max_logit, logits[i]);
  double sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(logits[i] - max_logit));
  const double log_z = static_cast<double>(max_logit) + std::log(sum);
  auto logprob_of = [&](std::size_t i) {
    return static_cast<float>(static_cast<double>(logits[i]) - log_z);
  };

  TokenLogprobs out;
  const auto c = static_cast<std::size_t>(chosen);
  out.logprob = c < n ? logprob_of(c) : -std::numeric_limits<float>::infinity();
  if (k <= 0) return out;

  // The k largest in one pass: a small sorted list (k <= 20 in the API).
  const auto want = std::min(static_cast<std::size_t>(k), n);
  std::vector<std::size_t> best;
  best.reserve(want + 1);
  auto better = [&](std::size_t a, std::size_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  };
  for (std::size_t i = 0; i < n; ++i) {
    if (best.size() == want && !better(i, best.back())) continue;
    best.insert(std::upper_bound(best.begin(), best.end(), i, better), i);
    if (best.size() > want) best.pop_back();
  }
  for (const std::size_t i : best) out.top.push_back({static_cast<TokenId>(i), logprob_of(i)});
  return out;
}

}  // namespace r1::engine
