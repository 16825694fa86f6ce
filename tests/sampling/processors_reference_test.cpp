// r1's logit steps against transformers' logits processors on seeded logits
// (tests/data/sampling/processors.json, written by tools/reference/gen_sampling_cases.py).
// Where torch's unstable sort picked different tied tokens than a stable sort would, the case also
// holds "expected_stable" (transformers with a stable sort): r1 must keep exactly those ids, and as
// many ids as transformers' default run kept (the count does not depend on the order of ties).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sampling/logit_steps.h"
#include "test_paths.h"

namespace r1::sampling {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

std::vector<float> read_logits(const nlohmann::json& values) {
  std::vector<float> logits;
  for (const auto& value : values) {
    logits.push_back(value.is_null() ? -kInf : static_cast<float>(value.get<double>()));
  }
  return logits;
}

// Runs the steps the case names, in transformers' generate() order, with its settings.
std::vector<float> run_steps(const nlohmann::json& test_case) {
  const std::string step = test_case["step"];
  const nlohmann::json& settings = test_case["settings"];
  const bool all = step == "pipeline";
  auto logits = read_logits(test_case["logits"]);
  const auto ids = test_case["ids"].get<std::vector<TokenId>>();
  std::vector<float> float_scratch;
  std::vector<std::int32_t> index_scratch;
  if ((all || step == "repetition_penalty") && settings.contains("repetition_penalty")) {
    apply_repetition_penalty(logits, ids, settings["repetition_penalty"].get<float>(),
                             float_scratch);
  }
  if ((all || step == "temperature") && settings.contains("temperature")) {
    apply_temperature(logits, settings["temperature"].get<float>());
  }
  if ((all || step == "top_k") && settings.contains("top_k")) {
    apply_top_k(logits, settings["top_k"].get<std::size_t>(), 1, float_scratch);
  }
  if ((all || step == "top_p") && settings.contains("top_p")) {
    apply_top_p(logits, settings["top_p"].get<float>(), 1, index_scratch);
  }
  if ((all || step == "min_p") && settings.contains("min_p")) {
    apply_min_p(logits, settings["min_p"].get<float>(), 1);
  }
  return logits;
}

TEST(ProcessorsReference, MatchTransformers) {
  const auto document =
      nlohmann::json::parse(test::read_file(test::data_path("sampling/processors.json")));
  const auto& cases = document["cases"];
  ASSERT_GE(cases.size(), 200u);
  for (const auto& test_case : cases) {
    const std::string name = test_case["name"];
    const auto actual = run_steps(test_case);
    const bool tie_order_matters = test_case.contains("expected_stable");
    const auto expected =
        read_logits(test_case[tie_order_matters ? "expected_stable" : "expected"]);
    if (tie_order_matters) {
      const auto count_kept = [](const std::vector<float>& logits) {
        return std::count_if(logits.begin(), logits.end(), [](float l) { return l > -kInf; });
      };
      EXPECT_EQ(count_kept(actual), count_kept(read_logits(test_case["expected"]))) << name;
    }
    ASSERT_EQ(actual.size(), expected.size()) << name;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      if (expected[i] == -kInf) {
        EXPECT_EQ(actual[i], -kInf) << name << " id " << i << " should be removed";
      } else {
        ASSERT_NE(actual[i], -kInf) << name << " id " << i << " should be kept";
        EXPECT_LE(std::fabs(actual[i] - expected[i]), 1e-6f * std::fabs(expected[i]) + 1e-30f)
            << name << " id " << i;
      }
    }
  }
}

}  // namespace
}  // namespace r1::sampling
