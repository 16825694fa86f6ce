// Response objects compared with OpenAI's documented shapes (written out by hand here).
#include "server/openai_response.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

namespace r1::server {
namespace {

using OJson = nlohmann::ordered_json;

ResponseMeta meta() { return {"chatcmpl-abc", 1700000000, "r1-model", "fp_r1"}; }

TEST(ChatCompletion, MatchesOpenAIShape) {
  ChatChoice choice;
  choice.content = "4";
  choice.reasoning_content = "2+2";
  choice.finish_reason = "stop";
  const OJson body = chat_completion(meta(), {choice}, Usage{10, 5, 3});
  const OJson expected = OJson::parse(R"({
    "id": "chatcmpl-abc", "object": "chat.completion", "created": 1700000000, "model": "r1-model",
    "system_fingerprint": "fp_r1",
    "choices": [{"index": 0,
                 "message": {"role": "assistant", "content": "4", "reasoning_content": "2+2"},
                 "logprobs": null, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15,
              "completion_tokens_details": {"reasoning_tokens": 3}}})");
  EXPECT_EQ(body, expected);
}

TEST(ChatCompletion, RawFormatOmitsReasoningAndUsageDetails) {
  ChatChoice choice;
  choice.index = 1;
  choice.content = "<think>x</think>y";
  choice.finish_reason = "length";
  ResponseMeta m = meta();
  m.system_fingerprint.clear();
  const OJson body = chat_completion(m, {choice}, Usage{1, 2, std::nullopt});
  EXPECT_FALSE(body.contains("system_fingerprint"));
  EXPECT_FALSE(body["choices"][0]["message"].contains("reasoning_content"));
  EXPECT_EQ(body["choices"][0]["index"], 1);
  EXPECT_EQ(body["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(body["usage"], OJson::parse(
                               R"({"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3})"));
}

TEST(ChatLogprobs, TokensBytesAndAlternatives) {
  TokenLogprob token{"Hi", -0.5f, {{"Hi", -0.5f}, {"Hello", -1.25f}}};
  const OJson expected = OJson::parse(R"({"content": [
      {"token": "Hi", "logprob": -0.5, "bytes": [72, 105], "top_logprobs": [
          {"token": "Hi", "logprob": -0.5, "bytes": [72, 105]},
          {"token": "Hello", "logprob": -1.25, "bytes": [72, 101, 108, 108, 111]}]}]})");
  EXPECT_EQ(chat_logprobs({token}), expected);
}

TEST(ChatLogprobs, PartialUtf8TokenKeepsRawBytes) {
  // "é" is C3 A9; a token holding only C3 shows U+FFFD but its bytes stay [195].
  const OJson out = chat_logprobs({TokenLogprob{"\xC3", -1.0f, {}}});
  EXPECT_EQ(out["content"][0]["token"], "\xEF\xBF\xBD");
  EXPECT_EQ(out["content"][0]["bytes"], OJson::array({195}));
}

TEST(ChatChunks, RoleDeltaFinishUsage) {
  EXPECT_EQ(chat_chunk_role(meta(), 0, false), OJson::parse(R"({
      "id": "chatcmpl-abc", "object": "chat.completion.chunk", "created": 1700000000,
      "model": "r1-model", "system_fingerprint": "fp_r1",
      "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": null,
                   "finish_reason": null}]})"));
  const OJson delta = chat_chunk_delta(meta(), 0, "Hel", "", std::nullopt, false);
  EXPECT_EQ(delta["choices"][0]["delta"], OJson::parse(R"({"content": "Hel"})"));
  const OJson thinking = chat_chunk_delta(meta(), 0, "", "hmm", std::nullopt, false);
  EXPECT_EQ(thinking["choices"][0]["delta"], OJson::parse(R"({"reasoning_content": "hmm"})"));
  const OJson finish = chat_chunk_finish(meta(), 2, "stop", false);
  EXPECT_EQ(finish["choices"][0], OJson::parse(
                                      R"({"index": 2, "delta": {}, "logprobs": null,
                                          "finish_reason": "stop"})"));
  EXPECT_FALSE(finish.contains("usage"));
}

TEST(ChatChunks, IncludeUsageAddsNullUsageThenAFinalUsageChunk) {
  EXPECT_TRUE(chat_chunk_role(meta(), 0, true)["usage"].is_null());
  EXPECT_TRUE(chat_chunk_role(meta(), 0, true).contains("usage"));
  EXPECT_TRUE(chat_chunk_delta(meta(), 0, "a", "", std::nullopt, true)["usage"].is_null());
  const OJson last = chat_chunk_usage(meta(), Usage{3, 4, 1});
  EXPECT_EQ(last["object"], "chat.completion.chunk");
  EXPECT_EQ(last["choices"], OJson::array());
  EXPECT_EQ(last["usage"]["total_tokens"], 7);
  EXPECT_EQ(last["usage"]["completion_tokens_details"]["reasoning_tokens"], 1);
}

TEST(TextCompletion, MatchesOpenAIShape) {
  CompletionChoice choice;
  choice.text = " upon a time";
  choice.finish_reason = "length";
  const OJson body = text_completion({"cmpl-1", 5, "r1-model", ""}, {choice}, Usage{2, 3, {}});
  EXPECT_EQ(body, OJson::parse(R"({
      "id": "cmpl-1", "object": "text_completion", "created": 5, "model": "r1-model",
      "choices": [{"text": " upon a time", "index": 0, "logprobs": null,
                   "finish_reason": "length"}],
      "usage": {"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5}})"));
}

TEST(TextCompletion, LegacyLogprobsWithTextOffsets) {
  const std::vector<TokenLogprob> tokens = {
      {" upon", -0.25f, {{" upon", -0.25f}, {" in", -2.0f}}},
      {" a", -0.5f, {{" a", -0.5f}}},
  };
  EXPECT_EQ(completion_logprobs(tokens, 4), OJson::parse(R"({
      "tokens": [" upon", " a"], "token_logprobs": [-0.25, -0.5],
      "top_logprobs": [{" upon": -0.25, " in": -2.0}, {" a": -0.5}],
      "text_offset": [4, 9]})"));
}

TEST(TextCompletion, StreamChunkHasNullFinishReasonUntilTheEnd) {
  CompletionChoice choice;
  choice.text = "x";
  const OJson chunk = text_completion_chunk({"cmpl-1", 5, "m", ""}, choice, true);
  EXPECT_EQ(chunk["object"], "text_completion");
  EXPECT_TRUE(chunk["choices"][0]["finish_reason"].is_null());
  EXPECT_TRUE(chunk["usage"].is_null());
  const OJson last = text_completion_usage_chunk({"cmpl-1", 5, "m", ""}, Usage{1, 1, {}});
  EXPECT_EQ(last["choices"], OJson::array());
  EXPECT_EQ(last["usage"]["total_tokens"], 2);
}

TEST(Models, ListShape) {
  EXPECT_EQ(model_list({{"deepseek-r1-distill-qwen-1.5b", 1700000000}}), OJson::parse(R"({
      "object": "list", "data": [{"id": "deepseek-r1-distill-qwen-1.5b", "object": "model",
                                  "created": 1700000000, "owned_by": "r1"}]})"));
  EXPECT_EQ(model_list({}), OJson::parse(R"({"object": "list", "data": []})"));
}

TEST(Sse, Framing) {
  EXPECT_EQ(sse_data(OJson{{"a", 1}}), "data: {\"a\":1}\n\n");
  EXPECT_EQ(sse_data(nlohmann::json{{"a", 1}}), "data: {\"a\":1}\n\n");
  EXPECT_EQ(sse_done(), "data: [DONE]\n\n");
  // Newlines inside strings are escaped, so one event is one line.
  EXPECT_EQ(sse_data(OJson{{"t", "a\nb"}}), "data: {\"t\":\"a\\nb\"}\n\n");
  // Invalid UTF-8 does not throw; it is replaced.
  EXPECT_EQ(sse_data(OJson{{"t", "\xff"}}), "data: {\"t\":\"\xEF\xBF\xBD\"}\n\n");
}

TEST(ResponseId, PrefixAndHexAndUnique) {
  const std::string id = new_response_id("chatcmpl-");
  ASSERT_EQ(id.size(), std::string("chatcmpl-").size() + 24);
  EXPECT_EQ(id.rfind("chatcmpl-", 0), 0u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef", 9), std::string::npos);
  std::set<std::string> ids;
  std::mutex mutex;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 250; ++i) {
        std::string next = new_response_id("cmpl-");
        const std::lock_guard<std::mutex> lock(mutex);
        ids.insert(std::move(next));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ids.size(), 1000u);
}

}  // namespace
}  // namespace r1::server
