// r1 pull and the first run of a repo id that is not cached, against the fixture hub on loopback
// (HF_ENDPOINT), with the cache in a scratch folder (HF_HUB_CACHE).
#include <gtest/gtest.h>

#include <filesystem>

#include "cli/run_process.h"
#include "hub/fixture_hub.h"
#include "hub/hub_test_support.h"
#include "test_paths.h"

namespace r1::test {
namespace {

namespace fs = std::filesystem;

ProcessResult r1(std::vector<std::string> args) {
  args.insert(args.begin(), r1_binary().string());
  return run_process(args);
}

// sha256sum (coreutils), the reference for the etag of an LFS file.
std::string sha256sum(const fs::path& path) {
  const ProcessResult result = run_process({"/usr/bin/sha256sum", path.string()});
  if (result.exit_code != 0) throw std::runtime_error("sha256sum failed: " + result.err);
  return result.out.substr(0, 64);
}

// The environment of a machine that has never downloaded anything: the cache in a scratch
// folder, the hub at the fixture, no token, online.
struct CliHubEnvironment {
  CliHubEnvironment(const FixtureHub& fixture, const fs::path& cache) {
    environment.set("HF_ENDPOINT", fixture.endpoint());
    environment.set("HF_HUB_CACHE", cache.string());
    environment.set("HF_TOKEN_PATH", (cache / "no-token").string());
    environment.unset("HF_TOKEN");
    environment.unset("HF_HUB_OFFLINE");
    environment.unset("http_proxy");
    environment.unset("https_proxy");
    environment.unset("HTTPS_PROXY");
    environment.unset("ALL_PROXY");
  }
  ScopedEnvironment environment;
};

bool has_control_characters(const std::string& text) {
  for (char c : text) {
    if (c == '\r' || c == '\x1b') return true;
  }
  return false;
}

TEST(CliPull, DownloadsTheRepoAndPrintsTheSnapshot) {
  FixtureHub fixture(kRepo, kCommit, fixture_files());
  const fs::path cache = scratch_dir("cli_pull_all");
  CliHubEnvironment environment(fixture, cache);
  const ProcessResult result = r1({"pull", kRepo});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const fs::path snapshot = cache / "models--fixture-org--tiny-model" / "snapshots" / kCommit;
  EXPECT_EQ(result.out, snapshot.string() + "\n");
  for (const FixtureFile& file : fixture_files()) {
    EXPECT_EQ(read_file(snapshot / file.path), file.content) << file.path;
  }
  EXPECT_EQ(read_file(cache / "models--fixture-org--tiny-model" / "refs" / "main"), kCommit);
  // Not a terminal: plain progress lines, no \r redraws or colours.
  EXPECT_NE(result.err.find("downloading model.safetensors (300 kB)"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("model.safetensors: done"), std::string::npos) << result.err;
  EXPECT_FALSE(has_control_characters(result.err)) << result.err;
  EXPECT_NE(result.err.find("4 files downloaded, 0 already in the cache"), std::string::npos) << result.err;

  // Again: nothing is downloaded.
  fixture.clear_requests();
  const ProcessResult again = r1({"pull", kRepo});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("0 files downloaded, 4 already in the cache"), std::string::npos) << again.err;
  EXPECT_EQ(fixture.count("GET", "/cdn/"), 0u);
}

TEST(CliPull, GoesThroughTheProxyTheEnvironmentNames) {
  // The hub's name does not resolve; only the proxy (the fixture) can answer for it.
  FixtureHub fixture(kRepo, kCommit, fixture_files());
  const fs::path cache = scratch_dir("cli_pull_proxy");
  CliHubEnvironment environment(fixture, cache);
  environment.environment.set("HF_ENDPOINT", "http://hub.invalid");
  environment.environment.set("http_proxy", fixture.endpoint());
  const ProcessResult result = r1({"pull", kRepo, "--include", "*.json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(read_file(cache / "models--fixture-org--tiny-model" / "snapshots" / kCommit / "config.json"),
            fixture_files()[0].content);
  const auto requests = fixture.requests();
  ASSERT_FALSE(requests.empty());
  for (const SeenRequest& request : requests) EXPECT_EQ(request.proxied_host, "hub.invalid") << request.path;
}

TEST(CliPull, IncludeTakesSeveralGlobs) {
  FixtureHub fixture(kRepo, kCommit, fixture_files());
  const fs::path cache = scratch_dir("cli_pull_include");
  CliHubEnvironment environment(fixture, cache);
  const ProcessResult result = r1({"pull", kRepo, "--include", "config.json", "nested/*", "--revision", "main"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const fs::path snapshot = cache / "models--fixture-org--tiny-model" / "snapshots" / kCommit;
  EXPECT_TRUE(fs::exists(snapshot / "config.json"));
  EXPECT_TRUE(fs::exists(snapshot / "nested/dir/extra.bin"));
  EXPECT_FALSE(fs::exists(snapshot / "tokenizer.json"));
  EXPECT_FALSE(fs::exists(snapshot / "model.safetensors"));
}

TEST(CliPull, ADroppedDownloadIsResumedAndErrorsExitNonZero) {
  FixtureHub fixture(kRepo, kCommit, fixture_files());
  const fs::path cache = scratch_dir("cli_pull_errors");
  CliHubEnvironment environment(fixture, cache);
  fixture.drop_once_after[kWeightsSha256] = 64000;
  const ProcessResult resumed = r1({"pull", kRepo, "--include", "*.safetensors"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("resumes at byte 64000"), std::string::npos) << resumed.err;
  EXPECT_EQ(read_file(cache / "models--fixture-org--tiny-model" / "snapshots" / kCommit / "model.safetensors"),
            weights_content());

  const ProcessResult missing = r1({"pull", "fixture-org/no-such-model"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("repo fixture-org/no-such-model not found"), std::string::npos) << missing.err;
  const ProcessResult usage = r1({"pull", "not-a-repo-id"});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_NE(usage.err.find("expected ORG/NAME"), std::string::npos) << usage.err;
}

// A tiny random Qwen2 checkpoint served as a hub repo, plus a pytorch_model.bin duplicate.
std::vector<FixtureFile> random_model_files(const fs::path& folder) {
  const ProcessResult made = r1({"make-random-model", "--preset", "qwen2-tiny", "--dtype", "bf16",
                                 "--seed", "3", "--out", folder.string()});
  if (made.exit_code != 0) throw std::runtime_error("make-random-model failed: " + made.err);
  std::vector<FixtureFile> files;
  int plain = 0;
  for (const auto& entry : fs::directory_iterator(folder)) {
    const std::string name = entry.path().filename().string();
    FixtureFile file{name, read_file(entry.path()), name.ends_with(".safetensors"), ""};
    file.etag = file.lfs ? sha256sum(entry.path()) : "b10b" + std::string(34, '0') + std::to_string(10 + plain++);
    files.push_back(std::move(file));
  }
  files.push_back({"pytorch_model.bin", extra_content(), true, kExtraSha256});
  return files;
}

constexpr const char* kRandomRepo = "fixture-org/tiny-random";

TEST(CliRun, PullsAMissingRepoIdFirstThenRunsFromTheCache) {
  const fs::path root = scratch_dir("cli_run_pull");
  FixtureHub fixture(kRandomRepo, kCommit, random_model_files(root / "made"));
  const fs::path cache = root / "cache";
  CliHubEnvironment environment(fixture, cache);
  const std::vector<std::string> run = {"run",          "--model", kRandomRepo, "--prompt", "Hello",
                                        "--max-tokens", "3",       "--raw",      "--temperature", "0"};
  const ProcessResult first = r1(run);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.err.find("fixture-org/tiny-random is not in the Hugging Face cache"), std::string::npos)
      << first.err;
  EXPECT_NE(first.err.find("downloading model.safetensors"), std::string::npos) << first.err;
  const fs::path snapshot = cache / "models--fixture-org--tiny-random" / "snapshots" / kCommit;
  EXPECT_TRUE(fs::is_symlink(snapshot / "model.safetensors"));
  EXPECT_FALSE(fs::exists(snapshot / "pytorch_model.bin"));  // a duplicate of the safetensors weights

  // Cached now: the second run does not touch the network.
  fixture.clear_requests();
  const ProcessResult second = r1(run);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.out, first.out);
  EXPECT_TRUE(fixture.requests().empty());
}

TEST(CliRun, OfflineRefusesToDownloadAndSaysHow) {
  FixtureHub fixture(kRepo, kCommit, fixture_files());
  const fs::path cache = scratch_dir("cli_run_offline");
  CliHubEnvironment environment(fixture, cache);
  const ProcessResult flag = r1({"run", "--model", kRepo, "--prompt", "Hi", "--offline"});
  EXPECT_EQ(flag.exit_code, 1);
  EXPECT_NE(flag.err.find("--offline was given"), std::string::npos) << flag.err;
  EXPECT_NE(flag.err.find("r1 pull fixture-org/tiny-model"), std::string::npos) << flag.err;

  environment.environment.set("HF_HUB_OFFLINE", "1");
  const ProcessResult variable =
      r1({"serve", "--model", kRepo, "--port", "0", "--data-dir", (cache / "data").string()});
  EXPECT_EQ(variable.exit_code, 1);
  EXPECT_NE(variable.err.find("HF_HUB_OFFLINE is set"), std::string::npos) << variable.err;
  EXPECT_TRUE(fixture.requests().empty());
}

TEST(CliTokenize, AnExistingFolderIsNeverPulled) {
  FixtureHub fixture(kRepo, kCommit, fixture_files());
  const fs::path cache = scratch_dir("cli_folder_no_pull");
  CliHubEnvironment environment(fixture, cache);
  const ProcessResult result = r1({"tokenize", "--model", deepseek_model_dir().string(), "--text", "Hi"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(fixture.requests().empty());
}

}  // namespace
}  // namespace r1::test
