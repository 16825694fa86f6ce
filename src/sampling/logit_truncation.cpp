// Steps that reshape the distribution: temperature, and the top_k / top_p / min_p filters.
#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>

#include "sampling/logit_steps.h"

namespace r1::sampling {
namespace {

constexpr float kRemoved = -std::numeric_limits<float>::infinity();

}  // namespace

void apply_temperature(std::span<float> logits, float temperature) {
  for (float& logit : logits) logit /= temperature;
}

void apply_top_k(std::span<float> logits, std::size_t top_k, std::size_t min_tokens_to_keep,
                 std::vector<float>& scratch) {
  if (top_k == 0) return;
  const std::size_t k = std::min(std::max(top_k, min_tokens_to_keep), logits.size());
  if (k == logits.size()) return;  // the k-th largest is the smallest: nothing is below it
  scratch.assign(logits.begin(), logits.end());
  const auto kth = scratch.begin() + static_cast<std::ptrdiff_t>(k - 1);
  std::nth_element(scratch.begin(), kth, scratch.end(), std::greater<float>());
  const float threshold = *kth;
  for (float& logit : logits) {
    if (logit < threshold) logit = kRemoved;
  }
}

void apply_top_p(std::span<float> logits, float top_p, std::size_t min_tokens_to_keep,
                 std::vector<std::int32_t>& scratch) {
  if (top_p >= 1.0f || logits.empty()) return;
  float max_logit = kRemoved;
  for (const float logit : logits) max_logit = std::max(max_logit, logit);
  if (!(max_logit > kRemoved)) return;
  // transformers compares with 1 - top_p computed from the float setting.
  const double remove_at_or_below = 1.0 - static_cast<double>(top_p);

  // Sorting the whole vocab (150k ids) for every token is the slow part. Tokens far below the
  // maximum are removed anyway once their total mass is below 1 - top_p: in ascending order each
  // of them has a cumulative sum no larger than that mass. So the tokens are binned by their
  // distance below the maximum (bins of 1/4 nat, the last one open-ended), the nearest bin edge
  // whose mass beyond is safely (0.1% margin, far above rounding) under 1 - top_p becomes the
  // cutoff, everything beyond it is removed, and only the rest is sorted, its cumulative sum
  // starting from the removed mass.
  constexpr std::size_t kBins = 128;
  constexpr double kBinsPerNat = 4.0;
  const auto bin_of = [&](float logit) {
    const double distance = (static_cast<double>(max_logit) - logit) * kBinsPerNat;
    return distance >= static_cast<double>(kBins - 1) ? kBins - 1
                                                      : static_cast<std::size_t>(distance);
  };
  std::array<double, kBins> bin_mass{};
  std::array<std::size_t, kBins> bin_count{};
  double total = 0.0;
  for (const float logit : logits) {
    if (!(logit > kRemoved)) continue;
    const double weight = std::exp(static_cast<double>(logit) - max_logit);
    total += weight;
    const std::size_t bin = bin_of(logit);
    bin_mass[bin] += weight;
    ++bin_count[bin];
  }
  // first_removed_bin: bins at or after it are removed unsorted (kBins = none).
  std::size_t first_removed_bin = kBins;
  double removed_mass = 0.0;
  std::size_t n_not_removed = 0;
  for (const std::size_t count : bin_count) n_not_removed += count;
  while (first_removed_bin > 1) {
    const std::size_t bin = first_removed_bin - 1;
    const double mass = removed_mass + bin_mass[bin];
    if (!(mass / total < remove_at_or_below * 0.999) ||
        n_not_removed - bin_count[bin] < min_tokens_to_keep) {
      break;
    }
    removed_mass = mass;
    n_not_removed -= bin_count[bin];
    first_removed_bin = bin;
  }
  double cumulative = removed_mass / total;

  // The rest, grouped by bin (a counting sort by bin, ids ascending within one). Bins hold
  // disjoint, ordered logit ranges (a lower logit is never in a nearer bin), so the ascending
  // order is the bins from the farthest, each sorted; the walk sorts a bin only when it reaches
  // it, and it stops once the cumulative mass passes 1 - top_p, usually a few bins in.
  std::array<std::size_t, kBins + 1> bin_start{};
  for (std::size_t bin = 0; bin < first_removed_bin; ++bin)
    bin_start[bin + 1] = bin_start[bin] + bin_count[bin];
  std::array<std::size_t, kBins + 1> fill = bin_start;
  scratch.resize(n_not_removed);
  for (std::size_t i = 0; i < logits.size(); ++i) {
    if (!(logits[i] > kRemoved)) continue;
    const std::size_t bin = bin_of(logits[i]);
    if (bin >= first_removed_bin) {
      logits[i] = kRemoved;
    } else {
      scratch[fill[bin]++] = static_cast<std::int32_t>(i);
    }
  }
  // Ascending by logit, equal logits by ascending id: the order of a stable ascending sort.
  // (-inf logits have probability 0 and stay removed, as in transformers' full sort where they
  // come first with a cumulative sum of 0.)
  const auto ascending = [&](std::int32_t a, std::int32_t b) {
    const float la = logits[static_cast<std::size_t>(a)];
    const float lb = logits[static_cast<std::size_t>(b)];
    return la < lb || (la == lb && a < b);
  };
  const std::size_t n = n_not_removed;
  const std::size_t always_kept = std::min(min_tokens_to_keep, n);
  std::size_t rank = 0;
  for (std::size_t bin = first_removed_bin; bin-- > 0;) {
    const auto first = scratch.begin() + static_cast<std::ptrdiff_t>(bin_start[bin]);
    const auto last = scratch.begin() + static_cast<std::ptrdiff_t>(bin_start[bin + 1]);
    std::sort(first, last, ascending);
    for (auto it = first; it != last; ++it, ++rank) {
      if (rank + always_kept >= n) return;
      const auto id = static_cast<std::size_t>(*it);
      cumulative += std::exp(static_cast<double>(logits[id]) - max_logit) / total;
      if (cumulative > remove_at_or_below) return;  // cumulative only grows: the rest are kept
      logits[id] = kRemoved;
    }
  }
}

void apply_min_p(std::span<float> logits, float min_p, std::size_t min_tokens_to_keep) {
  if (min_p <= 0.0f || logits.empty()) return;
  // p_i < min_p * p_max  <=>  l_i - l_max < log(min_p): the softmax denominator cancels, and
  // comparing logits avoids an exp per token.
  float max_logit = kRemoved;
  for (const float logit : logits) max_logit = std::max(max_logit, logit);
  if (!(max_logit > kRemoved)) return;
  const double log_min_p = std::log(static_cast<double>(min_p));
  const auto below = [&](float logit) {
    return static_cast<double>(logit) - max_logit < log_min_p;
  };
  std::size_t n_finite = 0;
  std::size_t n_kept = 0;
  for (const float logit : logits) {
    if (logit > kRemoved) {
      ++n_finite;
      if (!below(logit)) ++n_kept;
    }
  }
  if (n_kept < min_tokens_to_keep && n_kept < n_finite) {
    // Only when more than one token must survive (the Sampler always asks for one, so this
    // allocation never happens there): keep the most probable ones by a threshold on rank.
    std::vector<float> sorted;
    for (const float logit : logits) {
      if (logit > kRemoved) sorted.push_back(logit);
    }
    std::sort(sorted.begin(), sorted.end(), std::greater<float>());
    const float keep_from = sorted[std::min(min_tokens_to_keep, sorted.size()) - 1];
    for (float& logit : logits) {
      if (logit < keep_from && below(logit)) {
        logit = kRemoved;
      }
    }
    return;
  }
  for (float& logit : logits) {
    if (below(logit)) logit = kRemoved;
  }
}

}  // namespace r1::sampling
