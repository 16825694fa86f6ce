// Each logit step on small cases computed by hand (the arithmetic is in the comments).
#include "sampling/logit_steps.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace r1::sampling {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

std::vector<float> log_of(const std::vector<double>& probabilities) {
  std::vector<float> logits;
  for (const double p : probabilities) logits.push_back(static_cast<float>(std::log(p)));
  return logits;
}

std::vector<bool> kept(const std::vector<float>& logits) {
  std::vector<bool> result;
  for (const float logit : logits) result.push_back(logit > -kInf);
  return result;
}

TEST(RepetitionPenalty, DividesPositiveAndMultipliesNegative) {
  // [2, -1, 0.5], penalty 2 over ids {0, 1}: 2 / 2 = 1, -1 * 2 = -2, id 2 untouched.
  std::vector<float> logits = {2.0f, -1.0f, 0.5f};
  std::vector<float> scratch;
  const std::vector<TokenId> ids = {0, 1};
  apply_repetition_penalty(logits, ids, 2.0f, scratch);
  EXPECT_EQ(logits, (std::vector<float>{1.0f, -2.0f, 0.5f}));
}

TEST(RepetitionPenalty, RepeatedIdIsPenalizedOnce) {
  // id 0 three times: 2 / 2 = 1 (not 2 / 8); zero stays zero (0 / 2).
  std::vector<float> logits = {2.0f, 0.0f, 0.5f};
  std::vector<float> scratch;
  const std::vector<TokenId> ids = {0, 0, 1, 0};
  apply_repetition_penalty(logits, ids, 2.0f, scratch);
  EXPECT_EQ(logits, (std::vector<float>{1.0f, 0.0f, 0.5f}));
}

TEST(RepetitionPenalty, BelowOneRewards) {
  // penalty 0.5: 2 / 0.5 = 4, -1 * 0.5 = -0.5.
  std::vector<float> logits = {2.0f, -1.0f};
  std::vector<float> scratch;
  const std::vector<TokenId> ids = {1, 0};
  apply_repetition_penalty(logits, ids, 0.5f, scratch);
  EXPECT_EQ(logits, (std::vector<float>{4.0f, -0.5f}));
}

TEST(PresenceFrequencyPenalties, SubtractPresenceOnceAndFrequencyPerCount) {
  // generated [2, 2, 3], presence 0.5, frequency 0.25:
  // id 2: 1 - (0.5 + 2 * 0.25) = 0; id 3: 1 - (0.5 + 1 * 0.25) = 0.25; ids 0, 1 untouched.
  std::vector<float> logits = {1.0f, 1.0f, 1.0f, 1.0f};
  std::vector<TokenId> scratch;
  const std::vector<TokenId> generated = {2, 3, 2};
  apply_presence_frequency_penalties(logits, generated, 0.5f, 0.25f, scratch);
  EXPECT_EQ(logits, (std::vector<float>{1.0f, 1.0f, 0.0f, 0.25f}));
}

TEST(LogitBias, AddsBiasAndMinusInfinityBans) {
  // [1, 2, 3] + {0: +1.5, 2: -inf} = [2.5, 2, -inf].
  std::vector<float> logits = {1.0f, 2.0f, 3.0f};
  apply_logit_bias(logits, {{0, 1.5f}, {2, -kInf}});
  EXPECT_EQ(logits, (std::vector<float>{2.5f, 2.0f, -kInf}));
}

TEST(MaskIdsFrom, MasksPaddingRows) {
  std::vector<float> logits = {1.0f, 2.0f, 3.0f, 4.0f};
  mask_ids_from(logits, 2);
  EXPECT_EQ(logits, (std::vector<float>{1.0f, 2.0f, -kInf, -kInf}));
  mask_ids_from(logits, 10);  // beyond the row: nothing to mask
  EXPECT_EQ(logits[1], 2.0f);
}

TEST(Temperature, DividesEveryLogit) {
  // [1, -2, 0.5] / 0.5 = [2, -4, 1].
  std::vector<float> logits = {1.0f, -2.0f, 0.5f};
  apply_temperature(logits, 0.5f);
  EXPECT_EQ(logits, (std::vector<float>{2.0f, -4.0f, 1.0f}));
}

TEST(TopK, KeepsTheKLargestAndTiesWithTheKth) {
  std::vector<float> scratch;
  // [1, 3, 3, 2], k = 2: the 2nd largest is 3, so both 3s stay.
  std::vector<float> logits = {1.0f, 3.0f, 3.0f, 2.0f};
  apply_top_k(logits, 2, 1, scratch);
  EXPECT_EQ(logits, (std::vector<float>{-kInf, 3.0f, 3.0f, -kInf}));
  // k = 3: the 3rd largest is 2; 1 goes.
  logits = {1.0f, 3.0f, 3.0f, 2.0f};
  apply_top_k(logits, 3, 1, scratch);
  EXPECT_EQ(logits, (std::vector<float>{-kInf, 3.0f, 3.0f, 2.0f}));
  // k = 1 with three equal maxima: all three stay (logit < threshold removes, equal does not).
  logits = {5.0f, 5.0f, 1.0f, 5.0f};
  apply_top_k(logits, 1, 1, scratch);
  EXPECT_EQ(logits, (std::vector<float>{5.0f, 5.0f, -kInf, 5.0f}));
}

TEST(TopK, LargerThanVocabOrZeroIsNoOp) {
  std::vector<float> scratch;
  std::vector<float> logits = {1.0f, 3.0f, 2.0f};
  apply_top_k(logits, 10, 1, scratch);
  EXPECT_EQ(logits, (std::vector<float>{1.0f, 3.0f, 2.0f}));
  apply_top_k(logits, 0, 1, scratch);
  EXPECT_EQ(logits, (std::vector<float>{1.0f, 3.0f, 2.0f}));
}

TEST(TopK, MinTokensToKeepRaisesK) {
  // k = 1 but min_tokens_to_keep = 2: acts as k = 2 (transformers: max(top_k, min_tokens_to_keep)).
  std::vector<float> scratch;
  std::vector<float> logits = {1.0f, 3.0f, 2.0f};
  apply_top_k(logits, 1, 2, scratch);
  EXPECT_EQ(kept(logits), (std::vector<bool>{false, true, true}));
}

TEST(TopP, KeepsSmallestSetReachingTopP) {
  std::vector<std::int32_t> scratch;
  // p = [0.1, 0.2, 0.3, 0.4]; ascending cumulative sums 0.1, 0.3, 0.6, 1.0.
  // top_p 0.5: remove cumsum <= 0.5 -> ids 0, 1 go; {2, 3} has 0.7 >= 0.5.
  auto logits = log_of({0.1, 0.2, 0.3, 0.4});
  apply_top_p(logits, 0.5f, 1, scratch);
  EXPECT_EQ(kept(logits), (std::vector<bool>{false, false, true, true}));
  // top_p 0.75: remove cumsum <= 0.25 -> only id 0 goes.
  logits = log_of({0.1, 0.2, 0.3, 0.4});
  apply_top_p(logits, 0.75f, 1, scratch);
  EXPECT_EQ(kept(logits), (std::vector<bool>{false, true, true, true}));
  // top_p 0.3: remove cumsum <= 0.7 -> 0.1, 0.3, 0.6 go; only id 3 (0.4 >= 0.3) stays.
  logits = log_of({0.1, 0.2, 0.3, 0.4});
  apply_top_p(logits, 0.3f, 1, scratch);
  EXPECT_EQ(kept(logits), (std::vector<bool>{false, false, false, true}));
}

TEST(TopP, MinTokensToKeepSurvivesTinyTopP) {
  std::vector<std::int32_t> scratch;
  // top_p 0.01 removes everything with cumsum <= 0.99, i.e. all but the last; min_keep 1 keeps id
  // 3, min_keep 2 keeps ids 2 and 3 (the two largest).
  auto logits = log_of({0.1, 0.2, 0.3, 0.4});
  apply_top_p(logits, 0.01f, 1, scratch);
  EXPECT_EQ(kept(logits), (std::vector<bool>{false, false, false, true}));
  logits = log_of({0.1, 0.2, 0.3, 0.4});
  apply_top_p(logits, 0.01f, 2, scratch);
  EXPECT_EQ(kept(logits), (std::vector<bool>{false, false, true, true}));
}

TEST(TopP, TiesFollowStableAscendingOrder) {
  // Four equal logits, p = 0.25 each; a stable ascending sort orders them 0, 1, 2, 3 with cumsums
  // 0.25, 0.5, 0.75, 1. top_p 0.5 removes cumsum <= 0.5: ids 0 and 1 go, the higher ids stay.
  std::vector<std::int32_t> scratch;
  std::vector<float> logits = {0.0f, 0.0f, 0.0f, 0.0f};
  apply_top_p(logits, 0.5f, 1, scratch);
  EXPECT_EQ(kept(logits), (std::vector<bool>{false, false, true, true}));
}

TEST(TopP, OneIsNoOpAndMaskedStayMasked) {
  std::vector<std::int32_t> scratch;
  auto logits = log_of({0.1, 0.2, 0.3, 0.4});
  const auto before = logits;
  apply_top_p(logits, 1.0f, 1, scratch);
  EXPECT_EQ(logits, before);
  // -inf entries have probability 0: [-inf, ln .5, -inf, ln .5], top_p 0.9 keeps both halves
  // (ascending cumsum over the finite ones: 0.5, 1.0; only 0.5 <= 0.1 would go, and it is not).
  std::vector<float> masked = {-kInf, std::log(0.5f), -kInf, std::log(0.5f)};
  apply_top_p(masked, 0.9f, 1, scratch);
  EXPECT_EQ(kept(masked), (std::vector<bool>{false, true, false, true}));
}

TEST(MinP, RelativeToTopProbability) {
  // p = [0.5, 0.3, 0.15, 0.05]. min_p 0.2 -> threshold 0.2 * 0.5 = 0.1: only 0.05 goes.
  auto logits = log_of({0.5, 0.3, 0.15, 0.05});
  apply_min_p(logits, 0.2f, 1);
  EXPECT_EQ(kept(logits), (std::vector<bool>{true, true, true, false}));
  // min_p 0.5 -> threshold 0.25: 0.15 and 0.05 go.
  logits = log_of({0.5, 0.3, 0.15, 0.05});
  apply_min_p(logits, 0.5f, 1);
  EXPECT_EQ(kept(logits), (std::vector<bool>{true, true, false, false}));
  // min_p 1 keeps the maximum and its ties only.
  std::vector<float> ties = {2.0f, 1.0f, 2.0f};
  apply_min_p(ties, 1.0f, 1);
  EXPECT_EQ(kept(ties), (std::vector<bool>{true, false, true}));
}

TEST(MinP, ZeroIsNoOpAndMinTokensToKeep) {
  auto logits = log_of({0.5, 0.3, 0.15, 0.05});
  const auto before = logits;
  apply_min_p(logits, 0.0f, 1);
  EXPECT_EQ(logits, before);
  // min_p 1 would keep only id 0; min_tokens_to_keep 2 keeps id 1 as well.
  apply_min_p(logits, 1.0f, 2);
  EXPECT_EQ(kept(logits), (std::vector<bool>{true, true, false, false}));
}

TEST(ArgmaxFirst, FirstIndexOnTies) {
  EXPECT_EQ(argmax_first(std::vector<float>{1.0f, 3.0f, 3.0f, 2.0f}), 1);
  EXPECT_EQ(argmax_first(std::vector<float>{-kInf, -5.0f}), 1);
  EXPECT_EQ(argmax_first(std::vector<float>{-kInf, -kInf}), -1);
  EXPECT_EQ(argmax_first(std::vector<float>{std::nanf(""), 1.0f}), 1);
}

TEST(Softmax, NormalizesAndZeroesMinusInfinity) {
  // [0, ln 3, -inf] -> weights 1, 3, 0 -> [0.25, 0.75, 0].
  const std::vector<float> logits = {0.0f, std::log(3.0f), -kInf};
  std::vector<double> probabilities(3);
  softmax(logits, probabilities);
  EXPECT_NEAR(probabilities[0], 0.25, 1e-7);
  EXPECT_NEAR(probabilities[1], 0.75, 1e-7);
  EXPECT_EQ(probabilities[2], 0.0);
}

TEST(DrawInverseCdf, WalksIdsInAscendingOrder) {
  // p = [0.1, 0.2, 0.3, 0.4]: cumulative 0.1, 0.3, 0.6, 1.0 in id order.
  const auto logits = log_of({0.1, 0.2, 0.3, 0.4});
  EXPECT_EQ(draw_inverse_cdf(logits, 0.0), 0);
  EXPECT_EQ(draw_inverse_cdf(logits, 0.09), 0);
  EXPECT_EQ(draw_inverse_cdf(logits, 0.11), 1);
  EXPECT_EQ(draw_inverse_cdf(logits, 0.29), 1);
  EXPECT_EQ(draw_inverse_cdf(logits, 0.31), 2);
  EXPECT_EQ(draw_inverse_cdf(logits, 0.59), 2);
  EXPECT_EQ(draw_inverse_cdf(logits, 0.61), 3);
  EXPECT_EQ(draw_inverse_cdf(logits, 1.0 - 0x1.0p-53), 3);
}

TEST(DrawInverseCdf, SkipsRemovedTokens) {
  // [-inf, ln .5, -inf, ln .5]: cumulative 0.5 at id 1, 1.0 at id 3.
  const std::vector<float> logits = {-kInf, std::log(0.5f), -kInf, std::log(0.5f)};
  EXPECT_EQ(draw_inverse_cdf(logits, 0.0), 1);
  EXPECT_EQ(draw_inverse_cdf(logits, 0.49), 1);
  EXPECT_EQ(draw_inverse_cdf(logits, 0.51), 3);
  EXPECT_EQ(draw_inverse_cdf(std::vector<float>{-kInf, -kInf}, 0.5), -1);
}

}  // namespace
}  // namespace r1::sampling

namespace r1::sampling {
namespace {

// Straight from the TopPLogitsWarper description: full stable ascending sort, cumulative softmax,
// remove while <= 1 - top_p, keep the largest one. Used to check the fast path that skips sorting
// tokens far below the maximum on a vocab-sized row.
std::vector<bool> top_p_by_full_sort(const std::vector<float>& logits, float top_p) {
  std::vector<std::size_t> order(logits.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return logits[a] < logits[b]; });
  std::vector<double> probabilities(logits.size());
  softmax(logits, probabilities);
  std::vector<bool> keep(logits.size(), true);
  double cumulative = 0.0;
  for (std::size_t rank = 0; rank + 1 < order.size(); ++rank) {
    cumulative += probabilities[order[rank]];
    if (cumulative <= 1.0 - static_cast<double>(top_p)) keep[order[rank]] = false;
  }
  return keep;
}

TEST(TopP, VocabSizedRowMatchesFullSort) {
  // 151936 logits on a 0.25 grid over [-6, 10) (many ties) plus two peaks, as a real model row.
  // Depending on top_p the fast path cuts at max - 8 or max - 16, or sorts everything.
  std::vector<float> logits(151936);
  for (std::size_t i = 0; i < logits.size(); ++i) {
    const double x = std::sin(static_cast<double>(i) * 12.9898) * 43758.5453;
    logits[i] = static_cast<float>(std::round((x - std::floor(x)) * 64.0) / 4.0 - 6.0);
  }
  logits[777] = 12.0f;
  logits[778] = 11.5f;
  std::vector<std::int32_t> scratch;
  for (const float top_p : {0.05f, 0.5f, 0.9f, 0.95f, 0.999f}) {
    auto filtered = logits;
    apply_top_p(filtered, top_p, 1, scratch);
    EXPECT_EQ(kept(filtered), top_p_by_full_sort(logits, top_p)) << "top_p " << top_p;
  }
}

}  // namespace
}  // namespace r1::sampling
