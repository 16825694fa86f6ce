// GGUF tokenizers read by r1 tokenize like llama.cpp itself (llama-cpp-python 0.3.36 loading the
// same keys vocab-only; tests/data/gguf_tokenizer/llama_cpp_cases.json, see
// tools/reference/README.md): the DeepSeek, Qwen2.5 and SmolLM2 tokenizers as r1 writes them, the
// real SmolLM2 file, and that file with tokenizer.ggml.pre set to "llama-bpe", "gpt-2" and
// "default" (pre types with no tokenizer.json in the fixtures). The one known deviation: llama.cpp
// applies no normalizer, so for Qwen2's pre types r1 keeps HF's NFC, and texts that NFC changes
// tokenize as in HF (checked by the round-trip test) rather than as in llama.cpp.
#include <gtest/gtest.h>

#include <cctype>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "gguf_tokenizer/gguf_tokenizer_fixtures.h"
#include "io/gguf.h"
#include "io/gguf_tokenizer.h"
#include "io/gguf_writer.h"
#include "r1/error.h"
#include "r1/tokenizer.h"
#include "test_paths.h"

namespace r1 {
namespace {

using nlohmann::json;

const json& llama_cpp_cases() {
  static const json cases =
      json::parse(test::read_file(test::data_path("gguf_tokenizer/llama_cpp_cases.json")));
  return cases;
}

const json& variant(const std::string& name) {
  for (const json& v : llama_cpp_cases().at("variants")) {
    if (v.at("name") == name) return v;
  }
  throw std::runtime_error("no llama.cpp variant " + name);
}

// Copies the tokenizer keys of `source` to `path`, with tokenizer.ggml.pre replaced by `pre`.
void copy_tokenizer_keys(const io::GgufFile& source, const std::string& pre,
                         const std::filesystem::path& path) {
  io::GgufWriter writer;
  writer.add_string("general.architecture", "llama");
  for (const io::GgufKeyValue& kv : source.metadata().entries()) {
    if (!kv.key.starts_with("tokenizer.")) continue;
    const io::GgufValue& v = kv.value;
    if (kv.key == "tokenizer.ggml.pre") {
      writer.add_string(kv.key, pre);
    } else if (v.type() == io::GgufValueType::string) {
      writer.add_string(kv.key, *v.to_string());
    } else if (v.type() == io::GgufValueType::boolean) {
      writer.add_bool(kv.key, *v.to_bool());
    } else if (v.type() == io::GgufValueType::u32) {
      writer.add_uint32(kv.key, static_cast<std::uint32_t>(*v.to_uint()));
    } else if (v.type() == io::GgufValueType::array &&
               v.element_type() == io::GgufValueType::string) {
      writer.add_string_array(kv.key, v.strings());
    } else if (v.type() == io::GgufValueType::array && v.element_type() == io::GgufValueType::i32) {
      std::vector<std::int32_t> values;
      for (std::int64_t x : source.metadata().get_int_array(kv.key)) {
        values.push_back(static_cast<std::int32_t>(x));
      }
      writer.add_array(kv.key, std::span<const std::int32_t>(values));
    } else {
      FAIL() << "unexpected type " << v.type_text() << " of " << kv.key;
    }
  }
  writer.write(path);
}

Tokenizer tokenizer_from_gguf(const std::filesystem::path& path) {
  const io::GgufFile file = io::GgufFile::open(path);
  const io::HfTokenizerFiles files = io::tokenizer_files_from_gguf(file.metadata(), file.origin());
  return Tokenizer::from_json(files.tokenizer_json, files.tokenizer_config_json, path.string());
}

// Compares r1's ids with llama.cpp's for every case of the variant. Cases llama.cpp tokenizes
// differently because it skips NFC are left out when `nfc` (and must all be NFC-changing texts).
void expect_like_llama_cpp(const Tokenizer& tokenizer, const json& v, bool nfc) {
  const std::string cases_name = v.at("cases").get<std::string>();
  const json cases =
      json::parse(test::read_file(test::data_path("tokenizer/" + cases_name + "/cases.json")));
  json overrides = json::object();
  const auto overrides_path =
      test::data_path("gguf_tokenizer/" + cases_name + "/gguf_overrides.json");
  if (v.at("name") == cases_name)
    overrides = json::parse(test::read_file(overrides_path)).at("encode");
  const json& differences = v.at("differences");
  const std::set<std::string> not_nfc = v.at("not_nfc").get<std::set<std::string>>();
  std::size_t compared = 0;
  std::size_t skipped = 0;
  std::size_t failures = 0;
  for (const json& c : cases.at("cases")) {
    const std::string name = c.at("name").get<std::string>();
    if (nfc && differences.contains(name)) {
      EXPECT_TRUE(not_nfc.contains(name)) << name << ": llama.cpp differs from HF on NFC text";
      ++skipped;
      continue;
    }
    for (const char* field : {"ids", "ids_split_special"}) {
      json want = c.at(field);
      if (overrides.contains(name) && overrides[name].contains(field))
        want = overrides[name][field];
      if (differences.contains(name) && differences[name].contains(field)) {
        want = differences[name][field];
      }
      const std::vector<TokenId> got =
          std::string(field) == "ids"
              ? tokenizer.encode(c.at("text").get<std::string>())
              : tokenizer.encode(c.at("text").get<std::string>(),
                                 {SpecialTokens::add, AddedTokenText::split_special});
      ++compared;
      if (want.get<std::vector<TokenId>>() != got && ++failures <= 8) {
        ADD_FAILURE() << v.at("name") << " " << name << " " << field << ": llama.cpp "
                      << want.dump() << ", r1 " << json(got).dump();
      }
    }
  }
  EXPECT_EQ(compared + 2 * skipped, 2 * v.at("compared").get<std::size_t>());
  EXPECT_EQ(failures, 0u) << v.at("name") << ": " << failures << " of " << compared << " differ";
  if (!nfc) {
    EXPECT_EQ(skipped, 0u);
  }
}

class GgufTokenizerLlamaCpp : public testing::TestWithParam<test::GgufTokenizerFixture> {};

TEST_P(GgufTokenizerLlamaCpp, WrittenByR1TokenizesLikeLlamaCpp) {
  const test::GgufTokenizerFixture& fixture = GetParam();
  const json& v = variant(fixture.name);
  const std::int64_t rows = test::gguf_tokenizer_data(fixture.name, "reference_keys.json")
                                .at("n_vocab_rows")
                                .get<std::int64_t>();
  const auto path = test::scratch_dir("gguf_tok_llama_" + fixture.name) / "tokenizer.gguf";
  test::write_tokenizer_gguf(fixture, rows, path);
  const std::string pre = v.at("pre").get<std::string>();
  expect_like_llama_cpp(tokenizer_from_gguf(path), v, pre == "qwen2" || pre == "deepseek-r1-qwen");
}

INSTANTIATE_TEST_SUITE_P(Tokenizers, GgufTokenizerLlamaCpp,
                         testing::ValuesIn(test::gguf_tokenizer_fixtures()),
                         [](const auto& info) { return test::test_name(info.param.name); });

class GgufTokenizerPreTypes : public testing::TestWithParam<std::string> {};

TEST_P(GgufTokenizerPreTypes, RealSmolLM2KeysTokenizeLikeLlamaCpp) {
  const std::string pre = GetParam();
  const io::GgufFile real = io::GgufFile::open(
      test::data_path("gguf_tokenizer/smollm2-135m-instruct/tokenizer_only.gguf"));
  const auto path = test::scratch_dir("gguf_tok_pre_" + pre) / "tokenizer.gguf";
  copy_tokenizer_keys(real, pre, path);
  const std::string name = pre == "smollm" ? "smollm2-real-file" : "smollm2-real-file-pre-" + pre;
  expect_like_llama_cpp(tokenizer_from_gguf(path), variant(name), false);
}

INSTANTIATE_TEST_SUITE_P(Pre, GgufTokenizerPreTypes,
                         testing::Values("smollm", "llama-bpe", "gpt-2", "default"),
                         [](const auto& info) { return test::test_name(info.param); });

}  // namespace
}  // namespace r1
