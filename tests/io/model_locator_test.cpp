// resolve_model over fake Hugging Face cache trees laid out as huggingface_hub documents them:
// <cache>/models--<org>--<name>/{refs/main, snapshots/<commit>/...}. The environment is a map
// passed in, so the process environment is never touched.
#include "io/model_locator.h"

#include <gtest/gtest.h>

#include <map>

#include "io_test_support.h"

namespace r1::io {
namespace {

namespace fs = std::filesystem;
using test::catch_error;
using test::expect_mentions;
using test::write_file;

constexpr const char* kRepo = "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B";
constexpr const char* kCommit = "ad9f0ae0864d7fbcd1cd905e3c6c5b069cc8b562";

EnvironmentLookup environment(std::map<std::string, std::string> variables) {
  return [variables = std::move(variables)](const std::string& name) -> std::optional<std::string> {
    const auto it = variables.find(name);
    if (it == variables.end()) return std::nullopt;
    return it->second;
  };
}

// Makes <hub>/models--deepseek-ai--DeepSeek-R1-Distill-Qwen-1.5B with one snapshot and, optionally,
// refs/main naming it. Returns the snapshot folder.
fs::path make_cached_model(const fs::path& hub, bool with_ref) {
  const fs::path repo = hub / "models--deepseek-ai--DeepSeek-R1-Distill-Qwen-1.5B";
  const fs::path snapshot = repo / "snapshots" / kCommit;
  write_file(snapshot / "config.json", "{}");
  if (with_ref) write_file(repo / "refs" / "main", std::string(kCommit) + "\n");
  return snapshot;
}

TEST(ModelLocator, AnExistingFolderIsUsedAsIs) {
  test::TempDir dir;
  EXPECT_EQ(resolve_model(dir.path().string(), environment({})), dir.path());
}

TEST(ModelLocator, FindsTheSnapshotNamedByRefsMainInHfHubCache) {
  test::TempDir dir;
  const fs::path snapshot = make_cached_model(dir.path() / "hub-cache", true);
  // A second, older snapshot must not confuse the choice.
  fs::create_directories(snapshot.parent_path() / "0123456789abcdef0123456789abcdef01234567");
  const auto env = environment({{"HF_HUB_CACHE", (dir.path() / "hub-cache").string()},
                                {"HF_HOME", (dir.path() / "elsewhere").string()},
                                {"HOME", (dir.path() / "home").string()}});
  EXPECT_EQ(resolve_model(kRepo, env), snapshot);
}

TEST(ModelLocator, UsesHfHomeHubWhenHfHubCacheIsUnset) {
  test::TempDir dir;
  const fs::path snapshot = make_cached_model(dir.path() / "hf-home" / "hub", true);
  const auto env = environment(
      {{"HF_HOME", (dir.path() / "hf-home").string()}, {"HOME", (dir.path() / "home").string()}});
  EXPECT_EQ(resolve_model(kRepo, env), snapshot);
}

TEST(ModelLocator, FallsBackToTheHomeCache) {
  test::TempDir dir;
  const fs::path snapshot =
      make_cached_model(dir.path() / "home" / ".cache" / "huggingface" / "hub", true);
  EXPECT_EQ(resolve_model(kRepo, environment({{"HOME", (dir.path() / "home").string()}})),
            snapshot);
}

TEST(ModelLocator, ExpandsTildeInHfHome) {
  test::TempDir dir;
  const fs::path snapshot = make_cached_model(dir.path() / "hf" / "hub", true);
  const auto env = environment({{"HF_HOME", "~/hf"}, {"HOME", dir.path().string()}});
  EXPECT_EQ(resolve_model(kRepo, env), snapshot);
}

TEST(ModelLocator, UsesTheOnlySnapshotWhenRefsMainIsMissing) {
  test::TempDir dir;
  const fs::path snapshot = make_cached_model(dir.path(), false);
  EXPECT_EQ(resolve_model(kRepo, environment({{"HF_HUB_CACHE", dir.path().string()}})), snapshot);
}

TEST(ModelLocator, CacheDirPrecedence) {
  EXPECT_EQ(hf_hub_cache_dir(environment({{"HF_HUB_CACHE", "/a"}, {"HF_HOME", "/b"}})),
            fs::path("/a"));
  EXPECT_EQ(hf_hub_cache_dir(environment({{"HF_HOME", "/b"}, {"HOME", "/h"}})), fs::path("/b/hub"));
  EXPECT_EQ(hf_hub_cache_dir(environment({{"XDG_CACHE_HOME", "/x"}, {"HOME", "/h"}})),
            fs::path("/x/huggingface/hub"));
  EXPECT_EQ(hf_hub_cache_dir(environment({{"HOME", "/h"}})), fs::path("/h/.cache/huggingface/hub"));
  EXPECT_FALSE(hf_hub_cache_dir(environment({})).has_value());
}

TEST(ModelLocatorErrors, MissingModelListsThePlacesSearchedAndHowToDownload) {
  test::TempDir dir;
  const auto env = environment({{"HF_HUB_CACHE", dir.path().string()}});
  const auto error = catch_error([&] { (void)resolve_model(kRepo, env); });
  EXPECT_EQ(error.code, ErrorCode::not_found);
  const fs::path repo = dir.path() / "models--deepseek-ai--DeepSeek-R1-Distill-Qwen-1.5B";
  expect_mentions(error.message,
                  {std::string(kRepo) + " as a folder", (repo / "refs" / "main").string(),
                   (repo / "snapshots").string(), std::string("huggingface-cli download ") + kRepo,
                   std::string("r1 pull ") + kRepo});
}

TEST(ModelLocatorErrors, RefsMainNamingAMissingSnapshot) {
  test::TempDir dir;
  const fs::path repo = dir.path() / "models--deepseek-ai--DeepSeek-R1-Distill-Qwen-1.5B";
  write_file(repo / "refs" / "main", "feedface");
  const auto error = catch_error([&] {
    (void)resolve_model(kRepo, environment({{"HF_HUB_CACHE", dir.path().string()}}));
  });
  EXPECT_EQ(error.code, ErrorCode::not_found);
  expect_mentions(error.message, {(repo / "snapshots" / "feedface").string(), "huggingface-cli"});
}

TEST(ModelLocatorErrors, SeveralSnapshotsWithoutRefsMain) {
  test::TempDir dir;
  const fs::path snapshot = make_cached_model(dir.path(), false);
  fs::create_directories(snapshot.parent_path() / "other");
  const auto error = catch_error([&] {
    (void)resolve_model(kRepo, environment({{"HF_HUB_CACHE", dir.path().string()}}));
  });
  EXPECT_EQ(error.code, ErrorCode::not_found);
  expect_mentions(error.message, {"2 snapshots"});
}

TEST(ModelLocatorErrors, NeitherFolderNorRepoId) {
  const auto error = catch_error([] {
    (void)resolve_model("/no/such/folder/at/all", environment({{"HOME", "/h"}}));
  });
  EXPECT_EQ(error.code, ErrorCode::not_found);
  expect_mentions(error.message, {"/no/such/folder/at/all", "org/name"});
}

TEST(ModelLocatorErrors, NoCacheLocation) {
  const auto error = catch_error([] { (void)resolve_model(kRepo, environment({})); });
  EXPECT_EQ(error.code, ErrorCode::not_found);
  expect_mentions(error.message, {"HF_HUB_CACHE", "HOME", "huggingface-cli download"});
}

TEST(ModelLocatorErrors, AFileIsNotAModel) {
  test::TempDir dir;
  write_file(dir.path() / "config.json", "{}");
  const auto error = catch_error(
      [&] { (void)resolve_model((dir.path() / "config.json").string(), environment({})); });
  EXPECT_EQ(error.code, ErrorCode::invalid_argument);
  expect_mentions(error.message, {"config.json", "folder"});
}

}  // namespace
}  // namespace r1::io
