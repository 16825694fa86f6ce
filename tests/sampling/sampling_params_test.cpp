// validate_sampling_params: every field's range, with messages naming field and range.
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "r1/error.h"
#include "r1/sampler.h"

namespace r1 {
namespace {

std::string rejection(const SamplingParams& params) {
  try {
    validate_sampling_params(params);
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::invalid_argument);
    return error.what();
  }
  return "";
}

void expect_rejected(SamplingParams params, const std::string& field, const std::string& range) {
  const std::string message = rejection(params);
  EXPECT_NE(message.find(field), std::string::npos) << message;
  EXPECT_NE(message.find(range), std::string::npos) << message;
}

TEST(SamplingParams, DefaultsAndTypicalSettingsAreValid) {
  EXPECT_EQ(rejection(SamplingParams{}), "");
  SamplingParams params;
  params.temperature = 0.6f;
  params.top_p = 0.95f;
  params.top_k = 40;
  params.min_p = 0.05f;
  params.repetition_penalty = 1.1f;
  params.presence_penalty = -2.0f;
  params.frequency_penalty = 2.0f;
  params.logit_bias = {{7, -100.0f}, {8, -std::numeric_limits<float>::infinity()}};
  params.n_vocab_valid = 151665;
  EXPECT_EQ(rejection(params), "");
}

TEST(SamplingParams, EachFieldOutOfRange) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  SamplingParams p;
  p.temperature = -0.1f;
  expect_rejected(p, "temperature", "[0, 100]");
  p = {};
  p.temperature = nan;
  expect_rejected(p, "temperature", "[0, 100]");
  p = {};
  p.top_k = -1;
  expect_rejected(p, "top_k", ">= 0");
  p = {};
  p.top_p = 0.0f;
  expect_rejected(p, "top_p", "(0, 1]");
  p = {};
  p.top_p = 1.5f;
  expect_rejected(p, "top_p", "(0, 1]");
  p = {};
  p.min_p = 1.1f;
  expect_rejected(p, "min_p", "[0, 1]");
  p = {};
  p.repetition_penalty = 0.0f;
  expect_rejected(p, "repetition_penalty", "> 0");
  p = {};
  p.presence_penalty = 2.5f;
  expect_rejected(p, "presence_penalty", "[-2, 2]");
  p = {};
  p.frequency_penalty = -3.0f;
  expect_rejected(p, "frequency_penalty", "[-2, 2]");
  p = {};
  p.logit_bias = {{3, 101.0f}};
  expect_rejected(p, "logit_bias[3]", "[-100, 100]");
  p = {};
  p.logit_bias = {{-1, 1.0f}};
  expect_rejected(p, "logit_bias[-1]", "token id");
  p = {};
  p.n_vocab_valid = 10;
  p.logit_bias = {{10, 1.0f}};
  expect_rejected(p, "logit_bias[10]", "[0, 10)");
}

TEST(SamplingParams, SamplerConstructorValidates) {
  SamplingParams params;
  params.top_p = 2.0f;
  EXPECT_THROW(Sampler{params}, Error);
}

}  // namespace
}  // namespace r1
