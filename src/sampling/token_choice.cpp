// Turning the edited logits into one id: argmax, softmax and the inverse-CDF draw.
#include <cmath>
#include <limits>

#include "sampling/logit_steps.h"

namespace r1::sampling {
namespace {

constexpr float kNegativeInfinity = -std::numeric_limits<float>::infinity();

float max_finite_or_inf(std::span<const float> logits) {
  float max_logit = kNegativeInfinity;
  for (const float logit : logits) {
    if (logit > max_logit) max_logit = logit;  // NaN compares false and is skipped
  }
  return max_logit;
}

}  // namespace

std::int32_t argmax_first(std::span<const float> logits) {
  std::int32_t best = -1;
  float best_logit = kNegativeInfinity;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    // Strictly greater: the first index wins ties, as torch.argmax.
    if (logits[i] > best_logit) {
      best_logit = logits[i];
      best = static_cast<std::int32_t>(i);
    }
  }
  return best;
}

void softmax(std::span<const float> logits, std::span<double> probabilities) {
  const double max_logit = max_finite_or_inf(logits);
  double total = 0.0;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    probabilities[i] = logits[i] > kNegativeInfinity ? std::exp(logits[i] - max_logit) : 0.0;
    total += probabilities[i];
  }
  if (total <= 0.0) return;
  for (double& probability : probabilities) probability /= total;
}

std::int32_t draw_inverse_cdf(std::span<const float> logits, double u) {
  const float max_logit = max_finite_or_inf(logits);
  if (!(max_logit > kNegativeInfinity)) return -1;
  double total = 0.0;
  for (const float logit : logits) {
    if (logit > kNegativeInfinity) total += std::exp(static_cast<double>(logit) - max_logit);
  }
  const double target = u * total;
  double cumulative = 0.0;
  std::int32_t last_candidate = -1;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    if (!(logits[i] > kNegativeInfinity)) continue;
    cumulative += std::exp(static_cast<double>(logits[i]) - max_logit);
    last_candidate = static_cast<std::int32_t>(i);
    if (cumulative > target) return last_candidate;
  }
  // Rounding can leave the final sum a hair below target when u is close to 1.
  return last_candidate;
}

}  // namespace r1::sampling
