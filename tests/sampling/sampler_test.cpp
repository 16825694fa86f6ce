// Sampler end to end: greedy, masking, bias, penalties through sample(), determinism, distribution.
#include "r1/sampler.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "r1/error.h"

namespace r1 {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
const std::vector<TokenId> kNoIds;

SamplingParams greedy() {
  SamplingParams params;
  params.temperature = 0.0f;
  return params;
}

SamplingParams seeded(std::uint64_t seed) {
  SamplingParams params;
  params.seed = seed;
  return params;
}

TEST(Sampler, GreedyTakesFirstArgmax) {
  Sampler sampler(greedy());
  EXPECT_EQ(sampler.sample(std::vector<float>{1.0f, 3.0f, 3.0f, 2.0f}, kNoIds, 0), 1);
}

TEST(Sampler, GreedyNeverPicksPaddingIds) {
  SamplingParams params = greedy();
  params.n_vocab_valid = 4;
  Sampler sampler(params);
  // The largest logit sits in the padding (id 5); the best valid id is 2.
  const std::vector<float> logits = {0.0f, 1.0f, 2.0f, 1.5f, 9.0f, 10.0f};
  EXPECT_EQ(sampler.sample(logits, kNoIds, 0), 2);
  // Also on the edited path (a penalty forces the copy).
  params.repetition_penalty = 1.5f;
  Sampler penalized(params);
  EXPECT_EQ(penalized.sample(logits, std::vector<TokenId>{3}, 1), 2);
}

TEST(Sampler, SamplingNeverPicksPaddingIds) {
  SamplingParams params = seeded(3);
  params.n_vocab_valid = 4;
  Sampler sampler(params);
  const std::vector<float> logits = {0.0f, 0.0f, 0.0f, 0.0f, 5.0f, 5.0f};
  for (int i = 0; i < 1000; ++i) ASSERT_LT(sampler.sample(logits, kNoIds, 0), 4);
}

TEST(Sampler, LogitBiasMinusInfinityBans) {
  SamplingParams params = greedy();
  params.logit_bias = {{1, -kInf}};
  Sampler sampler(params);
  EXPECT_EQ(sampler.sample(std::vector<float>{1.0f, 3.0f, 2.0f}, kNoIds, 0), 2);

  SamplingParams sampling = seeded(5);
  sampling.logit_bias = {{0, -kInf}, {2, -kInf}};
  Sampler sampler2(sampling);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(sampler2.sample(std::vector<float>{5.0f, 0.0f, 5.0f}, kNoIds, 0), 1);
  }
}

TEST(Sampler, EverythingBannedIsAnError) {
  SamplingParams params = seeded(1);
  params.logit_bias = {{0, -kInf}, {1, -kInf}};
  Sampler sampler(params);
  EXPECT_THROW(sampler.sample(std::vector<float>{1.0f, 2.0f}, kNoIds, 0), Error);
}

TEST(Sampler, RepetitionPenaltyAppliesToPromptAndGenerated) {
  // [2, 1.9]: penalty 2 on id 0 (in the prompt) gives [1, 1.9], so greedy picks 1.
  SamplingParams params = greedy();
  params.repetition_penalty = 2.0f;
  Sampler sampler(params);
  EXPECT_EQ(sampler.sample(std::vector<float>{2.0f, 1.9f}, std::vector<TokenId>{0}, 1), 1);
}

TEST(Sampler, PresencePenaltyOnlyCountsGeneratedIds) {
  SamplingParams params = greedy();
  params.presence_penalty = 0.5f;
  Sampler sampler(params);
  const std::vector<float> logits = {1.0f, 0.9f};
  const std::vector<TokenId> ids = {0};
  // id 0 is prompt: no penalty, 1.0 > 0.9.
  EXPECT_EQ(sampler.sample(logits, ids, 1), 0);
  // id 0 generated: 1.0 - 0.5 = 0.5 < 0.9.
  EXPECT_EQ(sampler.sample(logits, ids, 0), 1);
}

std::vector<float> varied_logits() {
  std::vector<float> logits;
  for (int i = 0; i < 64; ++i) logits.push_back(static_cast<float>(std::sin(i * 1.7) * 2.0));
  return logits;
}

TEST(Sampler, SameSeedSameSequenceDifferentSeedDiffers) {
  SamplingParams params = seeded(1234);
  params.top_p = 0.95f;
  params.temperature = 0.8f;
  Sampler first(params);
  Sampler second(params);
  params.seed = 1235;
  Sampler other(params);
  const auto logits = varied_logits();
  std::vector<TokenId> a, b, c;
  for (int i = 0; i < 1000; ++i) {
    a.push_back(first.sample(logits, kNoIds, 0));
    b.push_back(second.sample(logits, kNoIds, 0));
    c.push_back(other.sample(logits, kNoIds, 0));
  }
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // reset() replays the sequence.
  first.reset(1234);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(first.sample(logits, kNoIds, 0), a[i]) << i;
}

TEST(Sampler, EmpiricalDistributionWithinFiveSigma) {
  // p = [0.1, 0.2, 0.3, 0.4]; 200000 draws; each count must be within 5 binomial standard
  // deviations sqrt(n p (1 - p)) of n p. Fixed seed, so the outcome is deterministic.
  const std::array<double, 4> p = {0.1, 0.2, 0.3, 0.4};
  std::vector<float> logits;
  for (const double value : p) logits.push_back(static_cast<float>(std::log(value)));
  Sampler sampler(seeded(2026));
  constexpr int kDraws = 200000;
  std::array<int, 4> counts{};
  for (int i = 0; i < kDraws; ++i)
    ++counts[static_cast<std::size_t>(sampler.sample(logits, kNoIds, 0))];
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double expected = kDraws * p[i];
    const double sigma = std::sqrt(kDraws * p[i] * (1.0 - p[i]));
    EXPECT_NEAR(counts[i], expected, 5.0 * sigma) << "id " << i;
  }
}

TEST(Sampler, TopKOneIsGreedy) {
  SamplingParams params = seeded(9);
  params.top_k = 1;
  Sampler sampler(params);
  const auto logits = varied_logits();
  const TokenId best = 12;  // sin(12 * 1.7) is the largest of the 64
  for (int i = 0; i < 64; ++i) ASSERT_LE(logits[i], logits[best]);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(sampler.sample(logits, kNoIds, 0), best);
}

TEST(Sampler, RejectsBadInputs) {
  Sampler sampler(seeded(1));
  const std::vector<float> logits = {1.0f, 2.0f};
  EXPECT_THROW(sampler.sample(std::vector<float>{}, kNoIds, 0), Error);
  EXPECT_THROW(sampler.sample(logits, std::vector<TokenId>{2}, 1), Error);
  EXPECT_THROW(sampler.sample(logits, std::vector<TokenId>{-1}, 1), Error);
  EXPECT_THROW(sampler.sample(logits, std::vector<TokenId>{0}, 2), Error);
  EXPECT_THROW(sampler.sample(std::vector<float>{1.0f, std::nanf("")}, kNoIds, 0), Error);
  EXPECT_THROW(sampler.sample(std::vector<float>{1.0f, kInf}, kNoIds, 0), Error);

  SamplingParams params = seeded(1);
  params.n_vocab_valid = 3;
  Sampler too_wide(params);
  EXPECT_THROW(too_wide.sample(logits, kNoIds, 0), Error);
  params.n_vocab_valid = 0;
  params.logit_bias = {{5, 1.0f}};
  Sampler bias_outside(params);
  EXPECT_THROW(bias_outside.sample(logits, kNoIds, 0), Error);
}

}  // namespace
}  // namespace r1
