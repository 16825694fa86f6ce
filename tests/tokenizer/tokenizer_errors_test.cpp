// Errors of the tokenizer: broken or unsupported tokenizer.json content (made from the real
// file by JSON edits), invalid input text and ids out of range. Each error must name what and
// where.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "r1/error.h"
#include "r1/tokenizer.h"
#include "test_paths.h"
#include "tokenizer/tokenizer_test_support.h"

namespace r1 {
namespace {

using nlohmann::json;

const std::string& real_tokenizer_json() {
  static const std::string text = test::read_file(test::deepseek_model_dir() / "tokenizer.json");
  return text;
}

// The real tokenizer.json with its vocabulary cut down to what the edits need, so that each
// test loads quickly; every other component is the real one.
json small_tokenizer_json() {
  static const json small = [] {
    json root = json::parse(real_tokenizer_json());
    json vocab = json::object();
    for (const char* token : {"a", "b", "ab", "Ġ", "ĠĠ"})
      vocab[token] = root["model"]["vocab"][token];
    root["model"]["vocab"] = vocab;
    root["model"]["merges"] = json::array({json::array({"a", "b"}), json::array({"Ġ", "Ġ"})});
    return root;
  }();
  return small;
}

// Loads `root` and returns the error it raises (fails the test when none).
Error load_error(const json& root) {
  try {
    Tokenizer::from_json(root.dump(), "", "edited/tokenizer.json");
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "loading did not fail";
  return Error(ErrorCode::io_error, "");
}

void expect_error(const Error& error, ErrorCode code, std::initializer_list<const char*> parts) {
  EXPECT_EQ(error_code_name(error.code()), std::string(error_code_name(code))) << error.what();
  for (const char* part : parts) {
    EXPECT_NE(std::string(error.what()).find(part), std::string::npos)
        << "message \"" << error.what() << "\" should mention \"" << part << "\"";
  }
}

TEST(TokenizerErrors, SmallEditedFileLoads) {
  const Tokenizer tokenizer = Tokenizer::from_json(small_tokenizer_json().dump(), "", "small");
  EXPECT_EQ(tokenizer.token_text(*tokenizer.token_to_id("ab")), "ab");
}

TEST(TokenizerErrors, TruncatedFile) {
  const std::string& text = real_tokenizer_json();
  try {
    Tokenizer::from_json(std::string_view(text).substr(0, text.size() / 2), "",
                         "cut/tokenizer.json");
    FAIL() << "a truncated file loaded";
  } catch (const Error& e) {
    expect_error(e, ErrorCode::invalid_file, {"cut/tokenizer.json", "byte"});
  }
}

TEST(TokenizerErrors, NotJson) {
  try {
    Tokenizer::from_json("this is not json", "", "x/tokenizer.json");
    FAIL() << "text loaded as JSON";
  } catch (const Error& e) {
    expect_error(e, ErrorCode::invalid_file, {"x/tokenizer.json", "not valid JSON", "byte"});
  }
}

TEST(TokenizerErrors, BrokenTokenizerConfig) {
  try {
    Tokenizer::from_json(small_tokenizer_json().dump(), "{\"bos_token\": ", "x/tokenizer.json");
    FAIL() << "a broken tokenizer_config.json loaded";
  } catch (const Error& e) {
    expect_error(e, ErrorCode::invalid_file, {"tokenizer_config", "byte"});
  }
}

TEST(TokenizerErrors, MissingModel) {
  json root = small_tokenizer_json();
  root.erase("model");
  expect_error(load_error(root), ErrorCode::invalid_file, {"edited/tokenizer.json", "model"});
}

TEST(TokenizerErrors, UnsupportedModelType) {
  json root = small_tokenizer_json();
  root["model"]["type"] = "WordPiece";
  expect_error(load_error(root), ErrorCode::unsupported, {"model.type \"WordPiece\""});
}

TEST(TokenizerErrors, DropoutIsUnsupported) {
  json root = small_tokenizer_json();
  root["model"]["dropout"] = 0.1;
  expect_error(load_error(root), ErrorCode::unsupported, {"model.dropout"});
}

TEST(TokenizerErrors, UnknownNormalizer) {
  json root = small_tokenizer_json();
  root["normalizer"] = {{"type", "Bogus"}};
  expect_error(load_error(root), ErrorCode::unsupported, {"normalizer", "Bogus"});
}

TEST(TokenizerErrors, UnknownPreTokenizer) {
  json root = small_tokenizer_json();
  root["pre_tokenizer"]["pretokenizers"][1]["type"] = "Bogus";
  expect_error(load_error(root), ErrorCode::unsupported,
               {"pre_tokenizer.pretokenizers[1]", "Bogus"});
}

TEST(TokenizerErrors, UnknownDecoder) {
  json root = small_tokenizer_json();
  root["decoder"] = {{"type", "Sequence"},
                     {"decoders", json::array({{{"type", "ByteLevel"}}, {{"type", "CTC"}}})}};
  expect_error(load_error(root), ErrorCode::unsupported, {"decoder.decoders[1].type \"CTC\""});
}

TEST(TokenizerErrors, UnknownPostProcessor) {
  json root = small_tokenizer_json();
  root["post_processor"] = {{"type", "Bogus"}};
  expect_error(load_error(root), ErrorCode::unsupported, {"post_processor.type \"Bogus\""});
}

TEST(TokenizerErrors, MergeWithUnknownToken) {
  json root = small_tokenizer_json();
  root["model"]["merges"].push_back(json::array({"a", "zzz_unknown"}));
  expect_error(load_error(root), ErrorCode::invalid_file, {"model.merges[2]", "zzz_unknown"});
}

TEST(TokenizerErrors, MergeWithUnknownResult) {
  json root = small_tokenizer_json();
  root["model"]["merges"].push_back(json::array({"b", "a"}));
  expect_error(load_error(root), ErrorCode::invalid_file, {"model.merges[2]", "\"ba\""});
}

TEST(TokenizerErrors, MalformedMerge) {
  json root = small_tokenizer_json();
  root["model"]["merges"].push_back("ab");
  expect_error(load_error(root), ErrorCode::invalid_file, {"model.merges[2]"});
}

TEST(TokenizerErrors, DuplicateIds) {
  json root = small_tokenizer_json();
  root["model"]["vocab"]["b"] = root["model"]["vocab"]["a"];
  expect_error(load_error(root), ErrorCode::invalid_file, {"model.vocab", "both have id"});
}

TEST(TokenizerErrors, NegativeId) {
  json root = small_tokenizer_json();
  root["model"]["vocab"]["b"] = -4;
  expect_error(load_error(root), ErrorCode::invalid_file, {"model.vocab[\"b\"]"});
}

TEST(TokenizerErrors, InvalidUtf8InputNamesOffset) {
  try {
    test::deepseek_tokenizer().encode(
        "abc\xFF"
        "def");
    FAIL() << "invalid UTF-8 was encoded";
  } catch (const Error& e) {
    expect_error(e, ErrorCode::invalid_argument, {"3"});
  }
}

TEST(TokenizerErrors, IdOutOfRange) {
  const Tokenizer& tokenizer = test::deepseek_tokenizer();
  const TokenId too_big = tokenizer.vocab_size();
  const std::vector<TokenId> ids{1, too_big};
  try {
    tokenizer.decode(ids);
    FAIL() << "an id out of range was decoded";
  } catch (const Error& e) {
    expect_error(e, ErrorCode::invalid_argument,
                 {std::to_string(too_big).c_str(), std::to_string(too_big - 1).c_str()});
  }
  EXPECT_THROW(tokenizer.token_bytes(-1), Error);
  EXPECT_THROW(tokenizer.token_text(too_big), Error);
  EXPECT_THROW(tokenizer.is_special(-7), Error);
  IncrementalDetokenizer detokenizer(tokenizer);
  EXPECT_THROW(detokenizer.push(too_big), Error);
}

TEST(TokenizerErrors, MissingTokenizerJsonNamesFolder) {
  const std::filesystem::path folder = test::data_path("tokenizer");  // has no tokenizer.json
  try {
    Tokenizer::load(folder);
    FAIL() << "a folder without tokenizer.json loaded";
  } catch (const Error& e) {
    expect_error(e, ErrorCode::not_found, {folder.string().c_str(), "tokenizer.json"});
  }
}

}  // namespace
}  // namespace r1
