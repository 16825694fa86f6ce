// The continuous-batching engine against the single-sequence Generator (itself checked against
// transformers): streams run together must produce what each produces alone, and cancellation,
// queue limits, prefix reuse, n > 1 and the thinking budget must behave as documented.
#include "engine/serving_engine.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "engine/generator.h"
#include "engine/token_logprobs.h"
#include "model/loaded_model.h"
#include "model/random_checkpoint.h"
#include "r1/error.h"
#include "test_paths.h"

namespace r1::engine {
namespace {

struct TinyModel {
  std::filesystem::path folder;
  std::unique_ptr<model::LoadedModel> model;
  Tokenizer tokenizer;
};

TinyModel& tiny() {
  static TinyModel* instance = [] {
    const auto folder = test::scratch_dir("serving_engine_qwen2_tiny");
    std::filesystem::remove_all(folder);
    model::write_random_checkpoint({model::RandomPreset::qwen2_tiny, io::DType::f32, 5, folder});
    return new TinyModel{folder, model::load_model(folder), Tokenizer::load(folder)};
  }();
  return *instance;
}

std::vector<TokenId> prompt_of(std::size_t n, int salt) {
  std::vector<TokenId> ids = {*tiny().tokenizer.bos_id()};
  for (std::size_t i = 1; i < n; ++i)
    ids.push_back(static_cast<TokenId>(1000 + 37 * i + 101 * static_cast<std::size_t>(salt)));
  return ids;
}

struct Result {
  std::string text;
  std::vector<TokenId> ids;
  ChoiceStats stats;
  bool failed = false;
};

// Drains a handle: the text and ids of each choice.
std::vector<Result> collect(RequestHandle& handle, std::int32_t n_choices) {
  std::vector<Result> results(static_cast<std::size_t>(n_choices));
  while (!handle.done()) {
    for (StreamEvent& event : handle.wait(std::chrono::milliseconds(100))) {
      Result& r = results[static_cast<std::size_t>(event.choice)];
      if (event.kind == StreamEvent::Kind::tokens) {
        r.text += event.text;
        for (const SampledToken& t : event.tokens) r.ids.push_back(t.id);
      } else {
        r.stats = event.stats;
        r.failed = event.kind == StreamEvent::Kind::failed;
      }
    }
  }
  return results;
}

// What the Generator produces alone for the same prompt and sampling (its callback sees only the
// ids that completed printable text, so compare texts). Only while no engine runs the model.
std::pair<std::string, std::vector<TokenId>> alone(const std::vector<TokenId>& prompt,
                                                   SamplingParams sampling, int max_tokens) {
  model::KvCache cache(tiny().model->config, 1, 256);
  Generator generator(*tiny().model->transformer, tiny().tokenizer,
                      StopTokenIds(std::vector<TokenId>{}), cache);
  GenerationRequest request;
  request.prompt = prompt;
  request.sampling = std::move(sampling);
  request.max_tokens = max_tokens;
  std::string text;
  std::vector<TokenId> ids;
  generator.generate(request, [&](std::string_view piece, TokenId id) {
    text += piece;
    if (id >= 0) ids.push_back(id);
    return true;
  });
  return {text, ids};
}

ServeRequest greedy(std::vector<TokenId> prompt, int max_tokens) {
  ServeRequest request;
  request.prompt = std::move(prompt);
  request.sampling.temperature = 0.0f;
  request.max_tokens = max_tokens;
  return request;
}

TEST(ServingEngine, ConcurrentGreedyStreamsEachGetTheirSoloText) {
  model::KvCache cache(tiny().model->config, 8, 256);
  ServingEngine engine(*tiny().model->transformer, tiny().tokenizer,
                       StopTokenIds(std::vector<TokenId>{}), cache, {.prefill_chunk = 40});
  std::vector<std::shared_ptr<RequestHandle>> handles;
  for (int i = 0; i < 8; ++i)
    handles.push_back(engine.submit(greedy(prompt_of(10 + 9 * i, i), 12 + i)));
  std::vector<Result> results;
  for (int i = 0; i < 8; ++i) results.push_back(collect(*handles[i], 1)[0]);
  // The engine is idle now, so the Generator may use the same model.
  for (int i = 0; i < 8; ++i) {
    const Result& r = results[static_cast<std::size_t>(i)];
    SamplingParams greedy_params;
    greedy_params.temperature = 0.0f;
    const auto [text, ids] = alone(prompt_of(10 + 9 * i, i), greedy_params, 12 + i);
    EXPECT_EQ(r.text, text) << "stream " << i;
    EXPECT_EQ(r.stats.finish_reason, FinishReason::length);
    EXPECT_EQ(r.stats.n_generated, static_cast<std::size_t>(12 + i));
  }
  EXPECT_EQ(engine.metrics().active_sequences, 0);
}

TEST(ServingEngine, NextTurnReusesTheCachedPrefix) {
  model::KvCache cache(tiny().model->config, 2, 256);
  ServingEngine engine(*tiny().model->transformer, tiny().tokenizer,
                       StopTokenIds(std::vector<TokenId>{}), cache);
  const std::vector<TokenId> first = prompt_of(40, 1);
  const Result a = collect(*engine.submit(greedy(first, 6)), 1)[0];
  std::vector<TokenId> second = first;
  second.insert(second.end(), a.ids.begin(), a.ids.end());
  for (int i = 0; i < 5; ++i) second.push_back(2000 + i);
  const Result b = collect(*engine.submit(greedy(second, 6)), 1)[0];
  // The first prompt and all but the last generated id were computed for the first turn.
  EXPECT_EQ(b.stats.n_reused, first.size() + a.ids.size() - 1);
  SamplingParams greedy_params;
  greedy_params.temperature = 0.0f;
  EXPECT_EQ(b.text, alone(second, greedy_params, 6).first);
}

TEST(ServingEngine, CancelFreesTheSlotAndOthersGoOn) {
  model::KvCache cache(tiny().model->config, 1, 256);
  ServingEngine engine(*tiny().model->transformer, tiny().tokenizer,
                       StopTokenIds(std::vector<TokenId>{}), cache);
  auto victim = engine.submit(greedy(prompt_of(20, 2), 200));
  auto next = engine.submit(greedy(prompt_of(12, 3), 5));  // waits for the only slot
  // Let the victim produce something, then cancel it.
  std::size_t seen = 0;
  while (seen == 0) {
    for (const StreamEvent& e : victim->wait(std::chrono::milliseconds(100)))
      seen += e.tokens.size();
  }
  victim->cancel();
  const Result v = collect(*victim, 1)[0];
  EXPECT_EQ(v.stats.finish_reason, FinishReason::cancelled);
  EXPECT_LT(v.stats.n_generated, 200u);
  const Result r = collect(*next, 1)[0];
  SamplingParams greedy_params;
  greedy_params.temperature = 0.0f;
  EXPECT_EQ(r.text, alone(prompt_of(12, 3), greedy_params, 5).first);
  EXPECT_EQ(engine.metrics().active_sequences, 0);
  EXPECT_EQ(engine.metrics().kv_blocks_used, 0);
}

TEST(ServingEngine, FullQueueRefusesAndContextOverflowNamesTheNumbers) {
  model::KvCache cache(tiny().model->config, 1, 256);
  ServingEngine engine(*tiny().model->transformer, tiny().tokenizer,
                       StopTokenIds(std::vector<TokenId>{}), cache, {.max_queue = 1});
  std::vector<std::shared_ptr<RequestHandle>> accepted;
  int refused = 0;
  for (int i = 0; i < 3; ++i) {
    try {
      accepted.push_back(engine.submit(greedy(prompt_of(30, i), 150)));
    } catch (const EngineOverloaded&) {
      ++refused;
    }
  }
  // One slot and one queue place: at most two of the three fit.
  EXPECT_GE(refused, 1);
  for (auto& handle : accepted) handle->cancel();
  for (auto& handle : accepted) collect(*handle, 1);

  try {
    engine.submit(greedy(prompt_of(200, 0), 100));
    FAIL() << "expected ContextLengthExceeded";
  } catch (const ContextLengthExceeded& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("256"), std::string::npos) << message;
    EXPECT_NE(message.find("300"), std::string::npos) << message;
  }
}

TEST(ServingEngine, SeveralChoicesSampleWithConsecutiveSeeds) {
  model::KvCache cache(tiny().model->config, 3, 256);
  ServingEngine engine(*tiny().model->transformer, tiny().tokenizer,
                       StopTokenIds(std::vector<TokenId>{}), cache);
  ServeRequest request;
  request.prompt = prompt_of(25, 4);
  request.sampling.temperature = 1.0f;
  request.sampling.seed = 77;
  request.max_tokens = 10;
  request.n = 3;
  const std::vector<Result> results = collect(*engine.submit(request), 3);
  for (int c = 0; c < 3; ++c) {
    SamplingParams params = request.sampling;
    params.seed = 77 + static_cast<std::uint64_t>(c);
    EXPECT_EQ(results[c].text, alone(request.prompt, params, 10).first) << "choice " << c;
  }
}

TEST(ServingEngine, ThinkingBudgetClosesTheThinkingBlock) {
  model::KvCache cache(tiny().model->config, 1, 256);
  ServingEngine engine(*tiny().model->transformer, tiny().tokenizer,
                       StopTokenIds(std::vector<TokenId>{}), cache);
  ServeRequest request = greedy(prompt_of(15, 5), 20);
  request.starts_in_reasoning = true;
  request.max_reasoning_tokens = 4;
  const Result r = collect(*engine.submit(request), 1)[0];
  const std::vector<TokenId> close =
      tiny().tokenizer.encode("\n</think>\n\n", {.special_tokens = SpecialTokens::skip});
  const auto close_id = tiny().tokenizer.token_to_id("</think>");
  ASSERT_TRUE(close_id.has_value());
  ASSERT_GE(r.ids.size(), 4 + close.size());
  EXPECT_EQ(std::vector<TokenId>(r.ids.begin() + 4, r.ids.begin() + 4 + close.size()), close);
  // Thinking: the 4 budgeted tokens and the inserted ids up to and including </think>.
  const auto close_at = std::find(close.begin(), close.end(), *close_id) - close.begin();
  EXPECT_EQ(r.stats.n_reasoning, 4 + static_cast<std::size_t>(close_at) + 1);
  EXPECT_NE(r.text.find("</think>"), std::string::npos);
}

TEST(TokenLogprobs, MatchesALogSoftmaxInDoublePrecision) {
  const std::vector<float> logits = {1.0f, 3.0f, -2.0f, 3.0f, 0.5f, 9.0f};
  const TokenLogprobs lp = token_logprobs(logits, 2, 3, 5);  // id 5 is padding
  double z = 0;
  for (int i = 0; i < 5; ++i) z += std::exp(static_cast<double>(logits[i]));
  EXPECT_NEAR(lp.logprob, -2.0 - std::log(z), 1e-6);
  ASSERT_EQ(lp.top.size(), 3u);
  EXPECT_EQ(lp.top[0].id, 1);  // ties keep the lower id first
  EXPECT_EQ(lp.top[1].id, 3);
  EXPECT_EQ(lp.top[2].id, 0);
  EXPECT_NEAR(lp.top[2].logprob, 1.0 - std::log(z), 1e-6);
}

}  // namespace
}  // namespace r1::engine
