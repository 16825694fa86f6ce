// Chat request parsing: the accepted shapes, the normalization and each rejection with its param.
#include "server/chat_request.h"

#include <gtest/gtest.h>

#include "server/api_error.h"

namespace r1::server {
namespace {

const RequestLimits kLimits;

ChatCompletionRequest parse(const std::string& body) { return parse_chat_request(body, kLimits); }

// The ApiError a body raises (fails the test when it parses).
ApiError error_of(const std::string& body, const RequestLimits& limits = kLimits) {
  try {
    parse_chat_request(body, limits);
  } catch (const ApiError& error) {
    return error;
  }
  ADD_FAILURE() << "expected an ApiError for " << body;
  return internal("none");
}

std::string with_messages(const std::string& messages, const std::string& extra = "") {
  return R"({"model": "r1", "messages": )" + messages + (extra.empty() ? "" : ", " + extra) + "}";
}

const std::string kUser = R"([{"role": "user", "content": "Hi"}])";

TEST(ChatRequest, MinimalRequest) {
  const ChatCompletionRequest request = parse(with_messages(kUser));
  EXPECT_EQ(request.messages, Json::parse(R"([{"role": "user", "content": "Hi"}])"));
  EXPECT_TRUE(request.tools.is_null());
  EXPECT_EQ(request.sampling.model, "r1");
  EXPECT_EQ(request.sampling.n, 1);
  EXPECT_FALSE(request.sampling.stream);
  EXPECT_FALSE(request.sampling.temperature.has_value());
}

TEST(ChatRequest, ContentPartsAreJoined) {
  const auto request = parse(with_messages(
      R"([{"role": "user", "content": [{"type": "text", "text": "Hello, "},
                                       {"type": "text", "text": "world"}]}])"));
  EXPECT_EQ(request.messages[0]["content"], "Hello, world");
}

TEST(ChatRequest, DeveloperBecomesSystem) {
  const auto request = parse(with_messages(
      R"([{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "Hi"}])"));
  EXPECT_EQ(request.messages[0]["role"], "system");
}

TEST(ChatRequest, UnknownKeysAreDroppedAndKnownOnesKeptInOrder) {
  const auto request = parse(with_messages(
      R"([{"role": "user", "content": "Q", "name": "ann", "weird": 1},
          {"role": "assistant", "content": "A", "reasoning_content": "thought", "extra": true},
          {"role": "user", "content": "Q2"}])",
      R"("some_future_field": {"x": 1})"));
  EXPECT_EQ(request.messages[0].dump(), R"({"role":"user","content":"Q","name":"ann"})");
  EXPECT_EQ(request.messages[1].dump(),
            R"({"role":"assistant","content":"A","reasoning_content":"thought"})");
}

TEST(ChatRequest, AssistantToolCallsWithNullContentAndToolReply) {
  const auto request = parse(with_messages(R"([
    {"role": "user", "content": "Weather?"},
    {"role": "assistant", "content": null, "tool_calls": [
      {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": "{}"}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}])"));
  EXPECT_TRUE(request.messages[1]["content"].is_null());
  EXPECT_EQ(request.messages[1]["tool_calls"][0]["function"]["name"], "weather");
  EXPECT_EQ(request.messages[2]["tool_call_id"], "call_1");
}

TEST(ChatRequest, ToolsPassThrough) {
  const std::string tools = R"("tools": [{"type": "function", "function": {"name": "f",
      "description": "d", "parameters": {"type": "object", "properties": {}}}}],
      "tool_choice": "auto")";
  const auto request = parse(with_messages(kUser, tools));
  ASSERT_TRUE(request.tools.is_array());
  EXPECT_EQ(request.tools[0]["function"]["name"], "f");
  EXPECT_EQ(request.tools[0]["function"].begin().key(), "name");  // order kept
  EXPECT_TRUE(parse(with_messages(kUser, R"("tools": [])")).tools.is_null());
}

TEST(ChatRequest, MessagesErrors) {
  EXPECT_EQ(error_of(R"({"model": "r1"})").param, "messages");
  EXPECT_EQ(error_of(R"({"messages": []})").param, "messages");
  EXPECT_EQ(error_of(R"({"messages": "hi"})").param, "messages");
  EXPECT_EQ(error_of(with_messages(R"(["hi"])")).param, "messages[0]");
  EXPECT_EQ(error_of(with_messages(R"([{"content": "x"}])")).param, "messages[0].role");
  EXPECT_EQ(error_of(with_messages(R"([{"role": "user", "content": "x"},
                                       {"role": "robot", "content": "x"}])")).param,
            "messages[1].role");
  EXPECT_EQ(error_of(with_messages(R"([{"role": "function", "content": "x"}])")).param,
            "messages[0].role");
  EXPECT_EQ(error_of(with_messages(R"([{"role": 5, "content": "x"}])")).param, "messages[0].role");
  EXPECT_EQ(error_of(with_messages(R"([{"role": "user"}])")).param, "messages[0].content");
  EXPECT_EQ(error_of(with_messages(R"([{"role": "user", "content": null}])")).param,
            "messages[0].content");
  EXPECT_EQ(error_of(with_messages(R"([{"role": "user", "content": 3}])")).param,
            "messages[0].content");
  EXPECT_EQ(error_of(with_messages(R"([{"role": "tool", "content": "x"}])")).param,
            "messages[0].tool_call_id");
  EXPECT_EQ(error_of(with_messages(R"([{"role": "user", "content": "x", "name": 1}])")).param,
            "messages[0].name");
}

TEST(ChatRequest, ImagePartsAreRejectedWithAClearMessage) {
  const ApiError error = error_of(with_messages(R"([{"role": "user", "content": [
      {"type": "text", "text": "what is this"},
      {"type": "image_url", "image_url": {"url": "https://x/y.png"}}]}])"));
  EXPECT_EQ(error.status, 400);
  EXPECT_EQ(error.param, "messages[0].content[1].type");
  EXPECT_NE(error.message.find("images are not supported"), std::string::npos);
  EXPECT_EQ(error_of(with_messages(R"([{"role": "user", "content": [{"type": "text"}]}])")).param,
            "messages[0].content[0].text");
  EXPECT_EQ(error_of(with_messages(R"([{"role": "user", "content": ["x"]}])")).param,
            "messages[0].content[0]");
}

TEST(ChatRequest, ToolCallsShapeIsChecked) {
  EXPECT_EQ(error_of(with_messages(R"([{"role": "assistant", "tool_calls": [{"type": "function"}]}])"))
                .param,
            "messages[0].tool_calls[0].function");
  EXPECT_EQ(error_of(with_messages(
                R"([{"role": "assistant", "tool_calls": [{"function": {"arguments": "{}"}}]}])"))
                .param,
            "messages[0].tool_calls[0].function.name");
  EXPECT_EQ(error_of(with_messages(R"([{"role": "assistant", "tool_calls": {}}])")).param,
            "messages[0].tool_calls");
}

TEST(ChatRequest, MessageSizeLimit) {
  RequestLimits limits;
  limits.max_message_bytes = 4;
  EXPECT_EQ(error_of(with_messages(R"([{"role": "user", "content": "12345"}])"), limits).param,
            "messages[0].content");
  EXPECT_NO_THROW(parse_chat_request(with_messages(R"([{"role": "user", "content": "1234"}])"),
                                     limits));
}

TEST(ChatRequest, ToolChoiceRequiredOrNamedIsUnsupported) {
  const std::string tools = R"("tools": [{"type": "function", "function": {"name": "f"}}])";
  EXPECT_EQ(error_of(with_messages(kUser, tools + R"(, "tool_choice": "required")")).param,
            "tool_choice");
  EXPECT_EQ(error_of(with_messages(kUser, tools + R"(, "tool_choice": {"type": "function",
      "function": {"name": "f"}})")).param, "tool_choice");
  EXPECT_NO_THROW(parse(with_messages(kUser, tools + R"(, "tool_choice": "none")")));
  EXPECT_EQ(error_of(with_messages(kUser, R"("tools": [{"type": "retrieval"}])")).param,
            "tools[0].type");
  EXPECT_EQ(error_of(with_messages(kUser, R"("tools": [{"type": "function", "function": {}}])"))
                .param,
            "tools[0].function.name");
}

TEST(ChatRequest, BodyErrors) {
  const ApiError syntax = error_of(R"({"messages": [)");
  EXPECT_EQ(syntax.status, 400);
  EXPECT_TRUE(syntax.param.empty());
  EXPECT_NE(syntax.message.find("end of input"), std::string::npos) << syntax.message;
  // The position is the parser's 1-based byte count: the 'x' is the 7th byte.
  const ApiError bad_literal = error_of(R"({"a": x})");
  EXPECT_NE(bad_literal.message.find("(byte 7)"), std::string::npos) << bad_literal.message;
  EXPECT_NE(error_of("[1, 2]").message.find("JSON object"), std::string::npos);
  // A number beyond double range is nlohmann's out_of_range, not parse_error (found by fuzzing).
  const ApiError overflow = error_of(with_messages(kUser, R"("temperature": 1E400)"));
  EXPECT_EQ(overflow.status, 400);
  EXPECT_NE(overflow.message.find("overflow"), std::string::npos) << overflow.message;
  EXPECT_NE(error_of("").message.find("parse"), std::string::npos);
  const ApiError utf8 = error_of("{\"messages\": \"\xff\"}");
  EXPECT_TRUE(utf8.param.empty());
  EXPECT_NE(utf8.message.find("not valid UTF-8 JSON"), std::string::npos) << utf8.message;
}

TEST(ChatRequest, DeepNestingIsRejectedBeforeParsing) {
  const std::string deep = with_messages(kUser, "\"x\": " + std::string(100000, '[') +
                                                   std::string(100000, ']'));
  EXPECT_NE(error_of(deep).message.find("deeper"), std::string::npos);
  // Brackets inside strings do not count.
  EXPECT_NO_THROW(parse(with_messages(
      R"([{"role": "user", "content": ")" + std::string(1000, '[') + R"("}])")));
}

}  // namespace
}  // namespace r1::server
