// The sampler's steps, each a small function over one row of logits, edited in place. They follow
// transformers' logits processors (generation/logits_process.py) value for value; a removed token
// becomes -inf, as transformers' filter_value. Scratch vectors are passed in so that a caller that
// keeps them avoids allocation; their contents on entry do not matter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "r1/sampler.h"

namespace r1::sampling {

/// Sets ids >= n_valid to -inf (the vocab's padding rows).
void mask_ids_from(std::span<float> logits, std::size_t n_valid);

/// Adds each bias to its id's logit (-inf bans the id). Ids must be inside logits.
void apply_logit_bias(std::span<float> logits, const std::map<TokenId, float>& bias);

/// RepetitionPenaltyLogitsProcessor: every id in `ids` (counted once however often it occurs) gets
/// logit / penalty when the logit is >= 0 and logit * penalty when it is < 0.
void apply_repetition_penalty(std::span<float> logits, std::span<const TokenId> ids, float penalty,
                              std::vector<float>& scratch);

/// OpenAI: logit -= presence * (count > 0) + frequency * count, count = occurrences in `generated`.
void apply_presence_frequency_penalties(std::span<float> logits, std::span<const TokenId> generated,
                                        float presence, float frequency,
                                        std::vector<TokenId>& scratch);

/// TemperatureLogitsWarper: logits / temperature (temperature > 0).
void apply_temperature(std::span<float> logits, float temperature);

/// TopKLogitsWarper: removes logits smaller than the k-th largest (ties with it stay). k is raised
/// to min_tokens_to_keep and capped at the vocab size; k = 0 is a no-op.
void apply_top_k(std::span<float> logits, std::size_t top_k, std::size_t min_tokens_to_keep,
                 std::vector<float>& scratch);

/// TopPLogitsWarper: sorts ascending (equal logits by ascending id, like a stable sort), removes
/// tokens while the cumulative softmax probability up to and including them is <= 1 - top_p, and
/// always keeps the min_tokens_to_keep largest. top_p >= 1 is a no-op.
void apply_top_p(std::span<float> logits, float top_p, std::size_t min_tokens_to_keep,
                 std::vector<std::int32_t>& scratch);

/// MinPLogitsWarper: removes tokens whose softmax probability is below min_p times the largest
/// probability (always keeping the min_tokens_to_keep most probable). min_p = 0 is a no-op.
void apply_min_p(std::span<float> logits, float min_p, std::size_t min_tokens_to_keep);

/// Index of the largest logit, the first one on ties (torch.argmax). NaN is never chosen. Returns
/// -1 when every logit is -inf or NaN (nothing can be chosen).
std::int32_t argmax_first(std::span<const float> logits);

/// softmax in double precision: probabilities[i] = exp(l_i - max) / sum. -inf gives 0.
void softmax(std::span<const float> logits, std::span<double> probabilities);

/// Inverse-CDF draw: with weights w_i = exp(l_i - max) over the finite logits, walks the ids in
/// ascending order and returns the first id whose cumulative weight exceeds u * sum(w). `u` is in
/// [0, 1). Returns -1 when no logit is finite.
std::int32_t draw_inverse_cdf(std::span<const float> logits, double u);

}  // namespace r1::sampling
