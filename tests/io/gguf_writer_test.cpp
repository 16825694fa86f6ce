// GgufWriter: byte-identical to gguf-py's GGUFWriter for the same content (writer_reference.gguf),
// read back by GgufFile, streamed from producers, and strict about what it is given.
#include "io/gguf_writer.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "gguf_test_support.h"
#include "test_paths.h"

namespace r1::io {
namespace {

using test::catch_error;
using test::expect_mentions;

// Byte i of tensor k is (i * 7 + k * 31) mod 256, as in gen_gguf_cases.py's write_writer_reference.
std::vector<std::byte> ramp(std::size_t count, int k) {
  std::vector<std::byte> out(count);
  for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<std::byte>((i * 7 + k * 31) % 256);
  return out;
}

TEST(GgufWriterReference, MatchesGgufPyByteForByte) {
  GgufWriter writer;
  writer.add_string("general.architecture", "qwen2");
  writer.add_uint8("w.u8", 200);
  writer.add_int8("w.i8", -100);
  writer.add_uint16("w.u16", 60000);
  writer.add_int16("w.i16", -30000);
  writer.add_uint32("w.u32", 4000000000u);
  writer.add_int32("w.i32", -2000000000);
  writer.add_float32("w.f32", 0.375f);
  writer.add_uint64("w.u64", (1ull << 63) + 5);
  writer.add_int64("w.i64", -(1ll << 40));
  writer.add_float64("w.f64", -2.5e-10);
  writer.add_bool("w.bool", true);
  writer.add_string("w.string", std::string_view("h\xc3\xa9llo\0world", 12));
  const std::vector<std::string> strings = {"", "a", "\xe4\xb8\x96\xe7\x95\x8c"};
  writer.add_string_array("w.strings", strings);
  writer.add_array("w.i32s", std::vector<std::int32_t>{1, -2, 3});
  writer.add_array("w.f32s", std::vector<float>{0.5f, 1.5f});
  writer.add_array("w.u8s", std::vector<std::uint8_t>{1, 2, 3, 4, 5});
  writer.add_bool_array("w.bools", {false, true});
  writer.add_array("w.f64s", std::vector<double>{1.0, -0.125});
  writer.add_array("w.u64s", std::vector<std::uint64_t>{~0ull});
  const auto a = ramp(3 * 4 * 4, 0);
  const auto b = ramp(5 * 2, 1);
  const auto c = ramp(2 * 2 * 34, 2);
  const auto d = ramp(18, 3);
  const auto e = ramp(2 * 3 * 2 * 2, 4);
  writer.add_tensor("a.weight", GgmlType::f32, {3, 4}, a);
  writer.add_tensor("b.weight", GgmlType::f16, {5}, b);
  writer.add_tensor("c.weight", GgmlType::q8_0, {2, 64}, c);
  writer.add_tensor("d.weight", GgmlType::q4_0, {1, 32}, d);
  // Streamed in chunks from a producer.
  writer.add_tensor("e.weight", GgmlType::bf16, {2, 3, 2}, [&](const GgufByteSink& sink) {
    sink(std::span(e).first(5));
    sink(std::span(e).subspan(5));
  });

  test::TempDir dir;
  const auto path = dir.path() / "writer_reference.gguf";
  writer.write(path);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "writer_reference.gguf.partial"));
  const std::string written = r1::test::read_file(path);
  const std::string reference =
      r1::test::read_file(r1::test::data_path("gguf/writer_reference.gguf"));
  EXPECT_EQ(written.size(), reference.size());
  EXPECT_TRUE(written == reference) << "r1's GgufWriter output differs from gguf-py's";
  // tools/reference/gen_gguf_cases.py sets this to read r1's file with gguf-py's GGUFReader.
  if (const char* out_dir = std::getenv("R1_GGUF_WRITE_DIR")) {
    writer.write(std::filesystem::path(out_dir) / "writer_reference.gguf");
  }
}

TEST(GgufWriter, RoundTripsThroughTheReader) {
  GgufWriter writer;
  writer.add_string("general.architecture", "llama");
  writer.set_alignment(64);
  writer.add_int16("x.i16", -7);
  writer.add_array("x.i8s", std::vector<std::int8_t>{-1, 1});
  writer.add_array("x.u16s", std::vector<std::uint16_t>{9});
  writer.add_array("x.i16s", std::vector<std::int16_t>{-9});
  writer.add_array("x.u32s", std::vector<std::uint32_t>{7});
  writer.add_array("x.i64s", std::vector<std::int64_t>{-(1ll << 50)});
  const std::vector<std::string_view> views = {"tok", std::string_view("\0", 1)};
  writer.add_string_array("x.views", views);
  writer.add_array("x.empty", std::span<const float>());
  const auto w = ramp(7 * 4, 9);
  const auto q = ramp(4 * 144, 5);
  writer.add_tensor("blk.0.attn_q.weight", GgmlType::f32, {7, 1, 1, 1}, w);  // 4 dims
  writer.add_tensor("blk.0.ffn_up.weight", GgmlType::q4_k, {2, 512}, q);

  test::TempDir dir;
  const auto path = dir.path() / "round.gguf";
  writer.write(path);
  const GgufFile file = GgufFile::open(path);
  EXPECT_EQ(file.version(), 3u);
  EXPECT_EQ(file.alignment(), 64u);
  EXPECT_EQ(file.architecture(), "llama");
  EXPECT_EQ(file.metadata().get_int("x.i16"), -7);
  EXPECT_EQ(file.metadata().get_int_array("x.i8s"), (std::vector<std::int64_t>{-1, 1}));
  EXPECT_EQ(file.metadata().get_int_array("x.i64s"), (std::vector<std::int64_t>{-(1ll << 50)}));
  EXPECT_EQ(file.metadata().get_string_array("x.views")[1], std::string_view("\0", 1));
  EXPECT_EQ(file.metadata().get_float_array("x.empty").size(), 0u);
  const GgufTensorView& q_view = file.at("blk.0.ffn_up.weight");
  EXPECT_EQ(q_view.type, GgmlType::q4_k);
  EXPECT_EQ(q_view.shape, (std::vector<std::int64_t>{2, 512}));
  EXPECT_EQ(q_view.ne(), (std::vector<std::uint64_t>{512, 2}));
  EXPECT_EQ(q_view.element_count, 1024u);
  EXPECT_EQ(q_view.offset % 64, 0u);
  ASSERT_EQ(q_view.nbytes, q.size());
  EXPECT_EQ(std::memcmp(q_view.data, q.data(), q.size()), 0);
  EXPECT_EQ(file.at("blk.0.attn_q.weight").shape, (std::vector<std::int64_t>{7, 1, 1, 1}));
  EXPECT_EQ(file.tensors()[0].name, "blk.0.attn_q.weight");
}

TEST(GgufWriter, RejectsWhatLlamaCppCouldNotLoad) {
  GgufWriter writer;
  const auto bytes = ramp(64, 0);
  writer.add_uint8("k", 1);
  auto error = catch_error([&] { writer.add_int32("k", 2); });
  EXPECT_EQ(error.code, ErrorCode::invalid_argument);
  expect_mentions(error.message, {"'k'", "twice"});
  error = catch_error([&] { writer.add_int32("general.alignment", 64); });
  expect_mentions(error.message, {"general.alignment", "u32"});
  error = catch_error([&] { writer.set_alignment(48); });
  expect_mentions(error.message, {"48", "power of two"});
  error = catch_error([&] { writer.add_tensor(std::string(64, 'n'), GgmlType::f32, {16}, bytes); });
  expect_mentions(error.message, {"64 bytes", "63"});
  error = catch_error([&] {
    writer.add_tensor("w", GgmlType::f32, {4, 4}, std::span(bytes).first(60));
  });
  expect_mentions(error.message, {"'w'", "64 bytes", "60 given"});
  error = catch_error([&] { writer.add_tensor("w", GgmlType::q8_0, {2, 16}, bytes); });
  expect_mentions(error.message, {"Q8_0", "16", "multiple of 32"});
  error = catch_error([&] { writer.add_tensor("w", GgmlType::f32, {}, bytes); });
  expect_mentions(error.message, {"1 to 4 dimensions"});
  error = catch_error([&] { writer.add_tensor("w", GgmlType::f32, {1, 1, 1, 1, 16}, bytes); });
  expect_mentions(error.message, {"1 to 4 dimensions", "5"});
  error = catch_error([&] { writer.add_tensor("w", GgmlType::f32, {0, 16}, bytes); });
  expect_mentions(error.message, {"at least 1"});
  writer.add_tensor("w", GgmlType::f32, {16}, bytes);
  error = catch_error([&] { writer.add_tensor("w", GgmlType::f32, {16}, bytes); });
  expect_mentions(error.message, {"'w'", "twice"});
  error = catch_error([&] { writer.set_alignment(64); });
  expect_mentions(error.message, {"before adding tensors"});
}

TEST(GgufWriter, ProducerWritingTheWrongAmountLeavesNoFile) {
  test::TempDir dir;
  const auto path = dir.path() / "short.gguf";
  const auto bytes = ramp(16, 0);
  GgufWriter short_writer;
  short_writer.add_tensor("w", GgmlType::f32, {8}, [&](const GgufByteSink& sink) { sink(bytes); });
  auto error = catch_error([&] { short_writer.write(path); });
  EXPECT_EQ(error.code, ErrorCode::invalid_argument);
  expect_mentions(error.message, {"'w'", "wrote 16 of its 32 bytes"});
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "short.gguf.partial"));

  GgufWriter long_writer;
  long_writer.add_tensor("w", GgmlType::f32, {2}, [&](const GgufByteSink& sink) { sink(bytes); });
  error = catch_error([&] { long_writer.write(path); });
  expect_mentions(error.message, {"'w'", "more than its 8 bytes"});
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "short.gguf.partial"));

  error = catch_error([&] { long_writer.write(dir.path() / "missing_dir" / "x.gguf"); });
  EXPECT_EQ(error.code, ErrorCode::io_error);
  expect_mentions(error.message, {"missing_dir"});
}

}  // namespace
}  // namespace r1::io
