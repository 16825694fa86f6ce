// Sampling fields: ranges, types, aliases, unsupported fields and the merge into SamplingParams.
#include "server/sampling_request.h"

#include <gtest/gtest.h>

#include "server/api_error.h"
#include "server/chat_request.h"
#include "server/completion_request.h"

namespace r1::server {
namespace {

const RequestLimits kLimits;

SamplingRequest chat(const std::string& fields) {
  return parse_chat_request(
             R"({"messages": [{"role": "user", "content": "Hi"}])" +
                 (fields.empty() ? std::string() : ", " + fields) + "}",
             kLimits)
      .sampling;
}

SamplingRequest completion(const std::string& fields) {
  return parse_completion_request(R"({"prompt": "Hi", )" + fields + "}", kLimits).sampling;
}

ApiError chat_error(const std::string& fields) {
  try {
    chat(fields);
  } catch (const ApiError& error) {
    return error;
  }
  ADD_FAILURE() << "expected an ApiError for " << fields;
  return internal("none");
}

TEST(SamplingRequest, ReadsEveryField) {
  const SamplingRequest request = chat(R"(
      "temperature": 0.6, "top_p": 0.95, "top_k": 40, "min_p": 0.05, "repetition_penalty": 1.1,
      "presence_penalty": -0.5, "frequency_penalty": 2, "max_tokens": 100, "seed": 42,
      "max_reasoning_tokens": 0, "logit_bias": {"15": -100, "7": 2.5}, "stop": ["a", "bc"],
      "n": 2, "logprobs": true, "top_logprobs": 3, "stream": true,
      "stream_options": {"include_usage": true}, "reasoning_format": "raw", "user": "u1",
      "model": "m")");
  EXPECT_FLOAT_EQ(*request.temperature, 0.6f);
  EXPECT_FLOAT_EQ(*request.top_p, 0.95f);
  EXPECT_EQ(*request.top_k, 40);
  EXPECT_FLOAT_EQ(*request.min_p, 0.05f);
  EXPECT_FLOAT_EQ(*request.repetition_penalty, 1.1f);
  EXPECT_FLOAT_EQ(*request.presence_penalty, -0.5f);
  EXPECT_FLOAT_EQ(*request.frequency_penalty, 2.0f);
  EXPECT_EQ(*request.max_tokens, 100);
  EXPECT_EQ(*request.max_reasoning_tokens, 0);
  EXPECT_EQ(*request.seed, 42u);
  EXPECT_EQ(request.logit_bias, (std::map<TokenId, float>{{7, 2.5f}, {15, -100.0f}}));
  EXPECT_EQ(request.stop, (std::vector<std::string>{"a", "bc"}));
  EXPECT_EQ(request.n, 2);
  EXPECT_TRUE(request.logprobs);
  EXPECT_EQ(*request.top_logprobs, 3);
  EXPECT_TRUE(request.stream);
  EXPECT_TRUE(request.include_usage);
  EXPECT_EQ(*request.reasoning_format, ReasoningFormat::raw);
  EXPECT_EQ(request.user, "u1");
  EXPECT_EQ(request.model, "m");
}

TEST(SamplingRequest, NullMeansAbsent) {
  const SamplingRequest request =
      chat(R"("temperature": null, "stop": null, "seed": null, "n": null, "logit_bias": null)");
  EXPECT_FALSE(request.temperature.has_value());
  EXPECT_TRUE(request.stop.empty());
  EXPECT_FALSE(request.seed.has_value());
  EXPECT_EQ(request.n, 1);
}

TEST(SamplingRequest, MaxCompletionTokensWins) {
  EXPECT_EQ(*chat(R"("max_tokens": 10, "max_completion_tokens": 20)").max_tokens, 20);
  EXPECT_EQ(*chat(R"("max_completion_tokens": 5)").max_tokens, 5);
  EXPECT_EQ(chat_error(R"("max_completion_tokens": 0)").param, "max_completion_tokens");
}

TEST(SamplingRequest, StopAsString) {
  EXPECT_EQ(chat(R"("stop": "\n\n")").stop, (std::vector<std::string>{"\n\n"}));
  EXPECT_EQ(chat_error(R"("stop": "")").param, "stop");
  EXPECT_EQ(chat_error(R"("stop": ["a", ""])").param, "stop[1]");
  EXPECT_EQ(chat_error(R"("stop": ["a", 3])").param, "stop[1]");
  EXPECT_EQ(chat_error(R"("stop": 3)").param, "stop");
  std::string seventeen = R"("stop": [)";
  for (int i = 0; i < 17; ++i) seventeen += (i ? ", \"s" : "\"s") + std::to_string(i) + "\"";
  EXPECT_EQ(chat_error(seventeen + "]").param, "stop");
}

TEST(SamplingRequest, RangesFollowOpenAI) {
  EXPECT_FLOAT_EQ(*chat(R"("temperature": 0)").temperature, 0.0f);
  EXPECT_FLOAT_EQ(*chat(R"("temperature": 2)").temperature, 2.0f);
  EXPECT_EQ(chat_error(R"("temperature": 2.01)").param, "temperature");
  EXPECT_EQ(chat_error(R"("temperature": -0.1)").param, "temperature");
  EXPECT_EQ(chat_error(R"("top_p": 0)").param, "top_p");
  EXPECT_EQ(chat_error(R"("top_p": 1.5)").param, "top_p");
  EXPECT_EQ(chat_error(R"("top_k": -2)").param, "top_k");
  EXPECT_EQ(*chat(R"("top_k": -1)").top_k, 0);  // vLLM's "off"
  EXPECT_EQ(chat_error(R"("min_p": 1.5)").param, "min_p");
  EXPECT_EQ(chat_error(R"("repetition_penalty": 0)").param, "repetition_penalty");
  EXPECT_EQ(chat_error(R"("presence_penalty": 2.5)").param, "presence_penalty");
  EXPECT_EQ(chat_error(R"("frequency_penalty": -3)").param, "frequency_penalty");
  EXPECT_EQ(chat_error(R"("max_tokens": 0)").param, "max_tokens");
  EXPECT_EQ(chat_error(R"("max_tokens": 3000000000)").param, "max_tokens");
  EXPECT_EQ(chat_error(R"("n": 0)").param, "n");
  EXPECT_EQ(chat_error(R"("n": 5)").param, "n");  // max_n = 4
  EXPECT_EQ(chat(R"("n": 4)").n, 4);
  EXPECT_EQ(chat_error(R"("logprobs": true, "top_logprobs": 21)").param, "top_logprobs");
  EXPECT_EQ(chat_error(R"("max_reasoning_tokens": -1)").param, "max_reasoning_tokens");
}

TEST(SamplingRequest, WrongTypesNameTheField) {
  const ApiError error = chat_error(R"("temperature": "hot")");
  EXPECT_EQ(error.status, 400);
  EXPECT_EQ(error.type, "invalid_request_error");
  EXPECT_EQ(error.param, "temperature");
  EXPECT_NE(error.message.find("a string"), std::string::npos) << error.message;
  EXPECT_EQ(chat_error(R"("top_k": 1.5)").param, "top_k");
  EXPECT_EQ(*chat(R"("top_k": 5.0)").top_k, 5);
  EXPECT_EQ(chat_error(R"("stream": "yes")").param, "stream");
  EXPECT_EQ(chat_error(R"("seed": 1.5)").param, "seed");
  EXPECT_EQ(chat_error(R"("model": 3)").param, "model");
  EXPECT_EQ(chat_error(R"("logprobs": 1)").param, "logprobs");
  EXPECT_EQ(chat_error(R"("reasoning_format": "hidden")").param, "reasoning_format");
}

TEST(SamplingRequest, TopLogprobsNeedsLogprobs) {
  EXPECT_EQ(chat_error(R"("top_logprobs": 2)").param, "top_logprobs");
  EXPECT_EQ(chat_error(R"("logprobs": false, "top_logprobs": 2)").param, "top_logprobs");
}

TEST(SamplingRequest, NegativeSeedIsItsBitPattern) {
  EXPECT_EQ(*chat(R"("seed": -1)").seed, 0xFFFFFFFFFFFFFFFFull);
  EXPECT_EQ(*chat(R"("seed": 9223372036854775807)").seed, 9223372036854775807ull);
  EXPECT_EQ(chat_error(R"("seed": 18446744073709551615)").param, "seed");  // beyond int64
}

TEST(SamplingRequest, LogitBiasKeysAndValues) {
  EXPECT_EQ(chat_error(R"("logit_bias": {"abc": 1})").param, "logit_bias");
  EXPECT_EQ(chat_error(R"("logit_bias": {"-1": 1})").param, "logit_bias");
  EXPECT_EQ(chat_error(R"("logit_bias": {"1.5": 1})").param, "logit_bias");
  EXPECT_EQ(chat_error(R"("logit_bias": {"": 1})").param, "logit_bias");
  EXPECT_EQ(chat_error(R"("logit_bias": {"99999999999": 1})").param, "logit_bias");
  EXPECT_EQ(chat_error(R"("logit_bias": {"5": 101})").param, "logit_bias");
  EXPECT_EQ(chat_error(R"("logit_bias": {"5": "x"})").param, "logit_bias");
  EXPECT_EQ(chat_error(R"("logit_bias": [1])").param, "logit_bias");
}

TEST(SamplingRequest, StreamOptionsNeedStream) {
  EXPECT_EQ(chat_error(R"("stream_options": {"include_usage": true})").param, "stream_options");
  EXPECT_FALSE(chat(R"("stream": true)").include_usage);
  EXPECT_EQ(chat_error(R"("stream": true, "stream_options": {"include_usage": 1})").param,
            "stream_options.include_usage");
}

TEST(SamplingRequest, UnsupportedFieldsAreRefused) {
  EXPECT_EQ(chat_error(R"("response_format": {"type": "json_object"})").param,
            "response_format.type");
  EXPECT_EQ(chat_error(R"("response_format": {"type": "json_schema", "json_schema": {}})").param,
            "response_format.type");
  EXPECT_NO_THROW(chat(R"("response_format": {"type": "text"})"));
  EXPECT_EQ(chat_error(R"("audio": {"voice": "alloy"})").param, "audio");
  EXPECT_EQ(chat_error(R"("modalities": ["text", "audio"])").param, "modalities");
  EXPECT_NO_THROW(chat(R"("modalities": ["text"])"));
  EXPECT_EQ(chat_error(R"("prediction": {"type": "content", "content": "x"})").param,
            "prediction");
  EXPECT_EQ(chat_error(R"("functions": [{"name": "f"}])").param, "functions");
}

TEST(SamplingRequest, UnknownFieldsAreIgnored) {
  EXPECT_NO_THROW(chat(R"("store": true, "metadata": {"a": "b"}, "service_tier": "auto",
                          "parallel_tool_calls": false, "frobnicate": [1, 2])"));
}

TEST(SamplingRequest, CompletionsLogprobsIsAnInteger) {
  const SamplingRequest request = completion(R"("logprobs": 3)");
  EXPECT_TRUE(request.logprobs);
  EXPECT_EQ(*request.top_logprobs, 3);
  EXPECT_FALSE(completion(R"("max_tokens": 5)").logprobs);
  EXPECT_TRUE(completion(R"("logprobs": 0)").logprobs);
  EXPECT_THROW(completion(R"("logprobs": 6)"), ApiError);
  EXPECT_THROW(completion(R"("logprobs": true)"), ApiError);
  EXPECT_THROW(completion(R"("best_of": 2)"), ApiError);
  EXPECT_NO_THROW(completion(R"("best_of": 1)"));
}

TEST(ToSamplingParams, RequestOverridesDefaults) {
  SamplingParams defaults;
  defaults.temperature = 0.6f;
  defaults.top_p = 0.95f;
  defaults.logit_bias = {{1, 1.0f}};
  SamplingRequest request;
  request.top_p = 0.5f;
  request.top_k = 20;
  request.seed = 7;
  const SamplingParams params = to_sampling_params(request, defaults);
  EXPECT_FLOAT_EQ(params.temperature, 0.6f);  // default kept
  EXPECT_FLOAT_EQ(params.top_p, 0.5f);
  EXPECT_EQ(params.top_k, 20);
  EXPECT_EQ(*params.seed, 7u);
  EXPECT_EQ(params.logit_bias, (std::map<TokenId, float>{{1, 1.0f}}));
  request.logit_bias = {{3, -5.0f}};
  EXPECT_EQ(to_sampling_params(request, defaults).logit_bias,
            (std::map<TokenId, float>{{3, -5.0f}}));
}

TEST(ToSamplingParams, ValidationErrorNamesTheField) {
  SamplingParams defaults;
  defaults.n_vocab_valid = 100;
  SamplingRequest request;
  request.logit_bias = {{150, 1.0f}};
  try {
    to_sampling_params(request, defaults);
    FAIL() << "expected an ApiError";
  } catch (const ApiError& error) {
    EXPECT_EQ(error.status, 400);
    EXPECT_EQ(error.param, "logit_bias");
  }
  request = {};
  request.top_p = 0.0f;  // a request built by hand, not by the parser
  try {
    to_sampling_params(request, defaults);
    FAIL() << "expected an ApiError";
  } catch (const ApiError& error) {
    EXPECT_EQ(error.param, "top_p");
  }
}

}  // namespace
}  // namespace r1::server
