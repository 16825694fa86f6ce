// Normalizers against Hugging Face `tokenizers` (expected outputs from
// tools/reference/gen_pretokenizer_cases.py).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "r1/error.h"
#include "test_paths.h"
#include "tokenizer/normalizer.h"

namespace r1::tok {
namespace {

using nlohmann::json;

const json& cases() {
  static const json data =
      json::parse(test::read_file(test::data_path("tokenizer/pretokenize_cases.json")));
  return data;
}

TEST(NormalizerReference, EverySetMatchesHuggingFace) {
  std::size_t total = 0;
  for (const json& set : cases()["normalizers"]) {
    const std::string name = set["name"].get<std::string>();
    auto normalizer = make_normalizer(set["spec"], "normalizer");
    ASSERT_NE(normalizer, nullptr) << name;
    int failures = 0;
    for (const json& c : set["cases"]) {
      const std::string input = c["input"].get<std::string>();
      const std::string expected = c["output"].get<std::string>();
      const std::string actual = normalizer->normalize(input);
      if (actual != expected && ++failures <= 10) {
        ADD_FAILURE() << name << " input " << json(input).dump() << "\n  expected "
                      << json(expected).dump() << "\n  actual   " << json(actual).dump();
      }
    }
    EXPECT_EQ(failures, 0) << name;
    total += set["cases"].size();
  }
  EXPECT_GT(total, 10000u);
}

TEST(NormalizerSpec, NullIsNoNormalizer) {
  EXPECT_EQ(make_normalizer(json(nullptr), "normalizer"), nullptr);
}

TEST(NormalizerSpec, UnknownTypeNamesTypeAndPath) {
  try {
    make_normalizer(json{{"type", "Sequence"}, {"normalizers", {{{"type", "Frobnicate"}}}}},
                    "normalizer");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unsupported);
    EXPECT_NE(std::string(e.what()).find("Frobnicate"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("normalizer.normalizers[0]"), std::string::npos)
        << e.what();
  }
}

TEST(NormalizerSpec, PrecompiledWithACharacterMapIsUnsupported) {
  try {
    make_normalizer(json{{"type", "Precompiled"}, {"precompiled_charsmap", "ALQCAACEAAAA"}},
                    "normalizer");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unsupported);
    EXPECT_NE(std::string(e.what()).find("Precompiled"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace r1::tok
