// Completions prompt forms and completions-only fields.
#include "server/completion_request.h"

#include <gtest/gtest.h>

#include "server/api_error.h"

namespace r1::server {
namespace {

const RequestLimits kLimits;

CompletionRequest parse(const std::string& body) {
  return parse_completion_request(body, kLimits);
}

std::string error_param(const std::string& body) {
  try {
    parse(body);
  } catch (const ApiError& error) {
    EXPECT_EQ(error.status, 400);
    return error.param.empty() ? "<null>" : error.param;
  }
  ADD_FAILURE() << "expected an ApiError for " << body;
  return "";
}

TEST(CompletionRequest, PromptForms) {
  EXPECT_EQ(std::get<std::string>(parse(R"({"prompt": "Once"})").prompt), "Once");
  EXPECT_EQ(std::get<std::string>(parse(R"({"prompt": ["Once"]})").prompt), "Once");
  EXPECT_EQ(std::get<std::vector<TokenId>>(parse(R"({"prompt": [1, 2, 3]})").prompt),
            (std::vector<TokenId>{1, 2, 3}));
  EXPECT_EQ(std::get<std::vector<TokenId>>(parse(R"({"prompt": [[4, 5]]})").prompt),
            (std::vector<TokenId>{4, 5}));
}

TEST(CompletionRequest, BadPrompts) {
  EXPECT_EQ(error_param(R"({})"), "prompt");
  EXPECT_EQ(error_param(R"({"prompt": ""})"), "prompt");
  EXPECT_EQ(error_param(R"({"prompt": []})"), "prompt");
  EXPECT_EQ(error_param(R"({"prompt": [[]]})"), "prompt");
  EXPECT_EQ(error_param(R"({"prompt": ["a", "b"]})"), "prompt");
  EXPECT_EQ(error_param(R"({"prompt": [[1], [2]]})"), "prompt");
  EXPECT_EQ(error_param(R"({"prompt": [1, -2]})"), "prompt");
  EXPECT_EQ(error_param(R"({"prompt": [1, 2.5]})"), "prompt");
  EXPECT_EQ(error_param(R"({"prompt": [1, "a"]})"), "prompt");
  EXPECT_EQ(error_param(R"({"prompt": [3000000000]})"), "prompt");
  EXPECT_EQ(error_param(R"({"prompt": 5})"), "prompt");
  EXPECT_EQ(error_param(R"({"prompt": {"text": "x"}})"), "prompt");
}

TEST(CompletionRequest, BatchMessageSaysOnePromptPerRequest) {
  try {
    parse(R"({"prompt": ["a", "b"]})");
    FAIL();
  } catch (const ApiError& error) {
    EXPECT_NE(error.message.find("one prompt per request"), std::string::npos) << error.message;
  }
}

TEST(CompletionRequest, EchoAndSuffix) {
  EXPECT_TRUE(parse(R"({"prompt": "x", "echo": true})").echo);
  EXPECT_FALSE(parse(R"({"prompt": "x"})").echo);
  EXPECT_EQ(error_param(R"({"prompt": "x", "echo": "yes"})"), "echo");
  EXPECT_EQ(error_param(R"({"prompt": "x", "suffix": "tail"})"), "suffix");
  EXPECT_NO_THROW(parse(R"({"prompt": "x", "suffix": ""})"));
  EXPECT_NO_THROW(parse(R"({"prompt": "x", "suffix": null})"));
}

TEST(CompletionRequest, PromptLimits) {
  RequestLimits limits;
  limits.max_prompt_bytes = 3;
  limits.max_prompt_tokens = 2;
  EXPECT_THROW(parse_completion_request(R"({"prompt": "abcd"})", limits), ApiError);
  EXPECT_THROW(parse_completion_request(R"({"prompt": [1, 2, 3]})", limits), ApiError);
  EXPECT_NO_THROW(parse_completion_request(R"({"prompt": [1, 2]})", limits));
}

TEST(CompletionRequest, BodyMustBeAnObject) {
  EXPECT_EQ(error_param(R"("prompt")"), "<null>");
  EXPECT_EQ(error_param(R"({"prompt": "x",})"), "<null>");
}

}  // namespace
}  // namespace r1::server
