// ApiError factories against the statuses and bodies OpenAI's API sends.
#include "server/api_error.h"

#include <gtest/gtest.h>

namespace r1::server {
namespace {

TEST(ApiError, InvalidRequestBodyHasAllFourKeysWithNulls) {
  const ApiError error = invalid_request("bad", "temperature");
  EXPECT_EQ(error.status, 400);
  const nlohmann::json expected = nlohmann::json::parse(
      R"({"error": {"message": "bad", "type": "invalid_request_error", "param": "temperature",
                    "code": null}})");
  EXPECT_EQ(error_body(error), expected);
}

TEST(ApiError, EmptyParamAndCodeAreJsonNull) {
  const nlohmann::json body = error_body(internal("boom"));
  ASSERT_TRUE(body["error"].contains("param"));
  ASSERT_TRUE(body["error"].contains("code"));
  EXPECT_TRUE(body["error"]["param"].is_null());
  EXPECT_TRUE(body["error"]["code"].is_null());
  EXPECT_EQ(body["error"]["type"], "server_error");
}

TEST(ApiError, ContextLengthExceeded) {
  const ApiError error = context_length_exceeded("too long");
  EXPECT_EQ(error.status, 400);
  EXPECT_EQ(error.type, "invalid_request_error");
  EXPECT_EQ(error.param, "messages");
  EXPECT_EQ(error.code, "context_length_exceeded");
}

TEST(ApiError, StatusesAndTypes) {
  EXPECT_EQ(authentication("x").status, 401);
  EXPECT_EQ(authentication("x").code, "invalid_api_key");
  EXPECT_EQ(not_found("x").status, 404);
  EXPECT_EQ(not_found("x", "model_not_found").code, "model_not_found");
  EXPECT_EQ(payload_too_large(1024).status, 413);
  EXPECT_NE(payload_too_large(1024).message.find("1024"), std::string::npos);
  EXPECT_EQ(overloaded("busy").status, 503);
  EXPECT_EQ(overloaded("busy").type, "server_error");
  EXPECT_EQ(internal("x").status, 500);
}

TEST(ApiError, MethodNotAllowedNamesMethodAndPath) {
  const ApiError error = method_not_allowed("GET", "/v1/chat/completions");
  EXPECT_EQ(error.status, 405);
  EXPECT_EQ(error.message, "Invalid method for URL (GET /v1/chat/completions)");
}

TEST(ApiError, FromErrorSplitsCallerAndServerFaults) {
  EXPECT_EQ(from_error(Error(ErrorCode::invalid_argument, "bad"), "prompt").status, 400);
  EXPECT_EQ(from_error(Error(ErrorCode::invalid_argument, "bad"), "prompt").param, "prompt");
  EXPECT_EQ(from_error(Error(ErrorCode::template_error, "roles")).status, 400);
  EXPECT_EQ(from_error(Error(ErrorCode::io_error, "disk")).status, 500);
}

TEST(ApiError, WhatIsTheMessage) {
  const ApiError error = invalid_request("the message");
  EXPECT_STREQ(error.what(), "the message");
}

}  // namespace
}  // namespace r1::server
