// The ggml type table against gguf-py's GGMLQuantizationType and GGML_QUANT_SIZES
// (tests/data/gguf/ggml_types.json, written by tools/reference/gen_gguf_cases.py).
#include "io/gguf_types.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "io_test_support.h"
#include "test_paths.h"

namespace r1::io {
namespace {

using nlohmann::json;

TEST(GgufTypes, TableMatchesGgufPy) {
  const json reference =
      json::parse(r1::test::read_file(r1::test::data_path("gguf/ggml_types.json")));
  const json& types = reference.at("types");
  ASSERT_GE(types.size(), 30u);
  std::set<std::uint32_t> reference_ids;
  for (const json& entry : types) {
    const auto id = entry.at("id").get<std::uint32_t>();
    reference_ids.insert(id);
    const GgmlTypeInfo* info = find_ggml_type(id);
    ASSERT_NE(info, nullptr) << "gguf-py type " << entry.dump() << " missing from r1's table";
    EXPECT_EQ(info->name, entry.at("name").get<std::string>()) << id;
    EXPECT_EQ(info->block_size, entry.at("block_size").get<std::uint32_t>()) << info->name;
    EXPECT_EQ(info->type_size, entry.at("type_size").get<std::uint32_t>()) << info->name;
    EXPECT_EQ(static_cast<std::uint32_t>(info->type), id);
    EXPECT_EQ(&ggml_type_info(info->type), info);
  }
  // Nothing in r1's table that gguf-py does not know.
  EXPECT_EQ(ggml_types().size(), types.size());
  for (const GgmlTypeInfo& info : ggml_types()) {
    EXPECT_EQ(reference_ids.count(static_cast<std::uint32_t>(info.type)), 1u) << info.name;
  }
}

TEST(GgufTypes, UnknownAndRemovedIdsAreClearErrors) {
  EXPECT_EQ(find_ggml_type(4), nullptr);
  EXPECT_EQ(find_ggml_type(1000), nullptr);
  auto error = test::catch_error([] { (void)ggml_type_from_id(1000, "m.gguf: tensor 'w'"); });
  EXPECT_EQ(error.code, ErrorCode::unsupported);
  test::expect_mentions(error.message, {"m.gguf: tensor 'w'", "1000", "newer ggml"});
  error = test::catch_error([] { (void)ggml_type_from_id(33, "m.gguf"); });
  EXPECT_EQ(error.code, ErrorCode::unsupported);
  test::expect_mentions(error.message, {"33", "Q4_0_8_8", "removed", "requantize"});
  EXPECT_EQ(ggml_type_from_id(8, "x"), GgmlType::q8_0);
}

TEST(GgufTypes, TensorBytesFollowTheBlockLayout) {
  const std::vector<std::uint64_t> q8 = {64, 3};
  EXPECT_EQ(ggml_tensor_bytes(GgmlType::q8_0, q8), 2u * 34u * 3u);
  const std::vector<std::uint64_t> q4k = {512, 2, 2};
  EXPECT_EQ(ggml_tensor_bytes(GgmlType::q4_k, q4k), 2u * 144u * 4u);
  const std::vector<std::uint64_t> f32 = {5};
  EXPECT_EQ(ggml_tensor_bytes(GgmlType::f32, f32), 20u);
  const std::vector<std::uint64_t> ragged = {48, 2};  // not a multiple of 32
  EXPECT_EQ(ggml_tensor_bytes(GgmlType::q8_0, ragged), std::nullopt);
  const std::vector<std::uint64_t> huge = {1ull << 40, 1ull << 30};  // 2^70 × 4 bytes
  EXPECT_EQ(ggml_tensor_bytes(GgmlType::f32, huge), std::nullopt);
}

}  // namespace
}  // namespace r1::io
