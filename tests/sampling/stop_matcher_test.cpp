// StopMatcher across piece boundaries, and the eos id helpers.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "r1/error.h"
#include "r1/sampler.h"
#include "test_paths.h"

namespace r1 {
namespace {

// Feeds the pieces and returns everything released, then flushes unless stopped.
std::string run(StopMatcher& matcher, const std::vector<std::string>& pieces) {
  std::string shown;
  for (const auto& piece : pieces) shown += matcher.feed(piece).text;
  if (!matcher.stopped()) shown += matcher.flush();
  return shown;
}

TEST(StopMatcher, NoStopStringsPassEverything) {
  StopMatcher matcher({});
  EXPECT_EQ(matcher.feed("abc").text, "abc");
  EXPECT_FALSE(matcher.stopped());
}

TEST(StopMatcher, HoldsBackPossibleStartAcrossPieces) {
  StopMatcher matcher({"###"});
  auto result = matcher.feed("ab#");
  EXPECT_EQ(result.text, "ab");  // "#" might start "###"
  EXPECT_FALSE(result.stopped);
  result = matcher.feed("#");
  EXPECT_EQ(result.text, "");  // "##" still might
  result = matcher.feed("#cd");
  EXPECT_TRUE(result.stopped);
  EXPECT_EQ(result.text, "");  // the stop string and "cd" after it are never shown
  EXPECT_EQ(matcher.matched_stop(), "###");
  EXPECT_TRUE(matcher.feed("more").stopped);
  EXPECT_EQ(matcher.flush(), "");
}

TEST(StopMatcher, FalseStartIsReleased) {
  StopMatcher matcher({"###"});
  EXPECT_EQ(matcher.feed("a##").text, "a");
  EXPECT_EQ(matcher.feed("b").text, "##b");
  EXPECT_FALSE(matcher.stopped());
}

TEST(StopMatcher, TextBeforeStopInSamePieceIsShown) {
  StopMatcher matcher({"</answer>"});
  EXPECT_EQ(run(matcher, {"The answer is 4.</ans", "wer> trailing"}), "The answer is 4.");
  EXPECT_TRUE(matcher.stopped());
}

TEST(StopMatcher, FlushReleasesHeldTextAtEnd) {
  StopMatcher matcher({"###"});
  EXPECT_EQ(matcher.feed("a#").text, "a");
  EXPECT_EQ(matcher.flush(), "#");
}

TEST(StopMatcher, MultipleStopStringsEarliestWins) {
  StopMatcher matcher({"bar", "foo"});
  EXPECT_EQ(run(matcher, {"xba", "fo", "o bar"}), "xba");
  EXPECT_EQ(matcher.matched_stop(), "foo");
}

TEST(StopMatcher, StopStringThatIsPrefixOfAnother) {
  // "ab" completes first; "abc" can never be reached.
  StopMatcher matcher({"abc", "ab"});
  EXPECT_EQ(run(matcher, {"x", "a", "b", "c"}), "x");
  EXPECT_EQ(matcher.matched_stop(), "ab");
  // The longer one alone holds "ab" until "c" decides.
  StopMatcher longer({"abc"});
  EXPECT_EQ(longer.feed("xab").text, "x");
  EXPECT_EQ(longer.feed("d").text, "abd");
}

TEST(StopMatcher, OverlappingSelfPrefix) {
  // "aab" inside "aaab": the held suffix must be re-examined, not dropped.
  StopMatcher matcher({"aab"});
  EXPECT_EQ(run(matcher, {"a", "a", "a", "b", "z"}), "a");
  EXPECT_TRUE(matcher.stopped());
}

TEST(StopMatcher, Unicode) {
  StopMatcher matcher({"終わり"});
  EXPECT_EQ(matcher.feed("これで終").text, "これで");
  const auto result = matcher.feed("わり。");
  EXPECT_TRUE(result.stopped);
  EXPECT_EQ(result.text, "");
  // A held suffix never splits a character: "€" (3 bytes) is held whole, then released whole.
  StopMatcher euro({"€x"});
  EXPECT_EQ(euro.feed("a€").text, "a");
  EXPECT_EQ(euro.feed("b").text, "€b");
  // Byte matching: a decomposed "é" is not the precomposed stop string.
  StopMatcher accent({"\u00e9"});
  EXPECT_EQ(run(accent, {"e\u0301!"}), "e\u0301!");
}

TEST(StopMatcher, ResetStartsOver) {
  StopMatcher matcher({"x"});
  EXPECT_TRUE(matcher.feed("ax").stopped);
  matcher.reset();
  EXPECT_EQ(matcher.feed("b").text, "b");
  EXPECT_EQ(matcher.matched_stop(), "");
}

TEST(StopMatcher, EmptyStopStringIsRejected) {
  EXPECT_THROW(StopMatcher({"ok", ""}), Error);
}

TEST(StopTokenIds, ReadsIntListNullAndAbsent) {
  EXPECT_EQ(read_eos_token_ids(R"({"eos_token_id": 2})", "a.json"), std::vector<TokenId>{2});
  EXPECT_EQ(read_eos_token_ids(R"({"eos_token_id": [2, 7]})", "a.json"),
            (std::vector<TokenId>{2, 7}));
  EXPECT_EQ(read_eos_token_ids(R"({"eos_token_id": null})", "a.json"), std::nullopt);
  EXPECT_EQ(read_eos_token_ids(R"({"bos_token_id": 1})", "a.json"), std::nullopt);
}

TEST(StopTokenIds, MalformedValuesNameTheFile) {
  for (const char* text : {R"({"eos_token_id": "2"})", R"({"eos_token_id": [1, -3]})",
                           R"({"eos_token_id": 1.5})", "{not json"}) {
    try {
      read_eos_token_ids(text, "generation_config.json");
      ADD_FAILURE() << text;
    } catch (const Error& error) {
      EXPECT_EQ(error.code(), ErrorCode::invalid_file);
      EXPECT_NE(std::string(error.what()).find("generation_config.json"), std::string::npos);
    }
  }
}

TEST(StopTokenIds, GenerationConfigWinsOverConfig) {
  const auto ids = choose_stop_token_ids(std::vector<TokenId>{5, 3, 5}, std::vector<TokenId>{9});
  EXPECT_EQ(std::vector<TokenId>(ids.ids().begin(), ids.ids().end()), (std::vector<TokenId>{3, 5}));
  EXPECT_TRUE(ids.contains(3));
  EXPECT_FALSE(ids.contains(9));
  EXPECT_TRUE(choose_stop_token_ids(std::nullopt, std::vector<TokenId>{9}).contains(9));
  EXPECT_TRUE(choose_stop_token_ids(std::nullopt, std::nullopt).ids().empty());
}

TEST(StopTokenIds, DeepSeekModelFiles) {
  // generation_config.json and config.json both say eos_token_id 151643 (<｜end▁of▁sentence｜>).
  const auto dir = test::deepseek_model_dir();
  const auto generation =
      read_eos_token_ids(test::read_file(dir / "generation_config.json"), "generation_config.json");
  const auto config = read_eos_token_ids(test::read_file(dir / "config.json"), "config.json");
  EXPECT_EQ(generation, std::vector<TokenId>{151643});
  EXPECT_TRUE(choose_stop_token_ids(generation, config).contains(151643));
}

}  // namespace
}  // namespace r1
