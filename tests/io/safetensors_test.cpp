// SafetensorsFile against hand-built files: the bytes below are laid out by the format's definition
// (u64 LE header length, JSON header, data area), so the expected views follow from the inputs.
#include "io/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>

#include "io_test_support.h"

namespace r1::io {
namespace {

using nlohmann::json;
using test::as_bytes;
using test::build_safetensors;
using test::byte_ramp;
using test::catch_error;
using test::CaughtError;
using test::expect_mentions;
using test::frame_safetensors;
using test::RawTensor;

std::string view_bytes(const TensorView& view) {
  return std::string(reinterpret_cast<const char*>(view.data), view.nbytes);
}

std::vector<RawTensor> three_tensors() {
  return {
      {"model.embed_tokens.weight", "F32", {2, 3}, byte_ramp(24, 0), std::nullopt},
      {"model.norm.weight", "BF16", {4}, byte_ramp(8, 100), std::nullopt},
      {"scale", "F16", json::array(), byte_ramp(2, 200), std::nullopt},
  };
}

void expect_three_tensors(const SafetensorsFile& file) {
  ASSERT_EQ(file.tensors().size(), 3u);
  // File order is ascending data offset, the order the specs were appended in.
  EXPECT_EQ(file.tensors()[0].name, "model.embed_tokens.weight");
  EXPECT_EQ(file.tensors()[1].name, "model.norm.weight");
  EXPECT_EQ(file.tensors()[2].name, "scale");

  const TensorView& embed = file.at("model.embed_tokens.weight");
  EXPECT_EQ(embed.dtype, DType::f32);
  EXPECT_EQ(embed.shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(embed.nbytes, 24u);
  EXPECT_EQ(embed.element_count(), 6u);
  EXPECT_EQ(view_bytes(embed), byte_ramp(24, 0));

  const TensorView* norm = file.find("model.norm.weight");
  ASSERT_NE(norm, nullptr);
  EXPECT_EQ(norm->dtype, DType::bf16);
  EXPECT_EQ(norm->shape, (std::vector<std::int64_t>{4}));
  EXPECT_EQ(view_bytes(*norm), byte_ramp(8, 100));

  const TensorView& scale = file.at("scale");
  EXPECT_EQ(scale.dtype, DType::f16);
  EXPECT_TRUE(scale.shape.empty());
  EXPECT_EQ(scale.element_count(), 1u);
  EXPECT_EQ(view_bytes(scale), byte_ramp(2, 200));

  EXPECT_EQ(file.find("missing"), nullptr);
}

TEST(Safetensors, ParsesNamesShapesDtypesBytesAndMetadata) {
  const std::string bytes = build_safetensors(three_tensors(), {{"format", "pt"}});
  const SafetensorsFile file = SafetensorsFile::parse(as_bytes(bytes), "mem.safetensors");
  expect_three_tensors(file);
  EXPECT_EQ(file.metadata().at("format"), "pt");
  EXPECT_EQ(file.metadata().size(), 1u);
  // Views point into the caller's bytes: nothing was copied.
  const auto* first_data = reinterpret_cast<const char*>(file.at("model.embed_tokens.weight").data);
  EXPECT_GE(first_data, bytes.data());
  EXPECT_LT(first_data, bytes.data() + bytes.size());
}

TEST(Safetensors, OpenMapsTheFileAndViewsSurviveMoves) {
  test::TempDir dir;
  const auto path = dir.path() / "model.safetensors";
  test::write_file(path, build_safetensors(three_tensors()));
  SafetensorsFile opened = SafetensorsFile::open(path);
  const SafetensorsFile moved = std::move(opened);
  expect_three_tensors(moved);
  EXPECT_TRUE(moved.metadata().empty());
  EXPECT_EQ(moved.origin(), path.string());
}

TEST(Safetensors, AtNamesTheFileAndTensorWhenMissing) {
  const std::string bytes = build_safetensors(three_tensors());
  const SafetensorsFile file = SafetensorsFile::parse(as_bytes(bytes), "mem.safetensors");
  const auto error = catch_error([&] { (void)file.at("lm_head.weight"); });
  EXPECT_EQ(error.code, ErrorCode::not_found);
  expect_mentions(error.message, {"mem.safetensors", "lm_head.weight"});
}

TEST(Safetensors, AcceptsEmptyTensorsAndHeaderPadding) {
  // An empty tensor occupies no bytes, so sharing an offset with another tensor is no overlap.
  std::string header =
      json{{"empty", {{"dtype", "F32"}, {"shape", {0, 5}}, {"data_offsets", {4, 4}}}},
           {"x", {{"dtype", "F32"}, {"shape", {1}}, {"data_offsets", {0, 4}}}}}
          .dump();
  header += "    ";  // Writers pad the header with spaces to align the data area.
  const std::string bytes = frame_safetensors(header.size(), header, byte_ramp(4, 1));
  const SafetensorsFile file = SafetensorsFile::parse(as_bytes(bytes), "mem");
  EXPECT_EQ(file.at("empty").nbytes, 0u);
  EXPECT_EQ(file.at("empty").element_count(), 0u);
  EXPECT_EQ(view_bytes(file.at("x")), byte_ramp(4, 1));
}

CaughtError parse_error(const std::string& bytes) {
  return catch_error([&] { (void)SafetensorsFile::parse(as_bytes(bytes), "bad.safetensors"); });
}

std::string one_tensor(const std::string& dtype, const json& shape, const json& offsets,
                       std::size_t data_bytes) {
  return build_safetensors({{"w", dtype, shape, byte_ramp(data_bytes, 0), offsets}});
}

TEST(SafetensorsErrors, SevenByteFile) {
  const auto error = parse_error(std::string(7, '\0'));
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message, {"bad.safetensors", "7 bytes"});
}

TEST(SafetensorsErrors, HeaderLengthBeyondTheFile) {
  const std::string header = R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  const auto error = parse_error(frame_safetensors(header.size() + 10, header, ""));
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message, {"header length " + std::to_string(header.size() + 10),
                                  std::to_string(8 + header.size()) + "-byte file"});
}

TEST(SafetensorsErrors, HeaderLargerThan100MB) {
  const auto error = parse_error(frame_safetensors(100'000'001, "{}", ""));
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message, {"100000001", "100000000"});
  // A length of 2^64-1 must not wrap around in the bounds check either.
  EXPECT_EQ(parse_error(frame_safetensors(~std::uint64_t(0), "{}", "")).code,
            ErrorCode::invalid_file);
}

TEST(SafetensorsErrors, HeaderNotJson) {
  const std::string header = R"({"w": {"dtype": "F32", )";
  const auto error = parse_error(frame_safetensors(header.size(), header, ""));
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message, {"bad.safetensors", "not valid JSON"});
  EXPECT_EQ(parse_error(frame_safetensors(0, "", "")).code, ErrorCode::invalid_file);
}

TEST(SafetensorsErrors, HeaderNotAnObject) {
  const std::string header = "[1, 2]";
  const auto error = parse_error(frame_safetensors(header.size(), header, ""));
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message, {"JSON object", "array"});
}

TEST(SafetensorsErrors, DtypesR1DoesNotComputeWithAreUnsupported) {
  for (const std::string dtype : {"I8", "U8", "I32", "I64", "F64", "BOOL"}) {
    const std::size_t size = dtype == "I64" || dtype == "F64" ? 8 : dtype == "I32" ? 4 : 1;
    const auto error = parse_error(one_tensor(dtype, {2}, json{0, 2 * size}, 2 * size));
    EXPECT_EQ(error.code, ErrorCode::unsupported) << dtype;
    expect_mentions(error.message, {"'w'", "dtype " + dtype, "F32, F16, BF16"});
  }
  const auto unknown = parse_error(one_tensor("Q4_K", {2}, json{0, 2}, 2));
  EXPECT_EQ(unknown.code, ErrorCode::unsupported);
  expect_mentions(unknown.message, {"'w'", "Q4_K", "not a safetensors dtype"});
}

TEST(SafetensorsErrors, NegativeDimension) {
  const auto error = parse_error(one_tensor("F32", {2, -3}, json{0, 24}, 24));
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message, {"'w'", "dimension 1", "-3"});
}

TEST(SafetensorsErrors, NonIntegerDimensionOrShape) {
  EXPECT_EQ(parse_error(one_tensor("F32", {2.0}, json{0, 8}, 8)).code, ErrorCode::invalid_file);
  EXPECT_EQ(parse_error(one_tensor("F32", "2", json{0, 8}, 8)).code, ErrorCode::invalid_file);
}

TEST(SafetensorsErrors, ShapeDoesNotMatchByteLength) {
  const auto error = parse_error(one_tensor("BF16", {3, 4}, json{0, 20}, 20));
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message, {"'w'", "[3, 4]", "BF16", "needs 24 bytes", "[0, 20]", "hold 20"});
}

TEST(SafetensorsErrors, OffsetsOutsideTheDataArea) {
  const auto error = parse_error(one_tensor("F32", {4}, json{8, 24}, 16));
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message, {"'w'", "[8, 24]", "16-byte data area"});
}

TEST(SafetensorsErrors, BeginAfterEnd) {
  const auto error = parse_error(one_tensor("F32", {1}, json{8, 4}, 8));
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message, {"'w'", "begin 8", "end 4"});
}

TEST(SafetensorsErrors, MalformedDataOffsets) {
  for (const json& offsets :
       {json{0}, json{0, 4, 8}, json{-4, 0}, json{0.0, 4}, json("0,4"), json::object()}) {
    const auto error = parse_error(one_tensor("F32", {1}, offsets, 4));
    EXPECT_EQ(error.code, ErrorCode::invalid_file) << offsets.dump();
    expect_mentions(error.message, {"'w'", "data_offsets"});
  }
}

TEST(SafetensorsErrors, OverlappingTensors) {
  const std::string bytes = build_safetensors({
      {"a", "F32", {4}, byte_ramp(16, 0), json{0, 16}},
      {"b", "F32", {2}, "", json{12, 20}},
      {"c", "F32", {1}, byte_ramp(4, 0), json{16, 20}},
  });
  const auto error = parse_error(bytes);
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message, {"'a' [0, 16]", "'b' [12, 20]", "overlap"});
}

TEST(SafetensorsErrors, TruncatedFile) {
  const std::string whole = build_safetensors(three_tensors());
  const auto error = parse_error(whole.substr(0, whole.size() - 1));
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message, {"'scale'", "[32, 34]", "33-byte data area"});
}

TEST(SafetensorsErrors, HugeDimensionsOverflow) {
  const std::int64_t big = std::int64_t(1) << 62;
  const auto error = parse_error(one_tensor("F32", {big, big}, json{0, 16}, 16));
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message, {"'w'", std::to_string(big), "overflow"});
  // 2^62 elements of 4 bytes overflow even with a single dimension.
  EXPECT_EQ(parse_error(one_tensor("F32", {big}, json{0, 16}, 16)).code, ErrorCode::invalid_file);
  // A zero dimension makes the product 0 however large the others are.
  EXPECT_NO_THROW((void)SafetensorsFile::parse(
      as_bytes(one_tensor("F32", {big, big, 0}, json{0, 0}, 0)), "zero"));
}

TEST(SafetensorsErrors, MissingFieldsAndBadEntries) {
  const std::string no_dtype = R"({"w":{"shape":[1],"data_offsets":[0,4]}})";
  const auto missing_dtype =
      parse_error(frame_safetensors(no_dtype.size(), no_dtype, byte_ramp(4, 0)));
  EXPECT_EQ(missing_dtype.code, ErrorCode::invalid_file);
  expect_mentions(missing_dtype.message, {"'w'", "dtype"});
  const std::string not_object = R"({"w": 3})";
  EXPECT_EQ(parse_error(frame_safetensors(not_object.size(), not_object, "")).code,
            ErrorCode::invalid_file);
}

TEST(SafetensorsErrors, MetadataMustBeStrings) {
  const auto error = parse_error(build_safetensors(three_tensors(), {{"step", 3}}));
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message, {"__metadata__", "step"});
}

TEST(SafetensorsErrors, RepeatedTensorName) {
  const std::string header = R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                             R"("w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
  const auto error = parse_error(frame_safetensors(header.size(), header, byte_ramp(8, 0)));
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message, {"'w'", "twice"});
}

TEST(SafetensorsErrors, OpenNamesAMissingPath) {
  test::TempDir dir;
  const auto error =
      catch_error([&] { (void)SafetensorsFile::open(dir.path() / "nope.safetensors"); });
  EXPECT_EQ(error.code, ErrorCode::not_found);
  expect_mentions(error.message, {"nope.safetensors", "No such file"});
}

}  // namespace
}  // namespace r1::io
