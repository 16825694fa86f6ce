// Pre-tokenizers against Hugging Face `tokenizers` (expected pieces from
// tools/reference/gen_pretokenizer_cases.py), the hand-written splitters against both the
// reference and the PCRE2 path, and long inputs that must split in linear time.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "r1/error.h"
#include "test_paths.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/split_known_patterns.h"

namespace r1::tok {
namespace {

using nlohmann::json;

const json& cases() {
  static const json data =
      json::parse(test::read_file(test::data_path("tokenizer/pretokenize_cases.json")));
  return data;
}

// Readable form of a string with escapes for non-printable ASCII (for failure messages).
std::string show(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7F) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02X", c);
      out += buffer;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string show(const std::vector<std::string>& pieces) {
  std::string out = "[";
  for (const auto& p : pieces) out += show(p) + ",";
  return out + "]";
}

// Pieces the reference wrote as hexadecimal bytes (cut inside a UTF-8 sequence).
std::vector<std::string> from_hex(const json& hex_pieces) {
  std::vector<std::string> pieces;
  for (const json& hex : hex_pieces) {
    const std::string digits = hex.get<std::string>();
    std::string bytes;
    for (std::size_t i = 0; i + 1 < digits.size(); i += 2) {
      bytes.push_back(static_cast<char>(std::stoi(digits.substr(i, 2), nullptr, 16)));
    }
    pieces.push_back(bytes);
  }
  return pieces;
}

std::vector<std::string> run(const PreTokenizer& pre, const std::string& input) {
  std::vector<std::string> pieces{input};
  pre.split(pieces);
  return pieces;
}

// Runs every case of a set through `pre`; returns the number of mismatches (reports up to 10).
int check_set(const json& set, const PreTokenizer& pre, const std::string& label) {
  int failures = 0;
  for (const json& c : set["cases"]) {
    const std::string input = c["input"].get<std::string>();
    const auto expected = c.contains("pieces") ? c["pieces"].get<std::vector<std::string>>()
                                               : from_hex(c["pieces_hex"]);
    const auto actual = run(pre, input);
    if (actual != expected) {
      if (++failures <= 10) {
        ADD_FAILURE() << label << " input " << show(input) << "\n  expected " << show(expected)
                      << "\n  actual   " << show(actual);
      }
    }
  }
  return failures;
}

TEST(PreTokenizerReference, EverySetMatchesHuggingFace) {
  std::size_t total = 0;
  for (const json& set : cases()["pre_tokenizers"]) {
    const std::string name = set["name"].get<std::string>();
    SCOPED_TRACE(name);
    auto pre = make_pre_tokenizer(set["spec"], "pre_tokenizer");
    ASSERT_NE(pre, nullptr);
    EXPECT_EQ(check_set(set, *pre, name), 0) << "set " << name;
    total += set["cases"].size();
  }
  EXPECT_GT(total, 20000u);
}

// The same regexes with the hand-written splitter bypassed: wrapping in a group changes the
// source text, so the Split compiles it with PCRE2. Both paths must equal the reference.
TEST(PreTokenizerReference, Pcre2PathMatchesHuggingFaceOnKnownPatterns) {
  for (const json& set : cases()["pre_tokenizers"]) {
    const std::string name = set["name"].get<std::string>();
    if (name != "qwen2_split" && name != "llama3_split" && name != "gpt2_split") continue;
    SCOPED_TRACE(name);
    const std::string regex = set["spec"]["pattern"]["Regex"].get<std::string>();
    ASSERT_TRUE(find_known_pattern(regex).has_value()) << name;
    json spec = set["spec"];
    spec["pattern"]["Regex"] = "(?:" + regex + ")";
    auto pcre2 = make_pre_tokenizer(spec, "pre_tokenizer");
    EXPECT_EQ(check_set(set, *pcre2, name + " (PCRE2)"), 0);
  }
}

// Metaspace's prepend_scheme "first" prepends only at the start of the input, not after an added
// token: each stretch goes through split() or split_after_added_token() as the tokenizer does.
TEST(PreTokenizerReference, MetaspaceStretchesAroundAddedTokens) {
  for (const json& set : cases()["after_added_token"]) {
    const std::string name = set["name"].get<std::string>();
    auto pre = make_pre_tokenizer(set["spec"], "pre_tokenizer");
    for (const json& c : set["cases"]) {
      for (const json& stretch : c["stretches"]) {
        std::vector<std::string> pieces{stretch["text"].get<std::string>()};
        if (stretch["at_text_start"].get<bool>()) {
          pre->split(pieces);
        } else {
          pre->split_after_added_token(pieces);
        }
        EXPECT_EQ(pieces, stretch["pieces"].get<std::vector<std::string>>())
            << name << " input " << show(c["input"].get<std::string>()) << " stretch "
            << show(stretch["text"].get<std::string>());
      }
    }
  }
}

TEST(KnownPatterns, TheModelsRegexSelectsTheQwen2Splitter) {
  const json tokenizer =
      json::parse(test::read_file(test::deepseek_model_dir() / "tokenizer.json"));
  const std::string regex = tokenizer["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"];
  EXPECT_EQ(find_known_pattern(regex), KnownPattern::qwen2);
  for (const auto& [name, value] : cases()["known_patterns"].items()) {
    const auto known = find_known_pattern(value.get<std::string>());
    ASSERT_TRUE(known.has_value()) << name;
    EXPECT_EQ(known_pattern_regex(*known), value.get<std::string>());
  }
  EXPECT_FALSE(find_known_pattern("(?:" + regex + ")").has_value());
}

TEST(PreTokenizerSpec, ByteLevelIsReported) {
  const json tokenizer =
      json::parse(test::read_file(test::deepseek_model_dir() / "tokenizer.json"));
  EXPECT_TRUE(make_pre_tokenizer(tokenizer["pre_tokenizer"], "pre_tokenizer")->is_byte_level());
  EXPECT_FALSE(make_pre_tokenizer(json{{"type", "Whitespace"}}, "pre_tokenizer")->is_byte_level());
  EXPECT_EQ(make_pre_tokenizer(json(nullptr), "pre_tokenizer"), nullptr);
}

TEST(PreTokenizerSpec, ErrorsNameTheTypeAndPath) {
  try {
    make_pre_tokenizer(
        json{{"type", "Sequence"}, {"pretokenizers", {{{"type", "UnicodeScripts"}}}}},
        "pre_tokenizer");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unsupported);
    EXPECT_NE(std::string(e.what()).find("UnicodeScripts"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("pre_tokenizer.pretokenizers[0]"), std::string::npos)
        << e.what();
  }
  const json bad_regex = {
      {"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}};
  try {
    make_pre_tokenizer(bad_regex, "pre_tokenizer");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_file);
    EXPECT_NE(std::string(e.what()).find("(unclosed"), std::string::npos) << e.what();
  }
  const json metaspace_after_byte_level = {
      {"type", "Sequence"},
      {"pretokenizers", {{{"type", "ByteLevel"}}, {{"type", "Metaspace"}, {"replacement", "_"}}}}};
  try {
    make_pre_tokenizer(metaspace_after_byte_level, "pre_tokenizer");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unsupported);
  }
}

TEST(PreTokenizerSpec, CatastrophicRegexHitsTheMatchLimit) {
  const json spec = {
      {"type", "Split"}, {"pattern", {{"Regex", "(a+)+$"}}}, {"behavior", "Isolated"}};
  auto pre = make_pre_tokenizer(spec, "pre_tokenizer");
  try {
    run(*pre, std::string(40, 'a') + "!");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::limit_exceeded);
    EXPECT_NE(std::string(e.what()).find("(a+)+$"), std::string::npos) << e.what();
  }
}

// --- Linear time: 10 MB of one character class. The piece counts follow from the patterns. ---

std::string repeat(std::string_view unit, std::size_t bytes) {
  std::string out;
  out.reserve(bytes);
  while (out.size() + unit.size() <= bytes) out.append(unit);
  return out;
}

std::size_t count_pieces(KnownPattern pattern, std::string_view text) {
  std::size_t count = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = known_pattern_match_end(pattern, text, pos);
    EXPECT_GT(end, pos);
    if (end <= pos) break;
    pos = end;
    ++count;
  }
  return count;
}

constexpr std::size_t kTenMegabytes = 10 * 1024 * 1024;

TEST(KnownPatternsLinearTime, OneRunIsOnePiece) {
  for (KnownPattern p : {KnownPattern::qwen2, KnownPattern::llama3, KnownPattern::gpt2}) {
    EXPECT_EQ(count_pieces(p, repeat("a", kTenMegabytes)), 1u);
    EXPECT_EQ(count_pieces(p, repeat(" ", kTenMegabytes)), 1u);
    EXPECT_EQ(count_pieces(p, repeat("\xF0\x9F\x98\x80", kTenMegabytes)), 1u);  // emoji
    EXPECT_EQ(count_pieces(p, repeat("\xE4\xB8\xAD", kTenMegabytes)), 1u);      // 中
  }
  // \s*[\r\n]+ takes a whole run of line breaks; GPT-2's \s+ too.
  for (KnownPattern p : {KnownPattern::qwen2, KnownPattern::llama3, KnownPattern::gpt2}) {
    EXPECT_EQ(count_pieces(p, repeat("\n", kTenMegabytes)), 1u);
    EXPECT_EQ(count_pieces(p, repeat("\r\n", kTenMegabytes)), 1u);
  }
}

TEST(KnownPatternsLinearTime, DigitsAndSpacesBeforeAWord) {
  const std::string digits = repeat("7", kTenMegabytes);
  EXPECT_EQ(count_pieces(KnownPattern::qwen2, digits), digits.size());
  EXPECT_EQ(count_pieces(KnownPattern::llama3, digits), (digits.size() + 2) / 3);
  EXPECT_EQ(count_pieces(KnownPattern::gpt2, digits), 1u);
  // A long run of spaces before a word leaves its last space to the word: two pieces.
  const std::string spaces_word = repeat(" ", kTenMegabytes) + "word";
  for (KnownPattern p : {KnownPattern::qwen2, KnownPattern::llama3, KnownPattern::gpt2}) {
    EXPECT_EQ(count_pieces(p, spaces_word), 2u);
  }
  // Alternating space and newline: one \s*[\r\n]+ match.
  EXPECT_EQ(count_pieces(KnownPattern::qwen2, repeat(" \n", kTenMegabytes)), 1u);
}

TEST(KnownPatternsLinearTime, ThroughThePreTokenizerInterface) {
  const json tokenizer =
      json::parse(test::read_file(test::deepseek_model_dir() / "tokenizer.json"));
  auto pre = make_pre_tokenizer(tokenizer["pre_tokenizer"], "pre_tokenizer");
  EXPECT_EQ(run(*pre, repeat("a", kTenMegabytes)).size(), 1u);
  EXPECT_EQ(run(*pre, repeat("\r\n", kTenMegabytes)).size(), 1u);
  // "ab", then " ab" for every further unit, then the final space alone.
  const std::string words = repeat("ab ", kTenMegabytes);
  EXPECT_EQ(run(*pre, words).size(), words.size() / 3 + 1);
}

TEST(RegexLinearTime, Pcre2HandlesLongRunsWithoutStackOverflow) {
  const json spec = {{"type", "Split"},
                     {"pattern", {{"Regex", "(?: ?\\p{L}+|\\s+(?!\\S)|\\s+)"}}},
                     {"behavior", "Isolated"}};
  auto pre = make_pre_tokenizer(spec, "pre_tokenizer");
  EXPECT_EQ(run(*pre, repeat(" ", kTenMegabytes)).size(), 1u);
  EXPECT_EQ(run(*pre, repeat("a", kTenMegabytes)).size(), 1u);
  EXPECT_EQ(run(*pre, repeat(" ", kTenMegabytes) + "x").size(), 2u);
}

}  // namespace
}  // namespace r1::tok
