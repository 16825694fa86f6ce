// IncrementalDetokenizer: every push() returns complete UTF-8 only, and all pieces together equal
// the reference decode (tests/data/tokenizer/deepseek-r1-distill-qwen-1.5b/cases.json, from
// transformers), also when one character is split over several tokens.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/utf8.h"
#include "r1/tokenizer.h"
#include "test_paths.h"
#include "tokenizer/tokenizer_test_support.h"

namespace r1 {
namespace {

using nlohmann::json;

const json& deepseek_cases() {
  static const json cases = json::parse(
      test::read_file(test::data_path("tokenizer/deepseek-r1-distill-qwen-1.5b/cases.json")));
  return cases;
}

TEST(IncrementalDetokenizer, EveryPieceIsValidUtf8AndPiecesJoinToReference) {
  const Tokenizer& tokenizer = test::deepseek_tokenizer();
  std::size_t split_characters = 0;
  for (const json& c : deepseek_cases().at("decode_cases")) {
    const std::vector<TokenId> ids = c.at("ids").get<std::vector<TokenId>>();
    IncrementalDetokenizer detokenizer(tokenizer);
    std::string joined;
    for (TokenId id : ids) {
      const std::string piece = detokenizer.push(id);
      EXPECT_FALSE(utf8::find_invalid(piece).has_value()) << c.at("name") << ": invalid piece";
      if (piece.empty() && !tokenizer.token_bytes(id).empty()) ++split_characters;
      joined += piece;
    }
    joined += detokenizer.finish();
    EXPECT_EQ(test::describe_text_difference(c.at("text").get<std::string>(), joined), "")
        << c.at("name");
  }
  EXPECT_GT(split_characters, 0u) << "the cases should include characters split over tokens";
}

TEST(IncrementalDetokenizer, HoldsASplitCharacterUntilItCompletes) {
  const Tokenizer& tokenizer = test::deepseek_tokenizer();
  // Find a case whose reference text has a character made of several tokens: feed its ids and
  // check that text only appears at character boundaries.
  for (const json& c : deepseek_cases().at("cases")) {
    const std::vector<TokenId> ids = c.at("ids").get<std::vector<TokenId>>();
    std::string bytes;
    IncrementalDetokenizer detokenizer(tokenizer);
    std::string emitted;
    for (TokenId id : ids) {
      bytes += tokenizer.token_bytes(id);
      emitted += detokenizer.push(id);
      // Everything emitted so far is a prefix of the text, and only the incomplete tail waits.
      const std::size_t held = utf8::incomplete_tail_length(bytes);
      EXPECT_EQ(emitted,
                utf8::to_valid_lossy(std::string_view(bytes).substr(0, bytes.size() - held)))
          << c.at("name");
    }
    emitted += detokenizer.finish();
    EXPECT_EQ(emitted, c.at("decode").get<std::string>()) << c.at("name");
  }
}

TEST(IncrementalDetokenizer, FlushesAnIncompleteTailAsReplacement) {
  const Tokenizer& tokenizer = test::deepseek_tokenizer();
  // The reference decode cases with invalid leftovers end in U+FFFD; finish() must produce it.
  std::size_t checked = 0;
  for (const json& c : deepseek_cases().at("decode_cases")) {
    const std::string expected = c.at("text").get<std::string>();
    if (!expected.ends_with("\xEF\xBF\xBD")) continue;
    ++checked;
    IncrementalDetokenizer detokenizer(tokenizer);
    std::string joined;
    for (TokenId id : c.at("ids").get<std::vector<TokenId>>()) joined += detokenizer.push(id);
    EXPECT_EQ(joined + detokenizer.finish(), expected) << c.at("name");
  }
  EXPECT_GT(checked, 0u);
}

TEST(IncrementalDetokenizer, ResetStartsOver) {
  const Tokenizer& tokenizer = test::deepseek_tokenizer();
  const json& c = deepseek_cases().at("cases").at(1);
  const std::vector<TokenId> ids = c.at("ids").get<std::vector<TokenId>>();
  IncrementalDetokenizer detokenizer(tokenizer);
  for (TokenId id : ids) detokenizer.push(id);
  detokenizer.reset();
  std::string text;
  for (TokenId id : ids) text += detokenizer.push(id);
  text += detokenizer.finish();
  EXPECT_EQ(text, c.at("decode").get<std::string>());
  EXPECT_EQ(detokenizer.finish(), "");
}

}  // namespace
}  // namespace r1

namespace r1 {
namespace {

// token_bytes outside byte-level models: <0xXX> is its byte, the Metaspace marker a space
// (as the token reads mid-stream), added tokens their content.
TEST(TokenBytes, ByteFallbackAndMetaspaceTokens) {
  const Tokenizer& tokenizer =
      test::cached_tokenizer(test::data_path("tokenizer_synthetic/llama-like"));
  EXPECT_EQ(tokenizer.token_bytes(*tokenizer.token_to_id("<0x41>")), "A");
  EXPECT_EQ(tokenizer.token_bytes(*tokenizer.token_to_id("<0xE4>")), "\xE4");
  EXPECT_EQ(tokenizer.token_bytes(*tokenizer.token_to_id("▁the")), " the");
  EXPECT_EQ(tokenizer.token_bytes(*tokenizer.token_to_id("<mask>")), "<mask>");
}

TEST(TokenBytes, ByteLevelTokens) {
  const Tokenizer& tokenizer = test::deepseek_tokenizer();
  EXPECT_EQ(tokenizer.token_bytes(*tokenizer.token_to_id("Ġthe")), " the");
  EXPECT_EQ(tokenizer.token_bytes(*tokenizer.token_to_id("Ċ")), "\n");
  EXPECT_EQ(tokenizer.token_bytes(*tokenizer.token_to_id("<｜User｜>")), "<｜User｜>");
  EXPECT_EQ(tokenizer.token_text(*tokenizer.token_to_id("Ġthe")), "Ġthe");
}

}  // namespace
}  // namespace r1
