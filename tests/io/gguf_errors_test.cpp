// GgufFile on malformed bytes built field by field: each case is one bug class of the GGUF CVEs
// (CVE-2024-21802, -21825, -21836, -23496, -23605: unchecked lengths and counts, size overflows,
// out-of-bounds offsets) or one rule of the format. Each asserts the error code and the key part
// of the message; none may crash or allocate what the file does not hold.
#include <gtest/gtest.h>

#include "gguf_test_support.h"
#include "io/gguf.h"
#include "io/gguf_cursor.h"

namespace r1::io {
namespace {

using test::expect_mentions;
using test::gguf_error;
using test::GgufBytes;
using test::parse_gguf;
using V = GgufValueType;

constexpr std::uint64_t kMax64 = ~std::uint64_t{0};

// A valid file: two pairs, tensor "a" (F32 [4]) at 0 and "b" (Q8_0 [1, 32]) at 32. It ends exactly
// at b's last byte, so every shorter prefix lacks something the file needs.
GgufBytes valid_file() {
  GgufBytes b;
  b.header(2, 2);
  b.key("general.architecture", V::string).str("qwen2");
  b.key("general.alignment", V::u32).u32(32);
  b.tensor("a", {4}, GgmlType::f32, 0);
  b.tensor("b", {32, 1}, GgmlType::q8_0, 32);
  b.pad();
  b.fill(16, '\x01').fill(16, '\0').fill(34, '\x02');
  return b;
}

// Header + one key whose value is built by `value`.
template <typename Value>
std::string one_key(V type, Value&& value) {
  GgufBytes b;
  b.header(0, 1).key("k", type);
  value(b);
  return b.bytes;
}

// One tensor info with the given fields and `data` bytes of data section.
std::string one_tensor(std::vector<std::uint64_t> ne, std::uint32_t type, std::uint64_t offset,
                       std::size_t data, std::string_view name = "w") {
  GgufBytes b;
  b.header(1, 0);
  b.str(name).u32(static_cast<std::uint32_t>(ne.size()));
  for (std::uint64_t d : ne) b.u64(d);
  b.u32(type).u64(offset).pad().fill(data);
  return b.bytes;
}

TEST(GgufErrors, ValidBaseFileParses) {
  const GgufFile file = parse_gguf(valid_file().bytes);
  ASSERT_EQ(file.tensors().size(), 2u);
  EXPECT_EQ(file.at("b").shape, (std::vector<std::int64_t>{1, 32}));
  EXPECT_EQ(file.at("b").nbytes, 34u);
  EXPECT_EQ(test::tensor_bytes(file.at("a")), std::string(16, '\x01'));
}

TEST(GgufErrors, EveryTruncationIsAnError) {
  const std::string bytes = valid_file().bytes;
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    const auto error = gguf_error(bytes.substr(0, size));
    ASSERT_TRUE(error.thrown) << "prefix of " << size << " bytes";
    EXPECT_EQ(error.code, ErrorCode::invalid_file) << size << ": " << error.message;
    expect_mentions(error.message, {"bad.gguf"});
  }
}

TEST(GgufErrors, WrongMagic) {
  std::string bytes = valid_file().bytes;
  bytes.replace(0, 4, "GGML");
  auto error = gguf_error(bytes);
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message, {"bad.gguf", "not a GGUF file", "'GGML'"});
  error = gguf_error("GG");
  expect_mentions(error.message, {"'GG'", "2 bytes"});
}

TEST(GgufErrors, VersionsOtherThanTwoAndThree) {
  for (std::uint32_t version : {1u, 4u, 0u, 77u}) {
    const auto error = gguf_error(GgufBytes().header(0, 0, version).bytes);
    EXPECT_EQ(error.code, ErrorCode::unsupported) << version;
    expect_mentions(error.message,
                    {"bad.gguf", "version " + std::to_string(version), "versions 2 and 3"});
  }
  GgufBytes big_endian;
  big_endian.raw("GGUF").raw(std::string("\0\0\0\x03", 4)).u64(0).u64(0);
  const auto error = gguf_error(big_endian.bytes);
  EXPECT_EQ(error.code, ErrorCode::unsupported);
  expect_mentions(error.message, {"big-endian", "version 3", "little-endian"});
}

TEST(GgufErrors, HugeCountsAreCheckedBeforeAllocating) {
  auto error = gguf_error(GgufBytes().header(0, 1ull << 63).fill(64).bytes);
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message, {"metadata count 9223372036854775808", "remain"});
  error = gguf_error(GgufBytes().header(kMax64, 0).fill(64).bytes);
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message, {"tensor count 18446744073709551615"});
  // Each count fits alone, together they do not.
  error = gguf_error(GgufBytes().header(2, 2).fill(80).bytes);
  expect_mentions(error.message, {"2 metadata pairs and 2 tensor infos"});
}

TEST(GgufErrors, HugeStringLengths) {
  // A key whose length is 2^64-1 (would wrap a naive `offset + length` check).
  auto error = gguf_error(GgufBytes().header(0, 1).u64(kMax64).fill(16).bytes);
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message, {"key of metadata pair 0", "18446744073709551615 bytes"});
  // A string value 100 bytes long with 10 bytes left.
  error = gguf_error(one_key(V::string, [](GgufBytes& b) { b.u64(100).fill(10); }));
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message, {"metadata key 'k'", "is 100 bytes but only 10 remain"});
  // A tensor name past the end.
  error = gguf_error(GgufBytes().header(1, 0).u64(1ull << 40).fill(40).bytes);
  expect_mentions(error.message, {"name of tensor 0", "1099511627776 bytes"});
  // A string element of a string array past the end.
  error = gguf_error(one_key(V::array, [](GgufBytes& b) {
    b.u32(static_cast<std::uint32_t>(V::string)).u64(2).str("ok").u64(kMax64);
  }));
  expect_mentions(error.message, {"metadata key 'k' element 1", "18446744073709551615"});
}

TEST(GgufErrors, ArrayCountTimesElementSizeOverflow) {
  // 2^61 + 1 u64 elements: × 8 wraps to 8 bytes in 64-bit arithmetic.
  auto error = gguf_error(one_key(V::array, [](GgufBytes& b) {
    b.u32(static_cast<std::uint32_t>(V::u64)).u64((1ull << 61) + 1).fill(16);
  }));
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message, {"array of 2305843009213693953 u64", "× 8 bytes"});
  // Strings: each needs at least its 8-byte length, checked before the vector is reserved.
  error = gguf_error(one_key(V::array, [](GgufBytes& b) {
    b.u32(static_cast<std::uint32_t>(V::string)).u64(1ull << 62).fill(64);
  }));
  expect_mentions(error.message, {"array of 4611686018427387904 string"});
  // Nested arrays: each needs at least 12 bytes.
  error = gguf_error(one_key(V::array, [](GgufBytes& b) {
    b.u32(static_cast<std::uint32_t>(V::array)).u64(100).fill(64);
  }));
  expect_mentions(error.message, {"array of 100 array", "× 12 bytes"});
}

TEST(GgufErrors, NestedArraysTooDeep) {
  const auto nested = [](int depth) {
    return one_key(V::array, [depth](GgufBytes& b) {
      for (int i = 1; i < depth; ++i) b.u32(static_cast<std::uint32_t>(V::array)).u64(1);
      b.u32(static_cast<std::uint32_t>(V::u8)).u64(1).u8(7);
    });
  };
  const GgufFile ok = parse_gguf(nested(kMaxGgufArrayDepth));
  EXPECT_EQ(ok.metadata().find("k")->type_text().size(),
            std::string("array of ").size() * kMaxGgufArrayDepth + 2);
  const auto error = gguf_error(nested(kMaxGgufArrayDepth + 1));
  EXPECT_EQ(error.code, ErrorCode::limit_exceeded);
  expect_mentions(error.message, {"metadata key 'k'", "9 deep", "at most 8"});
}

TEST(GgufErrors, BadValueTypesAndBools) {
  auto error = gguf_error(one_key(static_cast<V>(13), [](GgufBytes& b) { b.u64(0); }));
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message, {"metadata key 'k'", "value type 13", "0-12"});
  error = gguf_error(one_key(V::array, [](GgufBytes& b) { b.u32(99).u64(0); }));
  expect_mentions(error.message, {"value type 99"});
  error = gguf_error(one_key(V::boolean, [](GgufBytes& b) { b.u8(2); }));
  expect_mentions(error.message, {"bool with byte value 2"});
  error = gguf_error(one_key(V::array, [](GgufBytes& b) {
    b.u32(static_cast<std::uint32_t>(V::boolean)).u64(2).u8(1).u8(255);
  }));
  expect_mentions(error.message, {"element 1", "byte value 255"});
}

TEST(GgufErrors, DuplicateKeys) {
  GgufBytes b;
  b.header(0, 2).key("x", V::u8).u8(1).key("x", V::string).str("again");
  const auto error = gguf_error(b.bytes);
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message, {"'x'", "appears twice", "byte 38", "first at byte 24"});
}

TEST(GgufErrors, BadDimensionCounts) {
  for (std::uint32_t n_dims : {0u, 5u}) {
    const std::vector<std::uint64_t> ne(n_dims, 1);
    const auto error = gguf_error(one_tensor(ne, 0, 0, 64));
    EXPECT_EQ(error.code, ErrorCode::invalid_file);
    expect_mentions(error.message, {"tensor 'w'", "n_dims " + std::to_string(n_dims), "1 to 4"});
  }
}

TEST(GgufErrors, ZeroAndOverflowingDimensions) {
  auto error = gguf_error(one_tensor({4, 0}, 0, 0, 64));
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message, {"tensor 'w'", "ne[1] = 0"});
  error = gguf_error(one_tensor({1ull << 32, 1ull << 32}, 0, 0, 64));
  expect_mentions(error.message, {"[4294967296, 4294967296]", "overflows"});
  error = gguf_error(one_tensor({1ull << 62, 2}, 0, 0, 64));
  expect_mentions(error.message, {"overflows a 63-bit"});
  // Elements fit in 63 bits, bytes do not: 2^62 F64 elements are 2^65 bytes.
  error = gguf_error(one_tensor({1ull << 62}, 28, 0, 64));
  expect_mentions(error.message, {"F64", "overflows a 64-bit byte count"});
  error = gguf_error(one_tensor({48}, 8, 0, 64));
  expect_mentions(error.message, {"ne[0] = 48", "32-element block"});
}

TEST(GgufErrors, UnknownTypeIds) {
  auto error = gguf_error(one_tensor({4}, 1000, 0, 64));
  EXPECT_EQ(error.code, ErrorCode::unsupported);
  expect_mentions(error.message, {"bad.gguf", "tensor 'w'", "ggml type id 1000"});
  error = gguf_error(one_tensor({4}, 31, 0, 64));
  expect_mentions(error.message, {"Q4_0_4_4", "removed"});
}

TEST(GgufErrors, NamesTooLongOrRepeated) {
  auto error = gguf_error(one_tensor({4}, 0, 0, 64, std::string(64, 'n')));
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message, {"64-byte name", "at most 63"});
  EXPECT_NO_THROW(parse_gguf(one_tensor({4}, 0, 0, 64, std::string(63, 'n'))));
  GgufBytes b;
  b.header(2, 0).tensor("w", {4}, GgmlType::f32, 0).tensor("w", {4}, GgmlType::f32, 32);
  b.pad().fill(64);
  error = gguf_error(b.bytes);
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message, {"tensor 'w'", "appears twice", "first at byte 24"});
}

TEST(GgufErrors, OffsetsOutsideTheRulesOrTheFile) {
  auto error = gguf_error(one_tensor({4}, 0, 8, 64));
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message, {"data offset 8", "multiple of the alignment 32"});
  error = gguf_error(one_tensor({4}, 0, 1ull << 40, 64));
  expect_mentions(error.message, {"runs past the end", "64-byte data section"});
  // An aligned offset near 2^64 must not wrap offset + size around.
  error = gguf_error(one_tensor({4}, 0, kMax64 - 31, 64));
  expect_mentions(error.message, {"runs past the end"});
  error = gguf_error(one_tensor({32}, 0, 0, 127));
  expect_mentions(error.message, {"128 bytes at data offset 0", "127-byte data section"});
}

TEST(GgufErrors, OverlappingTensors) {
  GgufBytes b;
  b.header(2, 0).tensor("first", {16}, GgmlType::f32, 0).tensor("second", {4}, GgmlType::f32, 32);
  b.pad().fill(64);
  const auto error = gguf_error(b.bytes);
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message, {"'first' [0, 64)", "'second' [32, 48)", "overlap"});
}

TEST(GgufErrors, BadAlignment) {
  const auto with_alignment = [](V type, std::uint64_t value) {
    GgufBytes b;
    b.header(0, 1).key("general.alignment", type);
    type == V::u64 ? b.u64(value) : b.u32(static_cast<std::uint32_t>(value));
    return b.bytes;
  };
  for (std::uint64_t value : {0ull, 48ull}) {
    const auto error = gguf_error(with_alignment(V::u32, value));
    EXPECT_EQ(error.code, ErrorCode::invalid_file);
    expect_mentions(error.message,
                    {"general.alignment is " + std::to_string(value), "power of two"});
  }
  for (V type : {V::i32, V::u64}) {
    const auto error = gguf_error(with_alignment(type, 32));
    EXPECT_EQ(error.code, ErrorCode::invalid_file);
    expect_mentions(
        error.message,
        {std::string("general.alignment is ") + gguf_value_type_name(type), "must be u32"});
  }
  const GgufFile file = parse_gguf(with_alignment(V::u32, 8));
  EXPECT_EQ(file.alignment(), 8u);
  EXPECT_EQ(file.data_offset(), 64u);  // the 60-byte header rounded up to 8
}

TEST(GgufErrors, TensorNotAlignedToCustomAlignment) {
  GgufBytes b;
  b.header(1, 1).key("general.alignment", V::u32).u32(64);
  b.tensor("w", {4}, GgmlType::f32, 32).pad(64).fill(128);
  const auto error = gguf_error(b.bytes);
  expect_mentions(error.message, {"data offset 32", "alignment 64"});
}

TEST(GgufErrors, LargeVocabularyParses) {
  // The 1.5B model's vocabulary size, to keep the string-array path fast and allocation-checked.
  constexpr std::uint64_t kTokens = 151936;
  GgufBytes b;
  b.header(0, 1).key("tokenizer.ggml.tokens", V::array).u32(static_cast<std::uint32_t>(V::string));
  b.u64(kTokens);
  for (std::uint64_t i = 0; i < kTokens; ++i) b.str("t" + std::to_string(i));
  const GgufFile file = parse_gguf(b.bytes);
  const auto tokens = file.metadata().get_string_array("tokenizer.ggml.tokens");
  ASSERT_EQ(tokens.size(), kTokens);
  EXPECT_EQ(tokens[151935], "t151935");
}

}  // namespace
}  // namespace r1::io
