// Steps that move individual logits: padding mask, logit bias, repetition and OpenAI penalties.
#include <algorithm>
#include <limits>

#include "sampling/logit_steps.h"

namespace r1::sampling {

void mask_ids_from(std::span<float> logits, std::size_t n_valid) {
  if (n_valid >= logits.size()) return;
  std::fill(logits.begin() + static_cast<std::ptrdiff_t>(n_valid), logits.end(),
            -std::numeric_limits<float>::infinity());
}

void apply_logit_bias(std::span<float> logits, const std::map<TokenId, float>& bias) {
  for (const auto& [id, value] : bias) logits[static_cast<std::size_t>(id)] += value;
}

void apply_repetition_penalty(std::span<float> logits, std::span<const TokenId> ids, float penalty,
                              std::vector<float>& scratch) {
  // transformers gathers every listed logit first and scatters the penalized values back, so an id
  // listed twice is penalized once; gathering into scratch before writing keeps that.
  scratch.resize(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const float logit = logits[static_cast<std::size_t>(ids[i])];
    scratch[i] = logit < 0.0f ? logit * penalty : logit / penalty;
  }
  for (std::size_t i = 0; i < ids.size(); ++i)
    logits[static_cast<std::size_t>(ids[i])] = scratch[i];
}

void apply_presence_frequency_penalties(std::span<float> logits, std::span<const TokenId> generated,
                                        float presence, float frequency,
                                        std::vector<TokenId>& scratch) {
  // Counting through a sorted copy needs no vocab-sized table and no allocation once warm.
  scratch.assign(generated.begin(), generated.end());
  std::sort(scratch.begin(), scratch.end());
  for (std::size_t run_start = 0; run_start < scratch.size();) {
    std::size_t run_end = run_start + 1;
    while (run_end < scratch.size() && scratch[run_end] == scratch[run_start]) ++run_end;
    const auto count = static_cast<float>(run_end - run_start);
    logits[static_cast<std::size_t>(scratch[run_start])] -= presence + frequency * count;
    run_start = run_end;
  }
}

}  // namespace r1::sampling
