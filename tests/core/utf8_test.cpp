// UTF-8 validation and lossy conversion. Expected values are the Unicode Standard's own examples
// (chapter 3, "U+FFFD Substitution of Maximal Subparts", Table 3-8) and the well-formed byte
// sequences of Table 3-7.
#include <gtest/gtest.h>

#include "core/utf8.h"
#include "r1/error.h"

namespace r1::utf8 {
namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

const std::string kFFFD = "\xEF\xBF\xBD";

TEST(Utf8, AcceptsWellFormedSequencesOfEveryLength) {
  EXPECT_FALSE(find_invalid("plain ascii"));
  EXPECT_FALSE(find_invalid("\xC2\x80 \xDF\xBF"));                       // U+0080, U+07FF
  EXPECT_FALSE(find_invalid("\xE0\xA0\x80 \xED\x9F\xBF \xEF\xBF\xBF"));  // U+0800, U+D7FF, U+FFFF
  EXPECT_FALSE(find_invalid("\xF0\x90\x80\x80 \xF4\x8F\xBF\xBF"));       // U+10000, U+10FFFF
  EXPECT_FALSE(find_invalid(""));
}

TEST(Utf8, ReportsTheOffsetOfTheFirstInvalidByte) {
  EXPECT_EQ(find_invalid(bytes({'a', 'b', 0xC0, 0x80})), 2u);          // overlong
  EXPECT_EQ(find_invalid(bytes({'a', 0xED, 0xA0, 0x80})), 1u);         // surrogate U+D800
  EXPECT_EQ(find_invalid(bytes({0xF4, 0x90, 0x80, 0x80})), 0u);        // above U+10FFFF
  EXPECT_EQ(find_invalid(bytes({'x', 'y', 'z', 0xE4, 0xB8})), 3u);     // truncated at the end
  EXPECT_EQ(find_invalid(std::string(20, 'a') + bytes({0x80})), 20u);  // after the ASCII fast path
  EXPECT_EQ(find_invalid(bytes({0xFF})), 0u);
}

TEST(Utf8, RequireValidNamesTheInputAndOffset) {
  try {
    require_valid(bytes({'h', 'i', 0xFE}), "prompt");
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::invalid_argument);
    const std::string message = error.what();
    EXPECT_NE(message.find("prompt"), std::string::npos) << message;
    EXPECT_NE(message.find("offset 2"), std::string::npos) << message;
    EXPECT_NE(message.find("0xFE"), std::string::npos) << message;
  }
}

TEST(Utf8, LossyConversionReplacesMaximalSubparts) {
  // Unicode Standard Table 3-8: 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64
  const std::string input =
      bytes({0x61, 0xF1, 0x80, 0x80, 0xE1, 0x80, 0xC2, 0x62, 0x80, 0x63, 0x80, 0xBF, 0x64});
  const std::string expected =
      "a" + kFFFD + kFFFD + kFFFD + "b" + kFFFD + "c" + kFFFD + kFFFD + "d";
  EXPECT_EQ(to_valid_lossy(input), expected);
}

TEST(Utf8, LossyConversionOfOverlongsAndSurrogatesIsOneReplacementPerByte) {
  // C0 and ED A0 never start a well-formed prefix longer than their first byte (Table 3-7).
  EXPECT_EQ(to_valid_lossy(bytes({0xC0, 0xAF})), kFFFD + kFFFD);
  EXPECT_EQ(to_valid_lossy(bytes({0xED, 0xA0, 0x80})), kFFFD + kFFFD + kFFFD);
  EXPECT_EQ(to_valid_lossy("valid \xE4\xB8\xAD"), "valid \xE4\xB8\xAD");
}

TEST(Utf8, IncompleteTailIsHeldOnlyWhileItCanStillComplete) {
  EXPECT_EQ(incomplete_tail_length("abc"), 0u);
  EXPECT_EQ(incomplete_tail_length(bytes({'a', 0xE4})), 1u);
  EXPECT_EQ(incomplete_tail_length(bytes({'a', 0xE4, 0xB8})), 2u);
  EXPECT_EQ(incomplete_tail_length(bytes({0xF0, 0x9F, 0x98})), 3u);
  EXPECT_EQ(incomplete_tail_length(bytes({0xE4, 0xB8, 0xAD})), 0u);  // complete
  EXPECT_EQ(incomplete_tail_length(bytes({'a', 0xE4, 'b'})), 0u);    // can never complete
  EXPECT_EQ(incomplete_tail_length(bytes({0xC0})), 0u);              // invalid lead byte
  EXPECT_EQ(incomplete_tail_length(bytes({0xE0, 0x80})), 0u);        // E0 needs A0..BF next
}

TEST(Utf8, DecodeAndAppendRoundTrip) {
  for (char32_t cp :
       {char32_t(0x41), char32_t(0xE9), char32_t(0x4E2D), char32_t(0x1F600), char32_t(0x10FFFF)}) {
    std::string encoded;
    append(encoded, cp);
    std::size_t pos = 0;
    EXPECT_EQ(decode_at(encoded, pos), cp);
    EXPECT_EQ(pos, encoded.size());
    EXPECT_EQ(valid_sequence_length(encoded, 0), encoded.size());
  }
}

}  // namespace
}  // namespace r1::utf8
