// Character classes, the regex translation and the byte-level alphabet against the reference
// (Oniguruma and ByteLevel inside Hugging Face `tokenizers`, recorded by
// tools/reference/gen_pretokenizer_cases.py), over every code point.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/utf8.h"
#include "test_paths.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/regex_splitter.h"
#include "tokenizer/unicode.h"

namespace r1::tok {
namespace {

using nlohmann::json;

const json& reference() {
  static const json data =
      json::parse(test::read_file(test::data_path("tokenizer/pretokenize_cases.json")));
  return data;
}

bool is_surrogate(char32_t cp) {
  return cp >= 0xD800 && cp <= 0xDFFF;
}

// Membership of every code point in the reference set for `regex`.
std::vector<bool> reference_set(const std::string& regex) {
  std::vector<bool> in(0x110000, false);
  for (const json& range : reference()["code_point_sets"].at(regex)) {
    for (char32_t cp = range[0].get<char32_t>(); cp <= range[1].get<char32_t>(); ++cp)
      in[cp] = true;
  }
  return in;
}

// Compares a predicate with the reference set over all code points; reports the first misses.
void expect_same_set(const std::string& regex, const std::function<bool(char32_t)>& predicate) {
  const std::vector<bool> expected = reference_set(regex);
  int mismatches = 0;
  for (char32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    if (is_surrogate(cp) || predicate(cp) == expected[cp]) continue;
    if (++mismatches <= 10) {
      ADD_FAILURE() << regex << ": U+" << std::hex << static_cast<unsigned>(cp) << " expected "
                    << expected[cp];
    }
  }
  EXPECT_EQ(mismatches, 0) << regex;
}

TEST(UnicodeClasses, MatchOniguruma) {
  expect_same_set("\\p{L}", unicode::is_letter);
  expect_same_set("\\p{N}", unicode::is_number);
  expect_same_set("\\s", unicode::is_white_space);
  expect_same_set("\\p{L}",
                  [](char32_t cp) { return unicode::classify(cp) == unicode::CharClass::letter; });
  expect_same_set("\\p{N}",
                  [](char32_t cp) { return unicode::classify(cp) == unicode::CharClass::number; });
  expect_same_set(
      "\\s", [](char32_t cp) { return unicode::classify(cp) == unicode::CharClass::white_space; });
}

// Every reference regex compiled through the PCRE2 translation matches exactly the same single
// code points as Oniguruma.
TEST(RegexTranslation, CharacterSetsMatchOniguruma) {
  std::string every;
  std::vector<char32_t> code_points;
  for (char32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    if (is_surrogate(cp)) continue;
    utf8::append(every, cp);
    code_points.push_back(cp);
  }
  for (const auto& [regex, ranges] : reference()["code_point_sets"].items()) {
    SCOPED_TRACE(regex);
    const std::vector<bool> expected = reference_set(regex);
    auto pattern = make_regex_pattern(regex, "test");
    std::vector<MatchSpan> matches;
    pattern->find_all(every, matches);
    std::vector<bool> actual(0x110000, false);
    for (const MatchSpan& m : matches) {
      std::size_t pos = m.start;
      ASSERT_LT(pos, every.size());
      actual[unicode::decode_valid(every, pos)] = true;
      ASSERT_EQ(pos, m.end) << "a match longer than one code point";
    }
    int mismatches = 0;
    for (char32_t cp : code_points) {
      if (actual[cp] != expected[cp] && ++mismatches <= 10) {
        ADD_FAILURE() << regex << ": U+" << std::hex << static_cast<unsigned>(cp) << " expected "
                      << expected[cp];
      }
    }
    EXPECT_EQ(mismatches, 0);
  }
}

TEST(ByteLevelAlphabet, MatchesTheReference) {
  const auto& alphabet = reference()["byte_level_alphabet"];
  ASSERT_EQ(alphabet.size(), 256u);
  std::string all_bytes;
  std::string all_chars;
  for (int b = 0; b < 256; ++b) {
    EXPECT_EQ(byte_to_char(static_cast<unsigned char>(b)), alphabet[b].get<std::string>()) << b;
    all_bytes.push_back(static_cast<char>(b));
    all_chars += alphabet[b].get<std::string>();
  }
  EXPECT_EQ(byte_level_encode(all_bytes), all_chars);
  EXPECT_EQ(byte_level_decode(all_chars), all_bytes);
  EXPECT_EQ(byte_level_decode("a b"), std::nullopt);   // a plain space is not in the alphabet
  EXPECT_EQ(byte_level_decode("\xC4"), std::nullopt);  // not UTF-8
}

TEST(UnicodeTransforms, NormalizationAndLowercaseBasics) {
  // Expected values: NFC/NFD/NFKC and Rust char::to_lowercase as the normalizer cases record;
  // these few check the fast paths (ASCII, CJK) return the text unchanged.
  EXPECT_EQ(unicode::normalize("plain ascii", unicode::NormalForm::nfc), "plain ascii");
  EXPECT_EQ(unicode::normalize("\xE4\xB8\xAD\xE6\x96\x87", unicode::NormalForm::nfc),
            "\xE4\xB8\xAD\xE6\x96\x87");
  EXPECT_EQ(unicode::normalize("e\xCC\x81", unicode::NormalForm::nfc), "\xC3\xA9");
  EXPECT_EQ(unicode::to_lower("\xC4\xB0"), "i\xCC\x87");  // U+0130
}

}  // namespace
}  // namespace r1::tok
