// The reasoning/content split, whole and at every chunking of the text.
#include "server/reasoning_splitter.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace r1::server {
namespace {

using Parts = ReasoningSplitter::Parts;

void append(Parts& total, const Parts& more) {
  total.reasoning += more.reasoning;
  total.content += more.content;
}

Parts split_whole(bool starts_in_reasoning, std::string_view text) {
  ReasoningSplitter splitter(starts_in_reasoning);
  Parts total = splitter.feed(text);
  append(total, splitter.finish());
  return total;
}

Parts split_chunks(bool starts_in_reasoning, std::string_view text,
                   const std::vector<std::size_t>& cuts) {
  ReasoningSplitter splitter(starts_in_reasoning);
  Parts total;
  std::size_t start = 0;
  for (const std::size_t cut : cuts) {
    append(total, splitter.feed(text.substr(start, cut - start)));
    start = cut;
  }
  append(total, splitter.feed(text.substr(start)));
  append(total, splitter.finish());
  return total;
}

// Every one-cut split, character by character, and random 2-3-cut chunkings agree with the whole.
void expect_split_invariant(bool starts_in_reasoning, const std::string& text,
                            const Parts& expected) {
  const Parts whole = split_whole(starts_in_reasoning, text);
  EXPECT_EQ(whole.reasoning, expected.reasoning) << text;
  EXPECT_EQ(whole.content, expected.content) << text;
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    const Parts parts = split_chunks(starts_in_reasoning, text, {cut});
    EXPECT_EQ(parts.reasoning, expected.reasoning) << "cut at " << cut << " of " << text;
    EXPECT_EQ(parts.content, expected.content) << "cut at " << cut << " of " << text;
  }
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < text.size(); ++i) every.push_back(i);
  const Parts by_char = split_chunks(starts_in_reasoning, text, every);
  EXPECT_EQ(by_char.reasoning, expected.reasoning) << "char by char: " << text;
  EXPECT_EQ(by_char.content, expected.content) << "char by char: " << text;
  std::mt19937 rng(12345);
  for (int round = 0; round < 50; ++round) {
    std::uniform_int_distribution<std::size_t> pick(0, text.size());
    std::vector<std::size_t> cuts = {pick(rng), pick(rng), pick(rng)};
    cuts.resize(1 + round % 3);
    std::sort(cuts.begin(), cuts.end());
    const Parts parts = split_chunks(starts_in_reasoning, text, cuts);
    EXPECT_EQ(parts.reasoning, expected.reasoning) << "round " << round;
    EXPECT_EQ(parts.content, expected.content) << "round " << round;
  }
}

TEST(ReasoningSplitter, StartsInReasoningSplitsAtCloseTagAndStripsTwoNewlines) {
  expect_split_invariant(true, "Let me add: 2+2=4.\n</think>\n\nThe answer is **4**.",
                         {"Let me add: 2+2=4.\n", "The answer is **4**."});
}

TEST(ReasoningSplitter, OnlyTwoNewlinesAreStripped) {
  expect_split_invariant(true, "x</think>\n\n\nanswer", {"x", "\nanswer"});
  expect_split_invariant(true, "x</think>\nanswer", {"x", "answer"});
  expect_split_invariant(true, "x</think>answer\n\n", {"x", "answer\n\n"});
  expect_split_invariant(true, "x</think> \n\nanswer", {"x", " \n\nanswer"});
}

TEST(ReasoningSplitter, UnicodeTextAroundTheTag) {
  expect_split_invariant(true, "思考：ü < ø </think>\n\n答案是 4 ✓",
                         {"思考：ü < ø ", "答案是 4 ✓"});
}

TEST(ReasoningSplitter, NoCloseTagIsAllReasoning) {
  expect_split_invariant(true, "still thinking </thi", {"still thinking </thi", ""});
}

TEST(ReasoningSplitter, SecondTagsArePlainContent) {
  expect_split_invariant(true, "a</think>\n\nb<think>c</think>d", {"a", "b<think>c</think>d"});
}

TEST(ReasoningSplitter, NotStartingInReasoningDetectsOpenTag) {
  expect_split_invariant(false, "<think>\nhmm\n</think>\n\nHi!", {"hmm\n", "Hi!"});
  expect_split_invariant(false, " \n<think>hmm</think>Hi!", {"hmm", "Hi!"});
}

TEST(ReasoningSplitter, NotStartingInReasoningWithoutTagIsAllContent) {
  expect_split_invariant(false, "Hello </think> world", {"", "Hello </think> world"});
  expect_split_invariant(false, "  <thinking> no", {"", "  <thinking> no"});
  expect_split_invariant(false, "<thi", {"", "<thi"});
  expect_split_invariant(false, "\n\n", {"", "\n\n"});
}

TEST(ReasoningSplitter, ReleasesEverythingButAPossibleTagPrefix) {
  ReasoningSplitter splitter(true);
  Parts parts = splitter.feed("abc</th");
  EXPECT_EQ(parts.reasoning, "abc");
  EXPECT_EQ(parts.content, "");
  EXPECT_TRUE(splitter.in_reasoning());
  parts = splitter.feed("ink>");
  EXPECT_EQ(parts.reasoning, "");
  EXPECT_FALSE(splitter.in_reasoning());
  parts = splitter.feed("\n");
  EXPECT_EQ(parts.content, "");
  parts = splitter.feed("\nDone");
  EXPECT_EQ(parts.content, "Done");
}

TEST(ReasoningSplitter, ALoneLessThanIsHeldOnlyUntilItCannotBeATag) {
  ReasoningSplitter splitter(true);
  EXPECT_EQ(splitter.feed("a <").reasoning, "a ");
  EXPECT_EQ(splitter.feed("b").reasoning, "<b");
  EXPECT_EQ(splitter.feed("</</").reasoning, "</");
  EXPECT_EQ(splitter.finish().reasoning, "</");
}

TEST(ReasoningSplitter, NotInReasoningReleasesContentAtOnceAfterFirstWord) {
  ReasoningSplitter splitter(false);
  EXPECT_FALSE(splitter.in_reasoning());
  EXPECT_EQ(splitter.feed("  ").content, "");  // might still be followed by <think>
  EXPECT_EQ(splitter.feed("Hi").content, "  Hi");
  EXPECT_EQ(splitter.feed(" <think>").content, " <think>");
}

TEST(ReasoningSplitter, CustomTags) {
  ReasoningSplitter splitter(true, "[T]", "[/T]");
  Parts total = splitter.feed("x[/");
  append(total, splitter.feed("T]y"));
  append(total, splitter.finish());
  EXPECT_EQ(total.reasoning, "x");
  EXPECT_EQ(total.content, "y");
}

}  // namespace
}  // namespace r1::server
