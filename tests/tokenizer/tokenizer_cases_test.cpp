// Encode / decode / incremental detokenization against Hugging Face reference outputs: every
// tests/data/tokenizer/<name>/cases.json (written by tools/reference) is checked case by case.
// Failures list the case names with the first differing id or byte.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "r1/error.h"
#include "r1/tokenizer.h"
#include "test_paths.h"
#include "tokenizer/tokenizer_test_support.h"

namespace r1 {
namespace {

using nlohmann::json;

// Real tokenizers (tests/data/tokenizer, transformers semantics) and small synthetic ones
// (tests/data/tokenizer_synthetic, `tokenizers` semantics) share the cases.json format.
std::vector<std::filesystem::path> case_files() {
  std::vector<std::filesystem::path> files;
  for (const char* folder : {"tokenizer", "tokenizer_synthetic"}) {
    for (const auto& entry : std::filesystem::directory_iterator(test::data_path(folder))) {
      const std::filesystem::path file = entry.path() / "cases.json";
      if (entry.is_directory() && std::filesystem::exists(file)) files.push_back(file);
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<TokenId> ids_of(const json& value) {
  return value.get<std::vector<TokenId>>();
}

// Collects failures per check so that one report shows every failing case.
class FailureLog {
 public:
  void add(const std::string& check, const std::string& case_name, const std::string& detail) {
    auto& entry = checks_[check];
    ++entry.count;
    entry.names.push_back(case_name);
    if (entry.details.size() < 5) entry.details.push_back("  [" + case_name + "] " + detail);
  }
  bool empty() const { return checks_.empty(); }
  std::string report() const {
    std::ostringstream out;
    for (const auto& [check, entry] : checks_) {
      out << check << ": " << entry.count << " failing case(s):";
      for (std::size_t i = 0; i < entry.names.size() && i < 40; ++i) out << " " << entry.names[i];
      if (entry.names.size() > 40) out << " ...";
      out << "\n";
      for (const std::string& detail : entry.details) out << detail << "\n";
    }
    return out.str();
  }

 private:
  struct Entry {
    std::size_t count = 0;
    std::vector<std::string> names;
    std::vector<std::string> details;
  };
  std::map<std::string, Entry> checks_;
};

std::string detokenize(const Tokenizer& tokenizer, const std::vector<TokenId>& ids,
                       SkipSpecial skip) {
  IncrementalDetokenizer detokenizer(tokenizer, {skip});
  std::string text;
  for (TokenId id : ids) text += detokenizer.push(id);
  text += detokenizer.finish();
  return text;
}

void check_decoding(const Tokenizer& tokenizer, const std::string& name,
                    const std::vector<TokenId>& ids, const std::string& expected,
                    const std::string& expected_skip, FailureLog& log) {
  std::string diff = test::describe_text_difference(expected, tokenizer.decode(ids));
  if (!diff.empty()) log.add("decode", name, diff);
  diff = test::describe_text_difference(expected_skip, tokenizer.decode(ids, {SkipSpecial::yes}));
  if (!diff.empty()) log.add("decode skip_special", name, diff);
  diff = test::describe_text_difference(expected, detokenize(tokenizer, ids, SkipSpecial::no));
  if (!diff.empty()) log.add("incremental detokenizer", name, diff);
  diff =
      test::describe_text_difference(expected_skip, detokenize(tokenizer, ids, SkipSpecial::yes));
  if (!diff.empty()) log.add("incremental detokenizer skip_special", name, diff);
}

class TokenizerCases : public testing::TestWithParam<std::filesystem::path> {};

TEST_P(TokenizerCases, MatchReference) {
  const json file = json::parse(test::read_file(GetParam()));
  const Tokenizer& tokenizer =
      test::cached_tokenizer(test::source_dir() / file.at("model_dir").get<std::string>());
  FailureLog log;
  std::size_t count = 0;
  for (const json& c : file.at("cases")) {
    ++count;
    const std::string name = c.at("name").get<std::string>();
    const std::string text = c.at("text").get<std::string>();
    try {
      const std::vector<TokenId> ids = tokenizer.encode(text);
      std::string diff = test::describe_id_difference(tokenizer, ids_of(c.at("ids")), ids);
      if (!diff.empty()) log.add("encode", name, diff);
      diff = test::describe_id_difference(tokenizer, ids_of(c.at("ids_no_bos")),
                                          tokenizer.encode(text, {SpecialTokens::skip}));
      if (!diff.empty()) log.add("encode without special tokens", name, diff);
      diff = test::describe_id_difference(
          tokenizer, ids_of(c.at("ids_split_special")),
          tokenizer.encode(text, {SpecialTokens::add, AddedTokenText::split_special}));
      if (!diff.empty()) log.add("encode split_special", name, diff);
      // Decoding the reference ids checks decode on its own; the round trip below checks our ids.
      check_decoding(tokenizer, name, ids_of(c.at("ids")), c.at("decode").get<std::string>(),
                     c.at("decode_skip_special").get<std::string>(), log);
      diff =
          test::describe_text_difference(c.at("decode").get<std::string>(), tokenizer.decode(ids));
      if (!diff.empty()) log.add("round trip decode(encode(text))", name, diff);
    } catch (const Error& e) {
      log.add("exception", name, e.what());
    }
  }
  if (file.contains("decode_cases")) {
    for (const json& c : file.at("decode_cases")) {
      ++count;
      const std::string name = c.at("name").get<std::string>();
      try {
        check_decoding(tokenizer, name, ids_of(c.at("ids")), c.at("text").get<std::string>(),
                       c.at("text_skip_special").get<std::string>(), log);
      } catch (const Error& e) {
        log.add("exception", name, e.what());
      }
    }
  }
  EXPECT_GT(count, 0u) << GetParam();
  EXPECT_TRUE(log.empty()) << GetParam().string() << " (" << count << " cases)\n" << log.report();
}

std::string case_file_test_name(const testing::TestParamInfo<std::filesystem::path>& info) {
  std::string name = info.param.parent_path().filename().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(ReferenceFiles, TokenizerCases, testing::ValuesIn(case_files()),
                         case_file_test_name);

TEST(TokenizerCaseFiles, DeepSeekCasesExist) {
  EXPECT_TRUE(std::filesystem::exists(
      test::data_path("tokenizer/deepseek-r1-distill-qwen-1.5b/cases.json")));
}

}  // namespace
}  // namespace r1
