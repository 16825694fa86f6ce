// The continuous-batching engine against the single-sequence Generator (itself checked against
// transformers): streams run together must produce what each produces alone, and cancellation,
// queue limits, prefix reuse, n > 1 and the thinking budget must behave as documented.
#include "engine/serving_engine.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "engine/generator.h"
#include "engine/token_logprobs.h"
#include "r1/error.h"
#include "tiny_model.h"

namespace r1::engine {
namespace {

using test_support::TinyModel;

TinyModel& tiny() { return test_support::tiny_model(5); }

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
  std::string error;
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
        r.error = event.error;
      }
    }
  }
  return results;
}

// Sampling that never picks the model's padding rows (ids the tokenizer has no text for), as
// the server configures it.
SamplingParams within_vocab(SamplingParams params) {
  params.n_vocab_valid = static_cast<std::size_t>(tiny().tokenizer.vocab_size());
  return params;
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
  request.sampling = within_vocab(std::move(sampling));
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
  request.sampling = within_vocab(request.sampling);
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

// Requests arriving together at an idle engine are prefilled in one forward pass: the first
// waits (up to the batch window) until the queue holds a request for every free slot, and the
// texts stay those each request gets alone.
TEST(ServingEngine, ABurstOfRequestsIsPrefilledTogether) {
  model::KvCache cache(tiny().model->config, 4, 256);
  ServingEngine engine(*tiny().model->transformer, tiny().tokenizer,
                       StopTokenIds(std::vector<TokenId>{}), cache,
                       {.prefill_chunk = 512, .batch_window = std::chrono::milliseconds(3000)});
  std::vector<std::shared_ptr<RequestHandle>> handles;
  for (int i = 0; i < 4; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(30));
    handles.push_back(engine.submit(greedy(prompt_of(20 + 5 * i, i), 5)));
  }
  std::vector<Result> results;
  for (int i = 0; i < 4; ++i) results.push_back(collect(*handles[i], 1)[0]);
  EXPECT_EQ(engine.metrics().prefill_passes, 1u);
  // The window closed when the 4th request came (4 slots), not after 3 s.
  EXPECT_LT(results[0].stats.first_token_seconds, 2.5);
  for (int i = 0; i < 4; ++i) {
    SamplingParams greedy_params;
    greedy_params.temperature = 0.0f;
    EXPECT_EQ(results[static_cast<std::size_t>(i)].text,
              alone(prompt_of(20 + 5 * i, i), greedy_params, 5).first)
        << "stream " << i;
  }
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
  request.sampling = within_vocab(request.sampling);
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

TEST(ServingEngine, RequestsWaitForBlocksWhenThePoolIsFull) {
  // 4 slots but a pool of 8 blocks (256 positions): each request may reach 70 positions (3
  // blocks), so at most two run at once and the others wait in the queue, then run; every text
  // is still the solo one and every block comes back.
  model::KvCache cache(tiny().model->config, 4, 256, DType::f32, 8);
  ServingEngine engine(*tiny().model->transformer, tiny().tokenizer,
                       StopTokenIds(std::vector<TokenId>{}), cache);
  std::vector<std::shared_ptr<RequestHandle>> handles;
  for (int i = 0; i < 4; ++i) handles.push_back(engine.submit(greedy(prompt_of(40, 10 + i), 30)));
  std::vector<Result> results;
  for (auto& handle : handles) results.push_back(collect(*handle, 1)[0]);
  for (int i = 0; i < 4; ++i) {
    SamplingParams greedy_params;
    greedy_params.temperature = 0.0f;
    EXPECT_FALSE(results[static_cast<std::size_t>(i)].failed)
        << results[static_cast<std::size_t>(i)].error;
    EXPECT_EQ(results[static_cast<std::size_t>(i)].text,
              alone(prompt_of(40, 10 + i), greedy_params, 30).first)
        << "request " << i;
  }
  const EngineMetrics m = engine.metrics();
  EXPECT_EQ(m.kv_blocks_used, 0);
  EXPECT_LE(m.kv_blocks_cached, 8);
  EXPECT_EQ(m.kv_blocks_total, 8);
  // Three choices of up to 100 positions (4 blocks each) can never fit 8 blocks: refused now.
  ServeRequest too_many = greedy(prompt_of(40, 20), 60);
  too_many.n = 3;
  EXPECT_THROW(engine.submit(too_many), ContextLengthExceeded);
}

TEST(ServingEngine, ARunningSequenceSharesItsPromptBlocks) {
  // Two requests with a common 70-token prefix (a shared system prompt): the second, submitted
  // while the first still generates, takes the first's two whole blocks of it instead of
  // computing them, and both texts are the solo ones.
  model::KvCache cache(tiny().model->config, 2, 256);
  ServingEngine engine(*tiny().model->transformer, tiny().tokenizer,
                       StopTokenIds(std::vector<TokenId>{}), cache);
  const std::vector<TokenId> system = prompt_of(70, 9);
  std::vector<TokenId> a = system, b = system;
  for (int i = 0; i < 5; ++i) a.push_back(3000 + i), b.push_back(4000 + i);
  auto first = engine.submit(greedy(a, 40));
  Result ra;
  while (ra.ids.empty()) {  // the first has computed its prompt
    for (StreamEvent& e : first->wait(std::chrono::milliseconds(100))) {
      ra.text += e.text;
      for (const SampledToken& t : e.tokens) ra.ids.push_back(t.id);
    }
  }
  const Result rb = collect(*engine.submit(greedy(b, 8)), 1)[0];
  const Result rest = collect(*first, 1)[0];
  ra.text += rest.text;
  EXPECT_EQ(rest.stats.finish_reason, FinishReason::length);
  EXPECT_EQ(rb.stats.n_reused, 2u * model::KvCache::kBlockTokens);
  SamplingParams greedy_params;
  greedy_params.temperature = 0.0f;
  EXPECT_EQ(ra.text, alone(a, greedy_params, 40).first);
  EXPECT_EQ(rb.text, alone(b, greedy_params, 8).first);
}

TEST(ServingEngine, ChoicesShareThePromptsBlocks) {
  // n = 3 over a 75-token prompt: the later choices reuse the first choice's two whole prompt
  // blocks, and while they run the pool holds the prompt once (2 shared blocks + each choice's
  // own third block), not three times.
  model::KvCache cache(tiny().model->config, 3, 256);
  ServingEngine engine(*tiny().model->transformer, tiny().tokenizer,
                       StopTokenIds(std::vector<TokenId>{}), cache);
  ServeRequest request;
  request.prompt = prompt_of(75, 6);
  request.sampling = within_vocab(request.sampling);
  request.sampling.temperature = 1.0f;
  request.sampling.seed = 5;
  request.max_tokens = 12;
  request.n = 3;
  auto handle = engine.submit(request);
  std::int64_t most_used = 0;
  std::vector<Result> results(3);
  while (!handle->done()) {
    most_used = std::max(most_used, engine.metrics().kv_blocks_used);
    for (StreamEvent& event : handle->wait(std::chrono::milliseconds(5))) {
      Result& r = results[static_cast<std::size_t>(event.choice)];
      r.text += event.text;
      if (event.kind != StreamEvent::Kind::tokens) r.stats = event.stats;
    }
  }
  EXPECT_LE(most_used, 2 + 3);
  for (int c = 0; c < 3; ++c) {
    SamplingParams params = request.sampling;
    params.seed = 5 + static_cast<std::uint64_t>(c);
    EXPECT_EQ(results[static_cast<std::size_t>(c)].text, alone(request.prompt, params, 12).first)
        << "choice " << c;
    if (c > 0) {
      EXPECT_EQ(results[static_cast<std::size_t>(c)].stats.n_reused,
                2u * model::KvCache::kBlockTokens);
    }
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
