// Greedy continuations of the trained SmolLM2 model against llama.cpp's (64 tokens per prompt,
// tests/data/smollm2/llama_cpp_reference.json).
//
// Two implementations of this Q4_1 model do not give the same logits bit for bit: llama.cpp's own
// result moves by up to 1.8 logits between its flash-attention settings, and r1's CPU kernels
// round differently again (measured over 1536 positions of the perplexity text: the gap between
// llama.cpp's best and second-best logit changes by 0.07 at the median, 0.4 at the 99th
// percentile; r1 chose another token only where llama.cpp's gap was under 0.37). Where two
// tokens are that close, which one wins is rounding, so the tests hold r1 to llama.cpp's token
// wherever llama.cpp's gap is at least kNearTie logits, and at a near-tie accept either of the
// close tokens:
// - every step of llama.cpp's continuation, fed to r1 one token at a time through the KV cache
//   (r1's decode path, as greedy generation runs it): r1's choice = llama.cpp's token, or at a
//   near-tie a token llama.cpp also put within kNearTie of its best;
// - r1's own greedy generation gives llama.cpp's tokens, and where the two part, it is at a
//   near-tie of llama.cpp's (r1 run --temperature 0 itself is checked in answers_test.cpp).
#include <gtest/gtest.h>

#include <algorithm>

#include "smollm2/smollm2_fixture.h"

namespace r1::test {
namespace {

constexpr double kNearTie = 0.5;

const nlohmann::json& cases() {
  return llama_cpp_reference().at("greedy");
}

TokenId argmax(const std::vector<float>& logits) {
  return static_cast<TokenId>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

// Whether llama.cpp's step `step` of case `c` put `id` within kNearTie of its best logit.
bool llama_cpp_near_tie(const nlohmann::json& c, std::size_t step, TokenId id) {
  const nlohmann::json& top = c.at("top").at(step);
  const double best = top.at(0).at(1).get<double>();
  for (const nlohmann::json& entry : top) {
    if (entry.at(0).get<TokenId>() == id) return best - entry.at(1).get<double>() < kNearTie;
  }
  return false;
}

class Smollm2Greedy : public testing::TestWithParam<int> {};

TEST_P(Smollm2Greedy, EveryStepOfLlamaCppsContinuation) {
  R1_REQUIRE_SMOLLM2();
  const nlohmann::json& c = cases().at(GetParam());
  const auto prompt = c.at("prompt_ids").get<std::vector<TokenId>>();
  const auto ids = c.at("ids").get<std::vector<TokenId>>();
  // The prompt tokenizes as in llama.cpp (chat markers included).
  EXPECT_EQ(smollm2()->tokenizer.encode(c.at("prompt").get<std::string>()), prompt);

  model::Transformer& transformer = *smollm2()->model->transformer;
  model::KvCache cache(smollm2()->model->config, 1, 256, DType::f16);
  model::Batch batch;
  for (std::size_t i = 0; i < prompt.size(); ++i)
    batch.add(prompt[i], static_cast<std::int32_t>(i), 0, i + 1 == prompt.size());
  std::vector<float> logits;
  transformer.forward(batch, cache, logits);
  int same = 0;
  for (std::size_t step = 0; step < ids.size(); ++step) {
    const TokenId ours = argmax(logits);
    same += ours == ids[step];
    if (ours != ids[step]) {
      EXPECT_TRUE(llama_cpp_near_tie(c, step, ours))
          << "step " << step << ": r1 chose " << ours << ", llama.cpp " << ids[step]
          << " with a gap of " << c.at("gaps").at(step).get<double>();
    }
    if (step + 1 == ids.size()) break;
    model::Batch next;
    next.add(ids[step], static_cast<std::int32_t>(prompt.size() + step), 0, true);
    transformer.forward(next, cache, logits);
  }
  RecordProperty("same_tokens", same);
  std::printf("%s: r1's choice = llama.cpp's at %d of %zu steps\n",
              c.at("prompt").get<std::string>().substr(0, 30).c_str(), same, ids.size());
}

TEST_P(Smollm2Greedy, GreedyGenerationPartsFromLlamaCppsOnlyAtANearTie) {
  R1_REQUIRE_SMOLLM2();
  const nlohmann::json& c = cases().at(GetParam());
  const auto prompt = c.at("prompt_ids").get<std::vector<TokenId>>();
  const auto expected = c.at("ids").get<std::vector<TokenId>>();
  // Greedy generation as engine::Generator runs it: the prompt in one forward, then one token per
  // step, each the argmax of the last logits, until an end token (0, 2) or 64 tokens.
  model::Transformer& transformer = *smollm2()->model->transformer;
  model::KvCache cache(smollm2()->model->config, 1, 256, DType::f16);
  model::Batch batch;
  for (std::size_t i = 0; i < prompt.size(); ++i)
    batch.add(prompt[i], static_cast<std::int32_t>(i), 0, i + 1 == prompt.size());
  std::vector<float> logits;
  transformer.forward(batch, cache, logits);
  std::vector<TokenId> ours;
  while (ours.size() < expected.size()) {
    ours.push_back(argmax(logits));
    if (ours.back() == 0 || ours.back() == 2) break;
    model::Batch next;
    next.add(ours.back(), static_cast<std::int32_t>(prompt.size() + ours.size() - 1), 0, true);
    transformer.forward(next, cache, logits);
  }
  std::size_t same = 0;
  while (same < ours.size() && same < expected.size() && ours[same] == expected[same]) ++same;
  std::printf("%s: the first %zu of %zu tokens are llama.cpp's\n",
              c.at("prompt").get<std::string>().substr(0, 30).c_str(), same, expected.size());
  if (same < expected.size()) {
    ASSERT_LT(same, ours.size()) << "r1 stopped after " << ours.size() << " tokens";
    EXPECT_TRUE(llama_cpp_near_tie(c, same, ours[same]))
        << "step " << same << ": r1 chose " << ours[same] << ", llama.cpp " << expected[same]
        << " with a gap of " << c.at("gaps").at(same).get<double>();
  }
}

INSTANTIATE_TEST_SUITE_P(Prompts, Smollm2Greedy, testing::Range(0, 5));

}  // namespace
}  // namespace r1::test
