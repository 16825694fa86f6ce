// Log-probabilities that the API reports with `logprobs`: log-softmax of the model's raw logits
// (before penalties, temperature and truncation, as vLLM and OpenAI report them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/serving_engine.h"

namespace r1::engine {

struct TokenLogprobs {
  float logprob = 0.0f;           // of the chosen id
  std::vector<TokenLogprob> top;  // the k most likely ids, most likely first (ties: lower id)
};

/// For `chosen` and the `k` most likely ids of `logits`. Ids at or above n_valid (vocab padding;
/// 0 = all valid) are left out.
TokenLogprobs token_logprobs(std::span<const float> logits, TokenId chosen, std::int32_t k,
                             std::size_t n_valid);

}  // namespace r1::engine
