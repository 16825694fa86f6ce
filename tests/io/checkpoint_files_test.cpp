// CheckpointFiles over hand-built single-file and sharded checkpoints in a temporary folder.
#include "io/checkpoint_files.h"

#include <gtest/gtest.h>

#include "io_test_support.h"

namespace r1::io {
namespace {

using nlohmann::json;
using test::build_safetensors;
using test::byte_ramp;
using test::catch_error;
using test::expect_mentions;
using test::write_file;

std::string shard_one() {
  return build_safetensors(
      {{"model.embed_tokens.weight", "F32", {2, 2}, byte_ramp(16, 0), {}},
       {"model.layers.0.mlp.up_proj.weight", "BF16", {2}, byte_ramp(4, 50), {}}});
}

std::string shard_two() {
  return build_safetensors({{"lm_head.weight", "F16", {3}, byte_ramp(6, 90), {}},
                            {"model.norm.weight", "F32", {1}, byte_ramp(4, 120), {}}});
}

json two_shard_index() {
  return {{"metadata", {{"total_size", 30}}},
          {"weight_map",
           {{"model.embed_tokens.weight", "model-00001-of-00002.safetensors"},
            {"model.layers.0.mlp.up_proj.weight", "model-00001-of-00002.safetensors"},
            {"lm_head.weight", "model-00002-of-00002.safetensors"},
            {"model.norm.weight", "model-00002-of-00002.safetensors"}}}};
}

void write_sharded(const std::filesystem::path& folder, const json& index) {
  write_file(folder / "model.safetensors.index.json", index.dump(2));
  write_file(folder / "model-00001-of-00002.safetensors", shard_one());
  write_file(folder / "model-00002-of-00002.safetensors", shard_two());
}

TEST(CheckpointFiles, OpensASingleFile) {
  test::TempDir dir;
  write_file(dir.path() / "model.safetensors", shard_one());
  const CheckpointFiles checkpoint = CheckpointFiles::open(dir.path());
  EXPECT_EQ(checkpoint.files().size(), 1u);
  EXPECT_EQ(checkpoint.tensors().size(), 2u);
  EXPECT_EQ(checkpoint.at("model.embed_tokens.weight").shape, (std::vector<std::int64_t>{2, 2}));
}

TEST(CheckpointFiles, FindsTensorsAcrossShards) {
  test::TempDir dir;
  write_sharded(dir.path(), two_shard_index());
  const CheckpointFiles checkpoint = CheckpointFiles::open(dir.path());
  EXPECT_EQ(checkpoint.files().size(), 2u);
  const std::vector<const TensorView*> all = checkpoint.tensors();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0]->name, "lm_head.weight");
  EXPECT_EQ(all[3]->name, "model.norm.weight");
  const TensorView& head = checkpoint.at("lm_head.weight");
  EXPECT_EQ(head.dtype, DType::f16);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(head.data), head.nbytes), byte_ramp(6, 90));
  EXPECT_EQ(checkpoint.at("model.layers.0.mlp.up_proj.weight").dtype, DType::bf16);
  EXPECT_EQ(checkpoint.find("model.layers.1.mlp.up_proj.weight"), nullptr);
  const auto missing = catch_error([&] { (void)checkpoint.at("nope"); });
  EXPECT_EQ(missing.code, ErrorCode::not_found);
  expect_mentions(missing.message, {"'nope'", dir.path().string()});
}

TEST(CheckpointFiles, PrefersTheSingleFileOverAnIndexLikeTransformers) {
  test::TempDir dir;
  write_sharded(dir.path(), two_shard_index());
  write_file(dir.path() / "model.safetensors", shard_one());
  const CheckpointFiles checkpoint = CheckpointFiles::open(dir.path());
  EXPECT_EQ(checkpoint.files().size(), 1u);
  EXPECT_EQ(checkpoint.find("lm_head.weight"), nullptr);
}

TEST(CheckpointFiles, ViewsSurviveMovingTheCheckpoint) {
  test::TempDir dir;
  write_sharded(dir.path(), two_shard_index());
  CheckpointFiles opened = CheckpointFiles::open(dir.path());
  const CheckpointFiles moved = std::move(opened);
  const TensorView& norm = moved.at("model.norm.weight");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(norm.data), norm.nbytes), byte_ramp(4, 120));
}

TEST(CheckpointFilesErrors, NoWeightsAtAll) {
  test::TempDir dir;
  const auto error = catch_error([&] { (void)CheckpointFiles::open(dir.path()); });
  EXPECT_EQ(error.code, ErrorCode::not_found);
  expect_mentions(error.message,
                  {dir.path().string(), "model.safetensors", "model.safetensors.index.json"});
}

TEST(CheckpointFilesErrors, MissingShard) {
  test::TempDir dir;
  write_sharded(dir.path(), two_shard_index());
  std::filesystem::remove(dir.path() / "model-00002-of-00002.safetensors");
  const auto error = catch_error([&] { (void)CheckpointFiles::open(dir.path()); });
  EXPECT_EQ(error.code, ErrorCode::not_found);
  expect_mentions(error.message, {"model-00002-of-00002.safetensors", "missing"});
}

TEST(CheckpointFilesErrors, IndexedTensorAbsentFromItsShard) {
  test::TempDir dir;
  json index = two_shard_index();
  index["weight_map"]["model.layers.1.self_attn.q_proj.weight"] =
      "model-00002-of-00002.safetensors";
  write_sharded(dir.path(), index);
  const auto error = catch_error([&] { (void)CheckpointFiles::open(dir.path()); });
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message,
                  {"'model.layers.1.self_attn.q_proj.weight'", "model-00002-of-00002.safetensors"});
}

TEST(CheckpointFilesErrors, TensorListedUnderTheWrongShard) {
  test::TempDir dir;
  json index = two_shard_index();
  index["weight_map"]["lm_head.weight"] = "model-00001-of-00002.safetensors";
  write_sharded(dir.path(), index);
  const auto error = catch_error([&] { (void)CheckpointFiles::open(dir.path()); });
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message, {"'lm_head.weight'", "model-00001-of-00002.safetensors"});
}

TEST(CheckpointFilesErrors, TensorInTwoShards) {
  test::TempDir dir;
  write_sharded(dir.path(), two_shard_index());
  write_file(dir.path() / "model-00002-of-00002.safetensors",
             build_safetensors({{"lm_head.weight", "F16", {3}, byte_ramp(6, 90), {}},
                                {"model.norm.weight", "F32", {1}, byte_ramp(4, 120), {}},
                                {"model.embed_tokens.weight", "F32", {1}, byte_ramp(4, 7), {}}}));
  const auto error = catch_error([&] { (void)CheckpointFiles::open(dir.path()); });
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message,
                  {"'model.embed_tokens.weight'", "two shards", "model-00001-of-00002.safetensors",
                   "model-00002-of-00002.safetensors"});
}

TEST(CheckpointFilesErrors, MalformedIndex) {
  test::TempDir dir;
  write_sharded(dir.path(), two_shard_index());
  const auto index_path = dir.path() / "model.safetensors.index.json";
  const auto open_error = [&] {
    return catch_error([&] { (void)CheckpointFiles::open(dir.path()); });
  };

  write_file(index_path, "{\"weight_map\": ");
  EXPECT_EQ(open_error().code, ErrorCode::invalid_file);
  write_file(index_path, R"({"metadata": {}})");
  auto error = open_error();
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message, {"weight_map"});
  write_file(index_path, R"({"weight_map": {"w": "../outside.safetensors"}})");
  error = open_error();
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message, {"'w'", "../outside.safetensors"});
  write_file(index_path, R"({"weight_map": {"w": 3}})");
  EXPECT_EQ(open_error().code, ErrorCode::invalid_file);
}

TEST(CheckpointFilesErrors, ShardErrorsPassThrough) {
  test::TempDir dir;
  write_sharded(dir.path(), two_shard_index());
  write_file(dir.path() / "model-00001-of-00002.safetensors", "short");
  const auto error = catch_error([&] { (void)CheckpointFiles::open(dir.path()); });
  EXPECT_EQ(error.code, ErrorCode::invalid_file);
  expect_mentions(error.message, {"model-00001-of-00002.safetensors", "5 bytes"});
}

}  // namespace
}  // namespace r1::io
