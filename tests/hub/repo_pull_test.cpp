// r1 pull against the fixture hub: the cache layout huggingface_hub writes (blobs/<etag>,
// relative snapshot links, refs/main), skipping cached files, resuming, retries, and the errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "hub/cache_layout.h"
#include "hub/hub_test_support.h"
#include "hub/repo_pull.h"
#include "io/model_locator.h"
#include "r1/error.h"
#include "test_paths.h"

namespace r1::test {
namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& path) { return read_file(path); }

struct PullFixture : ::testing::Test {
  FixtureHub fixture{kRepo, kCommit, fixture_files()};
  fs::path cache = scratch_dir("hub_pull_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
  fs::path repo_folder = cache / "models--fixture-org--tiny-model";
  std::vector<std::string> notices;

  hub::PullResult pull(hub::PullOptions options, hub::HubSettings settings) {
    hub::HubConnection hub(std::move(settings), quick_retries(),
                           [this](const std::string& line) { notices.push_back(line); });
    const auto progress = hub::make_silent_progress();
    return hub::pull_repo(hub, options, *progress);
  }
  hub::PullResult pull(hub::PullOptions options = {}) {
    if (options.repo.empty()) options.repo = kRepo;
    return pull(std::move(options), fixture_settings(fixture, cache));
  }
  std::string error_of(hub::PullOptions options, hub::HubSettings settings) {
    if (options.repo.empty()) options.repo = kRepo;
    try {
      pull(std::move(options), std::move(settings));
    } catch (const Error& error) {
      return error.what();
    }
    return "(no error)";
  }
  std::string error_of(hub::PullOptions options = {}) {
    return error_of(std::move(options), fixture_settings(fixture, cache));
  }
};

TEST_F(PullFixture, WritesTheHuggingFaceCacheLayout) {
  const hub::PullResult result = pull();
  const fs::path snapshot = repo_folder / "snapshots" / kCommit;
  EXPECT_EQ(result.snapshot, snapshot);
  EXPECT_EQ(result.commit, kCommit);
  EXPECT_EQ(result.downloaded, 4u);

  // Blobs are named by the etag: the git blob id for plain files, the sha256 for LFS files (from
  // X-Linked-Etag, not the ETag of the redirect).
  for (const FixtureFile& file : fixture_files()) {
    const fs::path blob = repo_folder / "blobs" / file.etag;
    ASSERT_TRUE(fs::is_regular_file(blob)) << blob;
    EXPECT_EQ(read_all(blob), file.content) << file.path;
    const fs::path link = snapshot / file.path;
    ASSERT_TRUE(fs::is_symlink(link)) << link;
    EXPECT_EQ(read_all(link), file.content) << file.path;
  }
  // Relative links, as huggingface_hub's _create_symlink makes them.
  EXPECT_EQ(fs::read_symlink(snapshot / "config.json").string(),
            "../../blobs/c0ffee00c0ffee00c0ffee00c0ffee00c0ffee01");
  EXPECT_EQ(fs::read_symlink(snapshot / "nested/dir/extra.bin").string(),
            std::string("../../../../blobs/") + kExtraSha256);
  // refs/main holds the commit, without a newline.
  EXPECT_EQ(read_all(repo_folder / "refs" / "main"), kCommit);
  // The lock files live where huggingface_hub's do.
  EXPECT_TRUE(fs::exists(cache / ".locks" / "models--fixture-org--tiny-model" /
                         (std::string(kWeightsSha256) + ".lock")));
  for (const auto& entry : fs::recursive_directory_iterator(repo_folder)) {
    EXPECT_EQ(entry.path().string().find(".incomplete"), std::string::npos) << entry.path();
    EXPECT_EQ(entry.path().string().find(".tmp-"), std::string::npos) << entry.path();
  }
  // The downloads went to the CDN URL of the 302, files were asked for by commit.
  EXPECT_EQ(fixture.count("GET", "/cdn/"), 2u);
  EXPECT_EQ(fixture.count("HEAD", std::string("/") + kRepo + "/resolve/" + kCommit + "/"), 4u);
  // And r1's model lookup finds the snapshot.
  const auto environment = [&](const std::string& name) -> std::optional<std::string> {
    if (name == "HF_HUB_CACHE") return cache.string();
    return std::nullopt;
  };
  EXPECT_EQ(io::resolve_model(kRepo, environment), snapshot);
}

TEST_F(PullFixture, BlobsGetTheModeTheUmaskAllows) {
  const mode_t old_mask = ::umask(022);
  pull();
  ::umask(old_mask);
  const auto perms = fs::status(repo_folder / "blobs" / kWeightsSha256).permissions();
  EXPECT_EQ(perms & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write |
                                        fs::perms::group_read | fs::perms::others_read);
}

TEST_F(PullFixture, FilesInTheCacheAreNotDownloadedAgain) {
  pull();
  fixture.clear_requests();
  const hub::PullResult again = pull();
  EXPECT_EQ(again.downloaded, 0u);
  EXPECT_EQ(again.cached, 4u);
  EXPECT_EQ(fixture.count("GET", "/cdn/"), 0u);
  EXPECT_EQ(fixture.count("GET", std::string("/") + kRepo + "/resolve/"), 0u);
}

TEST_F(PullFixture, ABlobOfAnotherSnapshotIsLinkedNotDownloaded) {
  pull();
  fs::remove(repo_folder / "snapshots" / kCommit / "model.safetensors");
  fixture.clear_requests();
  const hub::PullResult again = pull();
  EXPECT_EQ(again.downloaded, 0u);
  EXPECT_EQ(fixture.count("GET", "/cdn/"), 0u);
  EXPECT_TRUE(fs::is_symlink(repo_folder / "snapshots" / kCommit / "model.safetensors"));
}

TEST_F(PullFixture, ACommitRevisionWritesNoRef) {
  hub::PullOptions options;
  options.revision = kCommit;
  pull(options);
  EXPECT_TRUE(fs::is_directory(repo_folder / "snapshots" / kCommit));
  EXPECT_FALSE(fs::exists(repo_folder / "refs"));
}

TEST_F(PullFixture, IncludeAndExcludeGlobs) {
  hub::PullOptions options;
  options.include = {"*.json"};
  options.exclude = {"tokenizer*"};
  const hub::PullResult result = pull(options);
  EXPECT_EQ(result.downloaded, 1u);
  EXPECT_TRUE(fs::exists(result.snapshot / "config.json"));
  EXPECT_FALSE(fs::exists(result.snapshot / "tokenizer.json"));
  EXPECT_FALSE(fs::exists(result.snapshot / "model.safetensors"));
  EXPECT_EQ(fixture.count("GET", "/cdn/"), 0u);

  hub::PullOptions none;
  none.include = {"*.gguf"};
  EXPECT_NE(error_of(none).find("matches --include/--exclude"), std::string::npos);
}

TEST_F(PullFixture, TheTokenIsSentAsBearer) {
  fixture.required_token = "hf_fixture_token";
  hub::HubSettings settings = fixture_settings(fixture, cache);
  settings.token = "hf_fixture_token";
  settings.token_source = "HF_TOKEN";
  hub::PullOptions options;
  options.repo = kRepo;
  pull(options, settings);
  std::size_t hub_requests = 0;
  for (const SeenRequest& request : fixture.requests()) {
    if (request.path.rfind("/cdn/", 0) == 0) continue;
    ++hub_requests;
    EXPECT_EQ(request.authorization, "Bearer hf_fixture_token") << request.path;
  }
  EXPECT_GE(hub_requests, 5u);
}

TEST_F(PullFixture, WithoutTheTokenA401SaysHowToLogIn) {
  fixture.required_token = "hf_fixture_token";
  const std::string error = error_of();
  EXPECT_NE(error.find("HTTP 401"), std::string::npos) << error;
  EXPECT_NE(error.find("HF_TOKEN"), std::string::npos) << error;
  EXPECT_NE(error.find("private, gated or does not exist"), std::string::npos) << error;
  EXPECT_FALSE(fs::exists(repo_folder / "refs"));
}

TEST_F(PullFixture, AGatedRepoSaysToAcceptTheLicence) {
  fixture.gated = true;
  const std::string error = error_of();
  EXPECT_NE(error.find("gated"), std::string::npos) << error;
  EXPECT_NE(error.find("Accept its licence on https://huggingface.co/fixture-org/tiny-model"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("HTTP 403"), std::string::npos) << error;
}

TEST_F(PullFixture, NotFoundNamesWhatIsMissing) {
  hub::PullOptions revision;
  revision.revision = "no-such-branch";
  std::string error = error_of(revision);
  EXPECT_NE(error.find("revision 'no-such-branch' not found"), std::string::npos) << error;

  hub::PullOptions repo;
  repo.repo = "fixture-org/other-model";
  error = error_of(repo);
  EXPECT_NE(error.find("repo fixture-org/other-model not found"), std::string::npos) << error;
}

TEST_F(PullFixture, ServerErrorsAreRetried) {
  fixture.fail_next = 2;
  const hub::PullResult result = pull();
  EXPECT_EQ(result.downloaded, 4u);
  EXPECT_EQ(notices.size(), 2u);
  EXPECT_NE(notices.front().find("HTTP 503"), std::string::npos) << notices.front();
}

TEST_F(PullFixture, PersistentServerErrorsFailWithTheUrl) {
  fixture.fail_next = 100;
  const std::string error = error_of();
  EXPECT_NE(error.find("HTTP 503"), std::string::npos) << error;
  EXPECT_NE(error.find(fixture.endpoint() + "/api/models/fixture-org/tiny-model/revision/main"),
            std::string::npos)
      << error;
  EXPECT_EQ(fixture.count("GET", "/api/"), 3u);  // quick_retries: 3 tries
}

TEST_F(PullFixture, ADroppedConnectionResumesWithRange) {
  fixture.drop_once_after[kWeightsSha256] = 100000;
  const hub::PullResult result = pull();
  EXPECT_EQ(read_all(result.snapshot / "model.safetensors"), weights_content());
  std::vector<std::string> ranges;
  for (const SeenRequest& request : fixture.requests()) {
    if (request.path == std::string("/cdn/") + kWeightsSha256) ranges.push_back(request.range);
  }
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[0], "");
  EXPECT_EQ(ranges[1], "bytes=100000-");
}

TEST_F(PullFixture, AnIncompleteFileFromAnEarlierRunIsResumed) {
  fs::create_directories(repo_folder / "blobs");
  std::ofstream(repo_folder / "blobs" / (std::string(kWeightsSha256) + ".incomplete"), std::ios::binary)
      << weights_content().substr(0, 123456);
  const hub::PullResult result = pull();
  EXPECT_EQ(read_all(result.snapshot / "model.safetensors"), weights_content());
  bool resumed = false;
  for (const SeenRequest& request : fixture.requests()) resumed |= request.range == "bytes=123456-";
  EXPECT_TRUE(resumed);
}

TEST_F(PullFixture, RelativeRedirectsAreFollowedForTheMetadata) {
  // huggingface.co answers HEAD on a plain file with a 307 to /api/resolve-cache/...; the etag
  // and commit are the final answer's, and that is where the file comes from.
  fixture.relative_redirects = true;
  const hub::PullResult result = pull();
  EXPECT_EQ(read_all(result.snapshot / "config.json"), fixture_files()[0].content);
  EXPECT_TRUE(fs::exists(repo_folder / "blobs" / fixture_files()[0].etag));
  EXPECT_EQ(fixture.count("GET", "/api/resolve-cache/"), 2u);
}

TEST_F(PullFixture, AServerIgnoringRangeStillGivesTheRightFile) {
  fixture.drop_once_after[kWeightsSha256] = 50000;
  fixture.ignore_range = true;
  const hub::PullResult result = pull();
  EXPECT_EQ(read_all(result.snapshot / "model.safetensors"), weights_content());
}

TEST_F(PullFixture, ACorruptBodyLeavesNothingBehind) {
  fixture.corrupt.insert(kWeightsSha256);
  const std::string error = error_of();
  EXPECT_NE(error.find("model.safetensors"), std::string::npos) << error;
  EXPECT_NE(error.find("sha256"), std::string::npos) << error;
  EXPECT_NE(error.find(kWeightsSha256), std::string::npos) << error;
  EXPECT_FALSE(fs::exists(repo_folder / "blobs" / kWeightsSha256));
  EXPECT_FALSE(fs::exists(repo_folder / "blobs" / (std::string(kWeightsSha256) + ".incomplete")));
  EXPECT_FALSE(fs::exists(repo_folder / "snapshots" / kCommit / "model.safetensors"));
  EXPECT_FALSE(fs::exists(repo_folder / "refs" / "main"));  // no ref to a half-made snapshot
}

TEST_F(PullFixture, OfflineUsesTheCacheOnly) {
  hub::HubSettings settings = fixture_settings(fixture, cache);
  settings.offline = true;
  const std::string error = error_of({}, settings);
  EXPECT_NE(error.find("not in the Hugging Face cache"), std::string::npos) << error;
  EXPECT_NE(error.find("r1 pull fixture-org/tiny-model"), std::string::npos) << error;
  EXPECT_TRUE(fixture.requests().empty());

  const hub::PullResult online = pull();
  fixture.clear_requests();
  hub::PullOptions options;
  options.repo = kRepo;
  EXPECT_EQ(pull(options, settings).snapshot, online.snapshot);
  EXPECT_TRUE(fixture.requests().empty());
}

TEST_F(PullFixture, ANetworkErrorNamesTheUrlAndCurlsReason) {
  hub::HubSettings settings = fixture_settings(fixture, cache);
  settings.endpoint = "http://127.0.0.1:1";  // nothing listens on port 1
  const std::string error = error_of({}, settings);
  EXPECT_NE(error.find("http://127.0.0.1:1/api/models/fixture-org/tiny-model"), std::string::npos) << error;
  EXPECT_NE(error.find("onnect"), std::string::npos) << error;  // "Couldn't connect" / "Connection refused"
  EXPECT_NE(error.find("gave up after 3 tries"), std::string::npos) << error;
}

TEST_F(PullFixture, ConcurrentPullsOfTheSameRepoBothSucceed) {
  std::vector<std::thread> threads;
  std::vector<std::string> errors(3);
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] {
      try {
        pull();
      } catch (const std::exception& error) {
        errors[i] = error.what();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& error : errors) EXPECT_EQ(error, "");
  EXPECT_EQ(read_all(repo_folder / "snapshots" / kCommit / "model.safetensors"), weights_content());
  EXPECT_EQ(fixture.count("GET", std::string("/cdn/") + kWeightsSha256), 1u);  // one writer
}

TEST(SelectFiles, GlobsAsHuggingFaceCliTakesThem) {
  const std::vector<hub::RepoFile> files = {
      {"config.json", {}, {}},       {"model.safetensors", {}, {}}, {"pytorch_model.bin", {}, {}},
      {"onnx/model.onnx", {}, {}},   {"onnx/config.json", {}, {}},  {"original/consolidated.00.pth", {}, {}},
      {"tokenizer.json", {}, {}}};
  hub::PullOptions options;
  EXPECT_EQ(hub::select_files(files, options).size(), files.size());
  options.include = {"onnx/"};  // a folder
  EXPECT_EQ(hub::select_files(files, options), (std::vector<std::string>{"onnx/model.onnx", "onnx/config.json"}));
  options.include = {"*.json"};  // '*' crosses '/', as in Python's fnmatch
  EXPECT_EQ(hub::select_files(files, options),
            (std::vector<std::string>{"config.json", "onnx/config.json", "tokenizer.json"}));
  options.include = {};
  options.skip_duplicate_weights = true;
  EXPECT_EQ(hub::select_files(files, options),
            (std::vector<std::string>{"config.json", "model.safetensors", "onnx/config.json", "tokenizer.json"}));
  // Without safetensors the other formats are the weights: nothing is skipped.
  const std::vector<hub::RepoFile> bin_only = {{"config.json", {}, {}}, {"pytorch_model.bin", {}, {}}};
  EXPECT_EQ(hub::select_files(bin_only, options).size(), 2u);
}

TEST(RepoInfo, AHubCannotWriteOutsideTheSnapshot) {
  const std::string sha = std::string("\"sha\": \"") + kCommit + "\"";
  const auto info = hub::parse_repo_info("{" + sha + ", \"siblings\": [{\"rfilename\": \"a/b.json\", \"size\": 3}]}", "u");
  ASSERT_EQ(info.files.size(), 1u);
  EXPECT_EQ(info.files[0].size, 3u);
  for (const char* name : {"../../evil", "/etc/passwd", "a/./b"}) {
    const std::string body = "{" + sha + ", \"siblings\": [{\"rfilename\": \"" + name + "\"}]}";
    EXPECT_THROW(hub::parse_repo_info(body, "u"), Error) << name;
  }
  EXPECT_THROW(hub::parse_repo_info("{\"sha\": \"main\", \"siblings\": []}", "u"), Error);
  EXPECT_THROW(hub::parse_repo_info("<html>", "u"), Error);
}

TEST(RepoPaths, UnsafePathsAreRefused) {
  EXPECT_TRUE(hub::is_safe_repo_path("a/b.json"));
  for (const char* path : {"", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a/"}) {
    EXPECT_FALSE(hub::is_safe_repo_path(path)) << path;
  }
}

}  // namespace
}  // namespace r1::test
