// Sampler: runs the logit steps in transformers' order on a reused buffer and draws with its own
// generator.
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "r1/error.h"
#include "r1/sampler.h"
#include "sampling/logit_steps.h"

namespace r1 {
namespace {

// transformers' generate() uses min_tokens_to_keep = 1 outside beam search.
constexpr std::size_t kMinTokensToKeep = 1;

std::uint64_t seed_or_random(std::optional<std::uint64_t> seed) {
  if (seed) return *seed;
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) ^ static_cast<std::uint64_t>(device());
}

[[noreturn]] void reject(const std::string& message) {
  throw Error(ErrorCode::invalid_argument, "Sampler::sample: " + message);
}

}  // namespace

Sampler::Sampler(SamplingParams params) : params_(std::move(params)), rng_(0) {
  validate_sampling_params(params_);
  reset(params_.seed);
}

void Sampler::reset(std::optional<std::uint64_t> seed) {
  rng_.reseed(seed_or_random(seed));
}

bool Sampler::is_plain_greedy() const {
  return params_.temperature == 0.0f && params_.repetition_penalty == 1.0f &&
         params_.presence_penalty == 0.0f && params_.frequency_penalty == 0.0f &&
         params_.logit_bias.empty();
}

void Sampler::check_inputs(std::span<const float> logits, std::span<const TokenId> ids,
                           std::size_t n_prompt) const {
  if (logits.empty()) reject("the logits row is empty; pass one row of the model's output");
  if (params_.n_vocab_valid > logits.size()) {
    reject("n_vocab_valid " + std::to_string(params_.n_vocab_valid) + " exceeds the " +
           std::to_string(logits.size()) + " logits; set it to at most the model's vocab size");
  }
  if (n_prompt > ids.size()) {
    reject("n_prompt " + std::to_string(n_prompt) + " exceeds the " + std::to_string(ids.size()) +
           " ids passed; pass the prompt ids followed by the generated ones");
  }
  for (const TokenId id : ids) {
    if (id < 0 || static_cast<std::size_t>(id) >= logits.size()) {
      reject("token id " + std::to_string(id) + " in the id history is outside the " +
             std::to_string(logits.size()) + " logits");
    }
  }
  if (!params_.logit_bias.empty()) {
    const TokenId largest = params_.logit_bias.rbegin()->first;
    if (static_cast<std::size_t>(largest) >= logits.size()) {
      reject("logit_bias names token id " + std::to_string(largest) + " but there are only " +
             std::to_string(logits.size()) + " logits");
    }
  }
  // One branch-free pass (NaN and +inf both fail `< inf`); the slow search only on failure.
  constexpr float kInfinity = std::numeric_limits<float>::infinity();
  bool all_usable = true;
  for (const float logit : logits) all_usable &= logit < kInfinity;
  if (all_usable) return;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    if (!(logits[i] < kInfinity)) {
      reject("logit of id " + std::to_string(i) + " is " + std::to_string(logits[i]) +
             "; the model produced a non-finite value");
    }
  }
}

TokenId Sampler::sample(std::span<const float> logits,
                        std::span<const TokenId> prompt_and_generated, std::size_t n_prompt) {
  check_inputs(logits, prompt_and_generated, n_prompt);
  const std::size_t n_valid = params_.n_vocab_valid != 0 ? params_.n_vocab_valid : logits.size();

  if (is_plain_greedy()) {
    // Greedy with nothing to edit: the argmax of the valid ids, no copy.
    const TokenId best = sampling::argmax_first(logits.first(n_valid));
    if (best < 0) reject("every valid token has logit -inf; nothing can be chosen");
    return best;
  }

  work_.assign(logits.begin(), logits.end());
  std::span<float> work(work_);
  sampling::mask_ids_from(work, n_valid);
  if (!params_.logit_bias.empty()) sampling::apply_logit_bias(work, params_.logit_bias);
  if (params_.repetition_penalty != 1.0f) {
    sampling::apply_repetition_penalty(work, prompt_and_generated, params_.repetition_penalty,
                                       penalty_scratch_);
  }
  if (params_.presence_penalty != 0.0f || params_.frequency_penalty != 0.0f) {
    sampling::apply_presence_frequency_penalties(work, prompt_and_generated.subspan(n_prompt),
                                                 params_.presence_penalty,
                                                 params_.frequency_penalty, count_scratch_);
  }
  // The padding ids never become candidates, so the remaining steps only look at the valid ones.
  work = work.first(n_valid);

  TokenId chosen = -1;
  if (params_.temperature == 0.0f) {
    chosen = sampling::argmax_first(work);
  } else {
    if (params_.temperature != 1.0f) sampling::apply_temperature(work, params_.temperature);
    sampling::apply_top_k(work, static_cast<std::size_t>(params_.top_k), kMinTokensToKeep,
                          top_k_scratch_);
    sampling::apply_top_p(work, params_.top_p, kMinTokensToKeep, top_p_scratch_);
    sampling::apply_min_p(work, params_.min_p, kMinTokensToKeep);
    chosen = sampling::draw_inverse_cdf(work, rng_.uniform_double());
  }
  if (chosen < 0) {
    reject("every valid token has logit -inf after the bias and penalties; nothing can be chosen");
  }
  return chosen;
}

}  // namespace r1
