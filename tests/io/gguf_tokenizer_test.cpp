// The GGUF tokenizer conversion (src/io/gguf_tokenizer.h) against llama.cpp's side:
// * r1's HF -> GGUF keys equal, key for key, what gguf-py and convert_hf_to_gguf.py's vocabulary
//   rules write for the same tokenizer (tests/data/gguf_tokenizer/<name>/reference_keys.json);
// * the tokenizer r1 reads from the real SmolLM2-135M-Instruct GGUF (its tokenizer keys in
//   tokenizer_only.gguf) is the tokenizer.json HF `tokenizers` built from the same file, and
//   writing it back gives the real file's keys;
// * malformed or unsupported tokenizers fail with errors that say what and where.
#include "io/gguf_tokenizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "gguf_tokenizer/gguf_tokenizer_fixtures.h"
#include "io/gguf.h"
#include "io/gguf_writer.h"
#include "r1/error.h"
#include "test_paths.h"

namespace r1::io {
namespace {

using nlohmann::json;

// gguf-py's GGUFValueType names.
std::string py_type_name(GgufValueType type) {
  switch (type) {
    case GgufValueType::u8:
      return "UINT8";
    case GgufValueType::i8:
      return "INT8";
    case GgufValueType::u16:
      return "UINT16";
    case GgufValueType::i16:
      return "INT16";
    case GgufValueType::u32:
      return "UINT32";
    case GgufValueType::i32:
      return "INT32";
    case GgufValueType::f32:
      return "FLOAT32";
    case GgufValueType::boolean:
      return "BOOL";
    case GgufValueType::string:
      return "STRING";
    case GgufValueType::array:
      return "ARRAY";
    case GgufValueType::u64:
      return "UINT64";
    case GgufValueType::i64:
      return "INT64";
    case GgufValueType::f64:
      return "FLOAT64";
  }
  return "?";
}

json scalar_json(const GgufValue& value) {
  if (value.type() == GgufValueType::string) return std::string(*value.to_string());
  if (value.type() == GgufValueType::boolean) return *value.to_bool();
  if (gguf_is_integer(value.type())) return *value.to_int();
  return *value.to_float();
}

struct Fnv {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  void bytes(const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < n; ++i) {
      h ^= p[i];
      h *= 0x100000001b3ULL;
    }
  }
  void u64(std::uint64_t v) {
    unsigned char le[8];
    for (int i = 0; i < 8; ++i) le[i] = static_cast<unsigned char>(v >> (8 * i));
    bytes(le, 8);
  }
  std::string hex() const {
    char out[17];
    std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
    return out;
  }
};

// The same description tools/reference/gen_gguf_tokenizer_cases.py writes with GGUFReader.
json describe(const GgufFile& file) {
  json keys = json::array();
  for (const GgufKeyValue& kv : file.metadata().entries()) {
    if (kv.key.starts_with("general.")) continue;
    json entry = {{"key", std::string(kv.key)}, {"type", py_type_name(kv.value.type())}};
    if (kv.value.type() == GgufValueType::array) {
      entry["element_type"] = py_type_name(kv.value.element_type());
      std::vector<json> items;
      Fnv fnv;
      if (kv.value.element_type() == GgufValueType::string) {
        for (std::string_view s : kv.value.strings()) {
          items.emplace_back(std::string(s));
          fnv.u64(s.size());
          fnv.bytes(s.data(), s.size());
        }
      } else {
        for (std::uint64_t i = 0; i < kv.value.size(); ++i) {
          const std::int64_t v = *kv.value.element(i)->to_int();
          items.emplace_back(v);
          fnv.u64(static_cast<std::uint64_t>(v));
        }
      }
      entry["count"] = items.size();
      const std::size_t head = std::min<std::size_t>(50, items.size());
      entry["first"] = std::vector<json>(items.begin(), items.begin() + head);
      entry["last"] = std::vector<json>(items.end() - head, items.end());
      entry["fnv1a64"] = fnv.hex();
    } else {
      entry["value"] = scalar_json(kv.value);
    }
    keys.push_back(std::move(entry));
  }
  return keys;
}

class GgufTokenizerReference : public testing::TestWithParam<test::GgufTokenizerFixture> {};

TEST_P(GgufTokenizerReference, KeysEqualWhatGgufPyWrites) {
  const test::GgufTokenizerFixture& fixture = GetParam();
  const json reference = test::gguf_tokenizer_data(fixture.name, "reference_keys.json");
  const auto path = test::scratch_dir("gguf_tok_ref_" + fixture.name) / "tokenizer.gguf";
  test::write_tokenizer_gguf(fixture, reference.at("n_vocab_rows").get<std::int64_t>(), path);
  const json actual = describe(GgufFile::open(path));
  const json& expected = reference.at("keys");
  ASSERT_EQ(actual.size(), expected.size()) << "keys: " << actual.dump().substr(0, 2000);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const json& e = expected[i];
    const json& a = actual[i];
    EXPECT_EQ(a.at("key"), e.at("key")) << "key " << i;
    EXPECT_EQ(a.at("type"), e.at("type")) << e.at("key");
    for (const char* field : {"value", "element_type", "count", "first", "last", "fnv1a64"}) {
      if (!e.contains(field)) continue;
      EXPECT_EQ(a.value(field, json()), e.at(field)) << e.at("key") << " " << field;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Tokenizers, GgufTokenizerReference,
                         testing::ValuesIn(test::gguf_tokenizer_fixtures()),
                         [](const auto& info) { return test::test_name(info.param.name); });

std::filesystem::path smollm2_gguf() {
  return test::data_path("gguf_tokenizer/smollm2-135m-instruct/tokenizer_only.gguf");
}

// The real file's tokenizer, read by r1, is what HF tokenizers built from the same keys
// (tools/reference/make_smollm2_tokenizer.py): same vocabulary, merges, added tokens and
// pre-tokenizer; the same special tokens and chat template as its tokenizer_config.json.
TEST(GgufTokenizerSmolLM2, ReadsTheRealFileAsHfTokenizersBuiltIt) {
  const GgufFile file = GgufFile::open(smollm2_gguf());
  const HfTokenizerFiles files = tokenizer_files_from_gguf(file.metadata(), file.origin());
  const json ours = json::parse(files.tokenizer_json);
  const auto hf_dir = test::data_path("tokenizers/smollm2-135m-instruct");
  const json theirs = json::parse(test::read_file(hf_dir / "tokenizer.json"));
  EXPECT_EQ(ours["model"]["vocab"], theirs["model"]["vocab"]);
  ASSERT_EQ(ours["model"]["merges"].size(), theirs["model"]["merges"].size());
  EXPECT_EQ(ours["model"]["merges"], theirs["model"]["merges"]);
  EXPECT_EQ(ours["pre_tokenizer"], theirs["pre_tokenizer"]);
  EXPECT_EQ(ours["normalizer"], theirs["normalizer"]);
  EXPECT_EQ(ours["model"]["ignore_merges"], theirs["model"]["ignore_merges"]);
  EXPECT_EQ(ours["added_tokens"], theirs["added_tokens"]);

  const json config = json::parse(files.tokenizer_config_json);
  const json their_config = json::parse(test::read_file(hf_dir / "tokenizer_config.json"));
  for (const char* key : {"bos_token", "eos_token", "pad_token", "unk_token", "chat_template"}) {
    EXPECT_EQ(config.at(key), their_config.at(key)) << key;
  }
  EXPECT_EQ(config.at("add_bos_token"), false);
}

// Writing r1's reading of the real file back gives the real file's keys (what llama.cpp's
// converter wrote), except tokenizer.ggml.add_space_prefix, which gpt2 vocabularies ignore and
// the converter no longer writes, and add_eos_token, which r1 states explicitly.
TEST(GgufTokenizerSmolLM2, WritesBackTheRealFilesKeys) {
  const GgufFile real = GgufFile::open(smollm2_gguf());
  const HfTokenizerFiles files = tokenizer_files_from_gguf(real.metadata(), real.origin());
  GgufWriter writer;
  add_tokenizer_to_gguf(writer, files.tokenizer_json, files.tokenizer_config_json, 49152,
                        "smollm2 from gguf");
  const auto path = test::scratch_dir("gguf_tok_smollm2_back") / "tokenizer.gguf";
  writer.write(path);
  const GgufFile back = GgufFile::open(path);
  const json real_keys = describe(real);
  json back_by_key = json::object();
  for (const json& entry : describe(back)) back_by_key[entry.at("key").get<std::string>()] = entry;
  for (const json& entry : real_keys) {
    const std::string key = entry.at("key").get<std::string>();
    if (key == "tokenizer.ggml.add_space_prefix") continue;
    ASSERT_TRUE(back_by_key.contains(key)) << key;
    EXPECT_EQ(back_by_key[key], entry) << key;
  }
  EXPECT_EQ(back_by_key["tokenizer.ggml.add_eos_token"]["value"], false);
}

// --- errors ---------------------------------------------------------------------------------

// A small valid gpt2 tokenizer: "a", "b", "ab", "<s>" (control); one merge.
struct TinyGguf {
  std::vector<std::string> tokens = {"a", "b", "ab", "<s>"};
  std::vector<std::int32_t> types = {1, 1, 1, 3};
  std::vector<std::string> merges = {"a b"};
  std::string model = "gpt2";
  std::string pre = "qwen2";
  std::int64_t bos = 3;
  bool with_tokens = true;

  HfTokenizerFiles convert(const std::string& name) const {
    GgufWriter writer;
    writer.add_string("general.architecture", "qwen2");
    writer.add_string("tokenizer.ggml.model", model);
    if (!pre.empty()) writer.add_string("tokenizer.ggml.pre", pre);
    if (with_tokens) writer.add_string_array("tokenizer.ggml.tokens", tokens);
    writer.add_array("tokenizer.ggml.token_type", std::span<const std::int32_t>(types));
    writer.add_string_array("tokenizer.ggml.merges", merges);
    writer.add_uint32("tokenizer.ggml.bos_token_id", static_cast<std::uint32_t>(bos));
    writer.add_bool("tokenizer.ggml.add_bos_token", true);
    const auto path = test::scratch_dir("gguf_tok_err_" + name) / "t.gguf";
    writer.write(path);
    const GgufFile file = GgufFile::open(path);
    return tokenizer_files_from_gguf(file.metadata(), "tiny.gguf");
  }
};

// Runs `f`, expecting Error(code) whose message contains every fragment.
template <typename F>
void expect_error(F&& f, ErrorCode code, std::vector<std::string> fragments) {
  try {
    f();
    ADD_FAILURE() << "no error thrown";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    for (const std::string& fragment : fragments) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
          << "'" << fragment << "' not in: " << e.what();
    }
  }
}

TEST(GgufTokenizerErrors, TinyFileConverts) {
  const HfTokenizerFiles files = TinyGguf{}.convert("ok");
  const json tokenizer = json::parse(files.tokenizer_json);
  EXPECT_EQ(tokenizer["model"]["vocab"], (json{{"a", 0}, {"b", 1}, {"ab", 2}, {"<s>", 3}}));
  EXPECT_EQ(tokenizer["model"]["merges"], json::parse(R"([["a", "b"]])"));
  EXPECT_EQ(tokenizer["added_tokens"][0]["content"], "<s>");
  EXPECT_EQ(tokenizer["added_tokens"][0]["special"], true);
  EXPECT_EQ(tokenizer["post_processor"]["single"][0]["SpecialToken"]["id"], "<s>");
  EXPECT_EQ(json::parse(files.tokenizer_config_json)["bos_token"], "<s>");
}

TEST(GgufTokenizerErrors, MissingTokens) {
  TinyGguf tiny;
  tiny.with_tokens = false;
  expect_error([&] { tiny.convert("no_tokens"); }, ErrorCode::not_found,
               {"tiny.gguf", "tokenizer.ggml.tokens"});
}

TEST(GgufTokenizerErrors, MergeWithUnknownToken) {
  TinyGguf tiny;
  tiny.merges = {"a b", "a c"};
  expect_error([&] { tiny.convert("merge"); }, ErrorCode::invalid_file,
               {"tiny.gguf", "tokenizer.ggml.merges[1]", "\"c\"", "not in tokenizer.ggml.tokens"});
  tiny.merges = {"b a"};  // "ba" is not a token either
  expect_error([&] { tiny.convert("merge2"); }, ErrorCode::invalid_file,
               {"merges[0]", "the merged token \"ba\""});
  tiny.merges = {"ab"};
  expect_error([&] { tiny.convert("merge3"); }, ErrorCode::invalid_file,
               {"merges[0]", "not two tokens"});
}

TEST(GgufTokenizerErrors, TokenTypeOfWrongLength) {
  TinyGguf tiny;
  tiny.types = {1, 1, 1};
  expect_error([&] { tiny.convert("types"); }, ErrorCode::invalid_file,
               {"tiny.gguf", "tokenizer.ggml.token_type has 3 entries for 4 tokens"});
}

TEST(GgufTokenizerErrors, UnknownPre) {
  TinyGguf tiny;
  tiny.pre = "tekken";
  expect_error([&] { tiny.convert("pre"); }, ErrorCode::unsupported,
               {"tiny.gguf", "tokenizer.ggml.pre \"tekken\"", "\"qwen2\"", "\"deepseek-r1-qwen\"",
                "\"llama-bpe\"", "\"smollm\"", "\"gpt-2\"", "\"default\""});
  std::vector<std::string> names;
  for (std::string_view name : supported_gguf_tokenizer_pre_names()) names.emplace_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"qwen2", "deepseek-r1-qwen", "llama-bpe", "smollm",
                                             "gpt-2", "default"}));
  for (const std::string& name : names) {
    tiny.pre = name;
    EXPECT_NO_THROW(tiny.convert("pre_" + name)) << name;
  }
  tiny.pre = "llama3";  // llama.cpp's alias
  EXPECT_EQ(json::parse(tiny.convert("pre_llama3").tokenizer_json)["model"]["ignore_merges"], true);
}

TEST(GgufTokenizerErrors, WrongModelType) {
  for (const char* model : {"llama", "bert", "t5"}) {
    TinyGguf tiny;
    tiny.model = model;
    expect_error([&] { tiny.convert(model); }, ErrorCode::unsupported,
                 {"tiny.gguf", std::string("tokenizer.ggml.model \"") + model + "\"", "\"gpt2\""});
  }
}

TEST(GgufTokenizerErrors, SpecialIdOutOfRange) {
  TinyGguf tiny;
  tiny.bos = 4;
  expect_error([&] { tiny.convert("bos"); }, ErrorCode::invalid_file,
               {"tiny.gguf", "tokenizer.ggml.bos_token_id is 4", "4 tokens"});
}

TEST(GgufTokenizerErrors, DuplicateAndInvalidTokens) {
  TinyGguf tiny;
  tiny.tokens = {"a", "b", "ab", "a"};
  expect_error([&] { tiny.convert("dup"); }, ErrorCode::invalid_file,
               {"tokens 0 and 3 are both \"a\""});
  tiny.tokens = {"a", "b", "ab", "\xff"};
  expect_error([&] { tiny.convert("utf8"); }, ErrorCode::invalid_file,
               {"token 3 is not valid UTF-8"});
}

std::string deepseek_file(const std::string& name) {
  return test::read_file(test::deepseek_model_dir() / name);
}

TEST(GgufTokenizerWriteErrors, UnsupportedPreTokenizer) {
  json tokenizer = json::parse(deepseek_file("tokenizer.json"));
  tokenizer["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "\\p{L}+|\\s+";
  GgufWriter writer;
  expect_error(
      [&] {
        add_tokenizer_to_gguf(writer, tokenizer.dump(), deepseek_file("tokenizer_config.json"),
                              151936, "model-dir");
      },
      ErrorCode::unsupported,
      {"model-dir tokenizer.json", "\\p{L}+|\\s+", "\"qwen2\"", "convert_hf_to_gguf.py"});
}

TEST(GgufTokenizerWriteErrors, NotByteLevelBpe) {
  GgufWriter writer;
  const std::string wordpiece = R"({"model": {"type": "WordPiece", "vocab": {"a": 0}}})";
  expect_error([&] { add_tokenizer_to_gguf(writer, wordpiece, "", 0, "bert"); },
               ErrorCode::unsupported, {"bert tokenizer.json", "\"WordPiece\""});
  const std::string fallback =
      R"({"model": {"type": "BPE", "byte_fallback": true, "vocab": {"a": 0}, "merges": []},
          "decoder": {"type": "ByteFallback"}})";
  expect_error([&] { add_tokenizer_to_gguf(writer, fallback, "", 0, "spm"); },
               ErrorCode::unsupported, {"byte_fallback"});
}

// As gguf-py's SpecialVocab: config.json's ids fill only the types tokenizer_config.json left
// without one (Qwen2.5 has no bos_token; Qwen2.5's config.json says bos_token_id 151643), plain
// integers only.
TEST(GgufTokenizerWrite, ModelConfigIdsFillMissingTypes) {
  const auto hf_dir = test::data_path("tokenizers/qwen2.5-instruct");
  GgufWriter writer;
  add_tokenizer_to_gguf(writer, test::read_file(hf_dir / "tokenizer.json"),
                        test::read_file(hf_dir / "tokenizer_config.json"), 151936, "qwen2.5",
                        R"({"bos_token_id": 151643, "eos_token_id": 7, "pad_token_id": [1, 2]})");
  const auto path = test::scratch_dir("gguf_tok_model_config") / "t.gguf";
  writer.write(path);
  const GgufFile file = GgufFile::open(path);
  EXPECT_EQ(file.metadata().get_uint("tokenizer.ggml.bos_token_id"), 151643u);
  EXPECT_EQ(file.metadata().get_uint("tokenizer.ggml.eos_token_id"), 151645u);
  EXPECT_EQ(file.metadata().get_uint("tokenizer.ggml.padding_token_id"), 151643u);
}

// The synthetic tokenizers of the tokenizer tests are all shapes GGUF cannot express (prefix
// space, Metaspace, suffix BPE, WordPiece-style, SentencePiece-like with byte fallback).
TEST(GgufTokenizerWriteErrors, SyntheticTokenizersAreUnsupported) {
  std::size_t count = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(test::data_path("tokenizer_synthetic"))) {
    if (!entry.is_directory()) continue;
    ++count;
    GgufWriter writer;
    const std::string config_path = (entry.path() / "tokenizer_config.json").string();
    const std::string config =
        std::filesystem::exists(config_path) ? test::read_file(config_path) : std::string();
    expect_error(
        [&] {
          add_tokenizer_to_gguf(writer, test::read_file(entry.path() / "tokenizer.json"), config, 0,
                                entry.path().filename().string());
        },
        ErrorCode::unsupported, {entry.path().filename().string(), "convert_hf_to_gguf.py"});
  }
  EXPECT_EQ(count, 5u);
}

TEST(GgufTokenizerWriteErrors, FewerRowsThanTokens) {
  GgufWriter writer;
  expect_error(
      [&] {
        add_tokenizer_to_gguf(writer, deepseek_file("tokenizer.json"),
                              deepseek_file("tokenizer_config.json"), 151000, "model-dir");
      },
      ErrorCode::invalid_file, {"151000 vocabulary rows", "ids up to 151664"});
}

}  // namespace
}  // namespace r1::io
