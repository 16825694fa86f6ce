// The generation loop on a tiny random checkpoint: context limits, prompt truncation, and that a
// reused cached prefix gives the same text as a fresh run.
#include "engine/generator.h"

#include <gtest/gtest.h>

#include "r1/error.h"
#include "tiny_model.h"

namespace r1::engine {
namespace {

using test_support::TinyModel;

TinyModel& tiny() { return test_support::tiny_model(3); }

GenerationRequest greedy(std::vector<TokenId> prompt, int max_tokens) {
  GenerationRequest request;
  request.prompt = std::move(prompt);
  request.sampling.temperature = 0.0f;
  request.max_tokens = max_tokens;
  return request;
}

std::pair<std::string, GenerationStats> generate(model::KvCache& cache,
                                                 const GenerationRequest& r) {
  Generator generator(*tiny().model->transformer, tiny().tokenizer,
                      StopTokenIds(std::vector<TokenId>{}), cache);
  std::string text;
  const GenerationStats stats = generator.generate(r, [&](std::string_view piece, TokenId) {
    text += piece;
    return true;
  });
  return {text, stats};
}

std::vector<TokenId> prompt_of(std::size_t n) {
  std::vector<TokenId> ids = {*tiny().tokenizer.bos_id()};
  for (std::size_t i = 1; i < n; ++i) ids.push_back(static_cast<TokenId>(1000 + 37 * i));
  return ids;
}

TEST(Generator, PromptThatDoesNotFitIsRefusedWithBothNumbers) {
  model::KvCache cache(tiny().model->config, 1, 32);
  try {
    generate(cache, greedy(prompt_of(30), 8));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    const std::string message = e.what();
    EXPECT_NE(message.find("30 tokens"), std::string::npos) << message;
    EXPECT_NE(message.find("max_tokens is 8"), std::string::npos) << message;
    EXPECT_NE(message.find("context of 32"), std::string::npos) << message;
  }
}

TEST(Generator, TruncationKeepsTheBosAndTheNewestTokens) {
  const std::vector<TokenId> prompt = prompt_of(30);
  model::KvCache cache(tiny().model->config, 1, 32);
  GenerationRequest request = greedy(prompt, 8);
  request.overflow = PromptOverflow::truncate_start;
  const auto [text, stats] = generate(cache, request);
  EXPECT_EQ(stats.n_truncated, 6u);  // 30 + 8 = 38 > 32: keep BOS + the last 23
  EXPECT_EQ(stats.n_prompt, 24u);
  EXPECT_EQ(stats.n_generated, 8u);
  // The same as sending that prompt in the first place.
  std::vector<TokenId> kept = {prompt.front()};
  kept.insert(kept.end(), prompt.end() - 23, prompt.end());
  model::KvCache fresh(tiny().model->config, 1, 32);
  EXPECT_EQ(generate(fresh, greedy(kept, 8)).first, text);
}

TEST(Generator, TruncationCannotHelpWhenMaxTokensFillsTheContext) {
  model::KvCache cache(tiny().model->config, 1, 16);
  GenerationRequest request = greedy(prompt_of(4), 16);
  request.overflow = PromptOverflow::truncate_start;
  EXPECT_THROW(generate(cache, request), Error);
}

TEST(Generator, ReusedPrefixGivesTheSameTextAsAFreshRun) {
  model::KvCache cache(tiny().model->config, 1, 128);
  Generator generator(*tiny().model->transformer, tiny().tokenizer,
                      StopTokenIds(std::vector<TokenId>{}), cache);
  auto run = [&](Generator& g, const std::vector<TokenId>& prompt) {
    std::string text;
    const auto stats = g.generate(greedy(prompt, 12), [&](std::string_view piece, TokenId) {
      text += piece;
      return true;
    });
    return std::make_pair(text, stats.n_reused);
  };
  const std::vector<TokenId> first = prompt_of(20);
  std::vector<TokenId> second = first;
  second.push_back(4242);
  second.push_back(77);
  run(generator, first);
  const auto [reused_text, n_reused] = run(generator, second);
  EXPECT_EQ(n_reused, 20u);
  model::KvCache fresh_cache(tiny().model->config, 1, 128);
  Generator fresh(*tiny().model->transformer, tiny().tokenizer,
                  StopTokenIds(std::vector<TokenId>{}), fresh_cache);
  EXPECT_EQ(run(fresh, second).first, reused_text);
}

}  // namespace
}  // namespace r1::engine
