// GgufFile against files written by gguf-py's GGUFWriter: every key, value and tensor must be what
// gguf-py's GGUFReader reads back (tests/data/gguf/cases.json, from
// tools/reference/gen_gguf_cases.py).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gguf_test_support.h"
#include "io/gguf.h"
#include "test_paths.h"

namespace r1::io {
namespace {

using nlohmann::json;
using test::unhex;

const json& cases() {
  static const json parsed =
      json::parse(r1::test::read_file(r1::test::data_path("gguf/cases.json")));
  return parsed.at("cases");
}

GgufValueType type_named(const std::string& name) {
  static const std::map<std::string, GgufValueType> names = {
      {"UINT8", GgufValueType::u8},      {"INT8", GgufValueType::i8},
      {"UINT16", GgufValueType::u16},    {"INT16", GgufValueType::i16},
      {"UINT32", GgufValueType::u32},    {"INT32", GgufValueType::i32},
      {"FLOAT32", GgufValueType::f32},   {"BOOL", GgufValueType::boolean},
      {"STRING", GgufValueType::string}, {"ARRAY", GgufValueType::array},
      {"UINT64", GgufValueType::u64},    {"INT64", GgufValueType::i64},
      {"FLOAT64", GgufValueType::f64}};
  return names.at(name);
}

// A scalar's payload as the fixture states it: floats as bits, bools and integers as values.
void expect_scalar(GgufValueType type, const json& payload, const GgufValue& value,
                   const std::string& where) {
  ASSERT_EQ(value.type(), type) << where;
  switch (type) {
    case GgufValueType::f32:
    case GgufValueType::f64:
      EXPECT_EQ(value.bits(), payload.get<std::uint64_t>()) << where;
      break;
    case GgufValueType::boolean:
      EXPECT_EQ(value.to_bool(), payload.get<bool>()) << where;
      break;
    case GgufValueType::u64:
      EXPECT_EQ(value.to_uint(), payload.get<std::uint64_t>()) << where;
      break;
    default:
      EXPECT_EQ(value.to_int(), payload.get<std::int64_t>()) << where;
      break;
  }
}

void expect_value(const json& expected, const GgufValue& value, const std::string& where) {
  const GgufValueType type = type_named(expected.at("type"));
  ASSERT_EQ(value.type(), type) << where;
  if (type == GgufValueType::string) {
    EXPECT_EQ(value.to_string(), unhex(expected.at("hex").get<std::string>())) << where;
    return;
  }
  if (type != GgufValueType::array) {
    expect_scalar(type, expected.contains("bits") ? expected.at("bits") : expected.at("value"),
                  value, where);
    return;
  }
  const GgufValueType element_type = type_named(expected.at("element_type"));
  ASSERT_EQ(value.element_type(), element_type) << where;
  const json& items = expected.at("items");
  ASSERT_EQ(value.size(), items.size()) << where;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string item_where = where + "[" + std::to_string(i) + "]";
    if (element_type == GgufValueType::string) {
      EXPECT_EQ(value.strings()[i], unhex(items[i].get<std::string>())) << item_where;
    } else if (element_type == GgufValueType::array) {
      expect_value(items[i], value.items()[i], item_where);
    } else {
      const std::optional<GgufValue> element = value.element(i);
      ASSERT_TRUE(element.has_value()) << item_where;
      expect_scalar(element_type, items[i], *element, item_where);
    }
  }
}

void expect_matches_reference(const GgufFile& file, const json& expected) {
  const std::string name = expected.at("file");
  EXPECT_EQ(file.version(), expected.at("version").get<std::uint32_t>()) << name;
  EXPECT_EQ(file.alignment(), expected.at("alignment").get<std::uint32_t>()) << name;
  EXPECT_EQ(file.data_offset(), expected.at("data_offset").get<std::uint64_t>()) << name;

  const json& metadata = expected.at("metadata");
  ASSERT_EQ(file.metadata().entries().size(), metadata.size()) << name;
  for (std::size_t i = 0; i < metadata.size(); ++i) {
    const GgufKeyValue& entry = file.metadata().entries()[i];
    const std::string key = unhex(metadata[i].at("key_hex").get<std::string>());
    EXPECT_EQ(entry.key, key) << name << " entry " << i;
    expect_value(metadata[i], entry.value, name + ": " + key);
    EXPECT_EQ(file.metadata().find(key), &entry.value) << key;
  }

  const json& tensors = expected.at("tensors");
  ASSERT_EQ(file.tensors().size(), tensors.size()) << name;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const json& want = tensors[i];
    const GgufTensorView& view = file.tensors()[i];
    const std::string where = name + ": " + view.name;
    EXPECT_EQ(view.name, want.at("name").get<std::string>()) << where;
    EXPECT_EQ(ggml_type_name(view.type), want.at("type").get<std::string>()) << where;
    EXPECT_EQ(static_cast<std::uint32_t>(view.type), want.at("type_id").get<std::uint32_t>());
    EXPECT_EQ(view.shape, want.at("shape").get<std::vector<std::int64_t>>()) << where;
    EXPECT_EQ(view.ne(), want.at("ne").get<std::vector<std::uint64_t>>()) << where;
    EXPECT_EQ(view.element_count, want.at("n_elements").get<std::uint64_t>()) << where;
    EXPECT_EQ(view.nbytes, want.at("n_bytes").get<std::uint64_t>()) << where;
    EXPECT_EQ(view.offset, want.at("offset").get<std::uint64_t>()) << where;
    EXPECT_EQ(file.data_offset() + view.offset, want.at("data_offset").get<std::uint64_t>());
    EXPECT_EQ(test::tensor_bytes(view), unhex(want.at("hex").get<std::string>())) << where;
    EXPECT_EQ(file.find(view.name), &view);
  }
}

TEST(GgufReference, EveryFixtureReadsLikeGgufPyReadsIt) {
  ASSERT_GE(cases().size(), 7u);
  for (const json& expected : cases()) {
    const std::string name = expected.at("file");
    SCOPED_TRACE(name);
    const GgufFile file = GgufFile::open(r1::test::data_path("gguf/" + name));
    expect_matches_reference(file, expected);
  }
}

TEST(GgufReference, ScalarGettersOnEveryType) {
  const GgufFile file = GgufFile::open(r1::test::data_path("gguf/scalars_v3.gguf"));
  const GgufMetadata& m = file.metadata();
  EXPECT_EQ(file.architecture(), "qwen2");
  EXPECT_EQ(m.get_uint("t.u8"), 255u);
  EXPECT_EQ(m.get_int("t.i8"), -128);
  EXPECT_EQ(m.get_uint("t.u16"), 65535u);
  EXPECT_EQ(m.get_int("t.i16"), -32768);
  EXPECT_EQ(m.get_uint("t.u32"), 4294967295u);
  EXPECT_EQ(m.get_int("t.i32"), -2147483648ll);
  EXPECT_EQ(m.get_uint("t.u64"), 18446744073709551615ull);
  EXPECT_EQ(m.get_int("t.i64"), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(m.get_uint("t.i64_small"), 7u);  // a signed type holding a non-negative value
  EXPECT_EQ(m.get_int("t.u64_small"), 3);
  EXPECT_EQ(m.get_float("t.f32"), static_cast<double>(0.1f));
  EXPECT_EQ(m.get_float("t.f64"), 1e300);
  EXPECT_TRUE(m.get_bool("t.true"));
  EXPECT_FALSE(m.get_bool("t.false"));
  EXPECT_EQ(m.get_string("t.utf8"),
            "h\xc3\xa9llo, \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x99\x82 "
            "<\xef\xbd\x9cUser\xef\xbd\x9c>");
  EXPECT_EQ(m.get_string("t.nul"), std::string_view("a\0b\0", 4));
  EXPECT_EQ(m.get_string("t.empty"), "");
  EXPECT_EQ(m.get_string("t.invalid_utf8"), "\xff\xfe\xc0\xaf");
  const auto strings = m.get_string_array("t.strings");
  ASSERT_EQ(strings.size(), 5u);
  EXPECT_EQ(strings[3], std::string_view("x\0y", 3));
  EXPECT_EQ(m.get_int_array("t.i8s"), (std::vector<std::int64_t>{-128, 0, 127}));
  EXPECT_EQ(m.get_int_array("t.u32s"), (std::vector<std::int64_t>{0, 4294967295ll}));
  EXPECT_EQ(m.get_float_array("t.f32s"),
            (std::vector<double>{0.5, -2.25, static_cast<double>(1e-8f)}));
  EXPECT_EQ(m.get_float_array("t.f64s"), (std::vector<double>{0.1, -1e-300}));
  const GgufValue* nested = m.find("t.nested3");
  ASSERT_NE(nested, nullptr);
  EXPECT_EQ(nested->type_text(), "array of array of array of i32");
  EXPECT_EQ(nested->items()[1].items()[0].element(2)->to_int(), 6);
}

TEST(GgufReference, GetterErrorsNameKeyTypesAndFile) {
  const GgufFile file = GgufFile::open(r1::test::data_path("gguf/scalars_v3.gguf"));
  const GgufMetadata& m = file.metadata();
  auto error = test::catch_error([&] { (void)m.get_uint("qwen2.block_count"); });
  EXPECT_EQ(error.code, ErrorCode::not_found);
  test::expect_mentions(
      error.message, {"scalars_v3.gguf", "'qwen2.block_count'", "missing", "non-negative integer"});
  error = test::catch_error([&] { (void)m.get_uint("t.i32_negative"); });
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  test::expect_mentions(error.message,
                        {"scalars_v3.gguf", "'t.i32_negative'", "i32 -5", "non-negative integer"});
  error = test::catch_error([&] { (void)m.get_int("t.u64"); });
  test::expect_mentions(error.message, {"u64 18446744073709551615", "fits in i64"});
  error = test::catch_error([&] { (void)m.get_string("t.u8"); });
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  test::expect_mentions(error.message, {"'t.u8'", "is u8", "expected a string"});
  error = test::catch_error([&] { (void)m.get_float("t.i32"); });
  test::expect_mentions(error.message, {"is i32", "f32 or f64"});
  error = test::catch_error([&] { (void)m.get_bool("t.strings"); });
  test::expect_mentions(error.message, {"array of string", "expected a bool"});
  error = test::catch_error([&] { (void)m.get_string_array("t.i32s"); });
  test::expect_mentions(error.message, {"array of i32", "array of string"});
  error = test::catch_error([&] { (void)m.get_float_array("t.strings"); });
  test::expect_mentions(error.message, {"array of string", "f32 or f64"});
  error = test::catch_error([&] { (void)m.get_int_array("t.u64s"); });
  test::expect_mentions(error.message, {"element 1 is u64 18446744073709551615"});
  error = test::catch_error([&] { (void)m.get_int_array("t.nested"); });
  test::expect_mentions(error.message, {"array of array of i32"});
  error = test::catch_error([&] { (void)file.at("missing.weight"); });
  EXPECT_EQ(error.code, ErrorCode::not_found);
  test::expect_mentions(error.message, {"scalars_v3.gguf", "'missing.weight'"});
  EXPECT_EQ(file.find("missing.weight"), nullptr);
}

TEST(GgufReference, VocabularyIsZeroCopy) {
  const std::string path = r1::test::data_path("gguf/vocab.gguf").string();
  const GgufFile file = GgufFile::open(path);
  const auto tokens = file.metadata().get_string_array("tokenizer.ggml.tokens");
  ASSERT_EQ(tokens.size(), 600u);
  EXPECT_EQ(tokens[0], "<tok0>");
  EXPECT_EQ(file.metadata().get_float_array("tokenizer.ggml.scores").size(), 600u);
  EXPECT_EQ(file.metadata().get_int_array("tokenizer.ggml.token_type").size(), 600u);
  EXPECT_EQ(file.metadata().get_uint("tokenizer.ggml.bos_token_id"), 599u);
  // Token strings are views into the mapping: they lie in the same mapping, before the data
  // section.
  const std::byte* data = file.tensors()[0].data;
  const auto* token = reinterpret_cast<const std::byte*>(tokens[1].data());
  EXPECT_LT(token, data);
  EXPECT_GT(token, data - file.data_offset());
}

TEST(GgufReference, ViewsSurviveMoves) {
  GgufFile opened = GgufFile::open(r1::test::data_path("gguf/alignment_64.gguf"));
  const std::string first = test::tensor_bytes(opened.tensors()[0]);
  const GgufFile moved = std::move(opened);
  EXPECT_EQ(test::tensor_bytes(moved.at("token_embd.weight")), first);
  EXPECT_EQ(moved.metadata().get_string("general.name"), "aligned test");
  EXPECT_EQ(moved.alignment(), 64u);
  EXPECT_EQ(moved.at("token_embd.weight").shape, (std::vector<std::int64_t>{5, 3}));
}

// gguf-py's files are version 3; version_2.gguf was written with its version constant set to 2
// (same layout). Patching a v3 file's version field must also give the same reading.
TEST(GgufReference, VersionTwoAndThreeReadAlike) {
  const std::string v3 = r1::test::read_file(r1::test::data_path("gguf/alignment_64.gguf"));
  std::string v2 = v3;
  v2[4] = '\x02';
  const GgufFile a = test::parse_gguf(v3);
  const GgufFile b = test::parse_gguf(v2);
  EXPECT_EQ(a.version(), 3u);
  EXPECT_EQ(b.version(), 2u);
  ASSERT_EQ(a.tensors().size(), b.tensors().size());
  for (std::size_t i = 0; i < a.tensors().size(); ++i) {
    EXPECT_EQ(test::tensor_bytes(a.tensors()[i]), test::tensor_bytes(b.tensors()[i]));
  }
  EXPECT_EQ(GgufFile::open(r1::test::data_path("gguf/version_2.gguf")).version(), 2u);
}

}  // namespace
}  // namespace r1::io
