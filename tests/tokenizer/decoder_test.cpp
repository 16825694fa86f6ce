// Decoders against Hugging Face `tokenizers`: each case of
// tests/data/tokenizer_synthetic/decoder_cases.json (tools/reference/
// gen_synthetic_tokenizer_cases.py) gives a decoder's JSON, token strings and the decoded text.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "r1/error.h"
#include "test_paths.h"
#include "tokenizer/decoder.h"
#include "tokenizer/tokenizer_test_support.h"

namespace r1 {
namespace {

using nlohmann::json;

TEST(Decoders, MatchReference) {
  const json file =
      json::parse(test::read_file(test::data_path("tokenizer_synthetic/decoder_cases.json")));
  std::size_t count = 0;
  for (const json& c : file.at("cases")) {
    ++count;
    const std::string name = c.at("name").get<std::string>();
    std::unique_ptr<tok::Decoder> decoder = tok::make_decoder(c.at("decoder"), "decoder");
    ASSERT_NE(decoder, nullptr) << name;
    std::vector<std::string> tokens = c.at("tokens").get<std::vector<std::string>>();
    decoder->decode_chain(tokens);
    std::string text;
    for (const std::string& token : tokens) text += token;
    EXPECT_EQ(test::describe_text_difference(c.at("text").get<std::string>(), text), "")
        << name << " with " << c.at("decoder").dump();
  }
  EXPECT_GT(count, 50u);
}

TEST(Decoders, ByteLevelOnlyIsRecognized) {
  EXPECT_TRUE(
      tok::make_decoder(json::parse(R"({"type":"ByteLevel"})"), "decoder")->is_byte_level_only());
  EXPECT_TRUE(
      tok::make_decoder(json::parse(R"({"type":"Sequence","decoders":[{"type":"ByteLevel"}]})"),
                        "decoder")
          ->is_byte_level_only());
  EXPECT_FALSE(
      tok::make_decoder(json::parse(R"({"type":"Fuse"})"), "decoder")->is_byte_level_only());
  EXPECT_EQ(tok::make_decoder(json(), "decoder"), nullptr);
}

TEST(Decoders, RegexReplaceIsUnsupported) {
  try {
    tok::make_decoder(json::parse(R"({"type":"Replace","pattern":{"Regex":"a+"},"content":"b"})"),
                      "decoder.decoders[0]");
    FAIL() << "a Regex Replace decoder was built";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unsupported);
    EXPECT_NE(std::string(e.what()).find("decoder.decoders[0].pattern"), std::string::npos)
        << e.what();
  }
}

TEST(Decoders, MalformedSpecNamesField) {
  try {
    tok::make_decoder(json::parse(R"({"type":"Strip","content":"ab","start":1,"stop":0})"),
                      "decoder");
    FAIL() << "a Strip decoder with a two-character content was built";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_file);
    EXPECT_NE(std::string(e.what()).find("decoder.content"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace r1
