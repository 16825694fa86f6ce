// Tokenizers that went through GGUF tokenize like Hugging Face: HF files -> GGUF keys (written by
// GgufWriter, read back by GgufFile) -> HF files -> r1::Tokenizer, then every case of
// tests/data/tokenizer/<name>/cases.json (expected ids and text from HF tokenizers/transformers)
// must give the same ids and text. Where GGUF's CONTROL type makes a token special that
// tokenizer.json did not mark special, tests/data/gguf_tokenizer/<name>/gguf_overrides.json gives
// HF tokenizers' results with that flag set. The real SmolLM2 GGUF's tokenizer is checked too.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "gguf_tokenizer/gguf_tokenizer_fixtures.h"
#include "io/gguf.h"
#include "io/gguf_tokenizer.h"
#include "r1/error.h"
#include "r1/tokenizer.h"
#include "test_paths.h"

namespace r1 {
namespace {

using nlohmann::json;

Tokenizer tokenizer_from_gguf(const std::filesystem::path& path) {
  const io::GgufFile file = io::GgufFile::open(path);
  const io::HfTokenizerFiles files = io::tokenizer_files_from_gguf(file.metadata(), file.origin());
  return Tokenizer::from_json(files.tokenizer_json, files.tokenizer_config_json, path.string());
}

std::string show(const std::vector<TokenId>& ids) {
  std::ostringstream out;
  out << "[";
  for (std::size_t i = 0; i < ids.size(); ++i) out << (i ? "," : "") << ids[i];
  return out.str() + "]";
}

// Failures of one check, with the first few in detail.
struct Failures {
  std::size_t count = 0;
  std::string detail;
  void add(const std::string& what) {
    if (++count <= 8) detail += "  " + what + "\n";
  }
};

// Runs cases.json through `tokenizer`; `overrides` replaces expected fields per case name.
Failures run_cases(const Tokenizer& tokenizer, const json& cases, const json& overrides,
                   std::size_t& checked) {
  Failures failures;
  auto expected = [&](const json& c, const char* section, const char* field) {
    const std::string name = c.at("name").get<std::string>();
    if (overrides.contains(section) && overrides[section].contains(name) &&
        overrides[section][name].contains(field)) {
      return overrides[section][name][field];
    }
    return c.at(field);
  };
  auto check_ids = [&](const std::string& what, const json& want, const std::vector<TokenId>& got) {
    ++checked;
    if (want.get<std::vector<TokenId>>() != got) {
      failures.add(what + ": expected " + want.dump() + " got " + show(got));
    }
  };
  auto check_text = [&](const std::string& what, const json& want, const std::string& got) {
    ++checked;
    if (want.get<std::string>() != got) {
      failures.add(what + ": expected " + want.dump() + " got " +
                   json(got).dump(-1, ' ', false, json::error_handler_t::replace));
    }
  };
  for (const json& c : cases.at("cases")) {
    const std::string name = c.at("name").get<std::string>();
    const std::string text = c.at("text").get<std::string>();
    try {
      check_ids(name + " ids", expected(c, "encode", "ids"), tokenizer.encode(text));
      check_ids(name + " ids_no_bos", expected(c, "encode", "ids_no_bos"),
                tokenizer.encode(text, {SpecialTokens::skip}));
      check_ids(name + " ids_split_special", expected(c, "encode", "ids_split_special"),
                tokenizer.encode(text, {SpecialTokens::add, AddedTokenText::split_special}));
      const auto ids = c.at("ids").get<std::vector<TokenId>>();
      check_text(name + " decode", expected(c, "encode", "decode"), tokenizer.decode(ids));
      check_text(name + " decode_skip_special", expected(c, "encode", "decode_skip_special"),
                 tokenizer.decode(ids, {SkipSpecial::yes}));
    } catch (const Error& e) {
      failures.add(name + ": " + e.what());
    }
  }
  for (const json& c : cases.at("decode_cases")) {
    const std::string name = c.at("name").get<std::string>();
    const auto ids = c.at("ids").get<std::vector<TokenId>>();
    try {
      check_text(name + " text", expected(c, "decode", "text"), tokenizer.decode(ids));
      check_text(name + " text_skip_special", expected(c, "decode", "text_skip_special"),
                 tokenizer.decode(ids, {SkipSpecial::yes}));
    } catch (const Error& e) {
      failures.add(name + ": " + e.what());
    }
  }
  return failures;
}

json cases_of(const std::string& name) {
  return json::parse(test::read_file(test::data_path("tokenizer/" + name + "/cases.json")));
}

class GgufTokenizerRoundTrip : public testing::TestWithParam<test::GgufTokenizerFixture> {};

TEST_P(GgufTokenizerRoundTrip, TokenizesLikeHuggingFace) {
  const test::GgufTokenizerFixture& fixture = GetParam();
  const std::int64_t rows = test::gguf_tokenizer_data(fixture.name, "reference_keys.json")
                                .at("n_vocab_rows")
                                .get<std::int64_t>();
  const auto path = test::scratch_dir("gguf_tok_rt_" + fixture.name) / "tokenizer.gguf";
  test::write_tokenizer_gguf(fixture, rows, path);
  // tools/reference/gen_gguf_tokenizer_cases.py sets this to load r1's files in llama.cpp.
  if (const char* dir = std::getenv("R1_GGUF_TOKENIZER_WRITE_DIR")) {
    std::filesystem::copy_file(path, std::filesystem::path(dir) / (fixture.name + ".gguf"),
                               std::filesystem::copy_options::overwrite_existing);
  }
  const Tokenizer tokenizer = tokenizer_from_gguf(path);
  const json overrides = test::gguf_tokenizer_data(fixture.name, "gguf_overrides.json");

  std::size_t checked = 0;
  const Failures failures = run_cases(tokenizer, cases_of(fixture.name), overrides, checked);
  EXPECT_GT(checked, 1000u);
  EXPECT_EQ(failures.count, 0u) << fixture.name << ": " << failures.count << " of " << checked
                                << " checks differ:\n"
                                << failures.detail;

  // What survives the trip besides tokenization: the chat template byte for byte, the special
  // tokens, the vocabulary rows (padding ids decode), the special flags GGUF implies.
  const Tokenizer original = Tokenizer::load(fixture.hf_dir);
  EXPECT_EQ(tokenizer.chat_template(), original.chat_template());
  EXPECT_FALSE(tokenizer.chat_template().empty());
  const json config = json::parse(test::read_file(fixture.hf_dir / "tokenizer_config.json"));
  EXPECT_EQ(tokenizer.chat_template(), config.at("chat_template").get<std::string>());
  EXPECT_EQ(tokenizer.bos_token(), original.bos_token());
  EXPECT_EQ(tokenizer.eos_token(), original.eos_token());
  EXPECT_EQ(tokenizer.pad_token(), original.pad_token());
  EXPECT_EQ(tokenizer.bos_id(), original.bos_id());
  EXPECT_EQ(tokenizer.eos_id(), original.eos_id());
  EXPECT_EQ(tokenizer.vocab_size(), rows);
  const TokenId last = static_cast<TokenId>(rows - 1);
  if (last >= original.vocab_size()) {
    EXPECT_EQ(tokenizer.token_text(last), "[PAD" + std::to_string(last) + "]");
    EXPECT_NO_THROW(tokenizer.decode(std::vector<TokenId>{last}));
  }
  for (const AddedToken& token : original.added_tokens()) {
    bool promoted = false;
    for (const json& content : overrides.at("promoted_to_special")) {
      promoted = promoted || content.get<std::string>() == token.content;
    }
    EXPECT_EQ(tokenizer.is_special(token.id), token.special || promoted) << token.content;
    EXPECT_EQ(tokenizer.token_text(token.id), token.content);
  }
}

INSTANTIATE_TEST_SUITE_P(Tokenizers, GgufTokenizerRoundTrip,
                         testing::ValuesIn(test::gguf_tokenizer_fixtures()),
                         [](const auto& info) { return test::test_name(info.param.name); });

// The tokenizer inside the real SmolLM2-135M-Instruct GGUF (its tokenizer keys, copied by
// gen_gguf_tokenizer_cases.py) against HF tokenizers' results for the tokenizer.json that
// make_smollm2_tokenizer.py built from the same file.
TEST(GgufTokenizerRealFile, SmolLM2TokenizesLikeHuggingFace) {
  const auto path = test::data_path("gguf_tokenizer/smollm2-135m-instruct/tokenizer_only.gguf");
  const Tokenizer tokenizer = tokenizer_from_gguf(path);
  std::size_t checked = 0;
  const Failures failures =
      run_cases(tokenizer, cases_of("smollm2-135m-instruct"), json::object(), checked);
  EXPECT_GT(checked, 1000u);
  EXPECT_EQ(failures.count, 0u) << failures.count << " of " << checked << " checks differ:\n"
                                << failures.detail;
  const json config = json::parse(
      test::read_file(test::data_path("tokenizers/smollm2-135m-instruct/tokenizer_config.json")));
  EXPECT_EQ(tokenizer.chat_template(), config.at("chat_template").get<std::string>());
  EXPECT_EQ(tokenizer.bos_token(), "<|im_start|>");
  EXPECT_EQ(tokenizer.eos_token(), "<|im_end|>");
  EXPECT_EQ(tokenizer.vocab_size(), 49152);
}

}  // namespace
}  // namespace r1
