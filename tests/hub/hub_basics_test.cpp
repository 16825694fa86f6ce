// The small parts of the hub client: SHA-256 against FIPS 180-4's examples (values from
// Python's hashlib), header values, URLs as huggingface_hub builds them, the environment.
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "hub/http_headers.h"
#include "hub/hub_settings.h"
#include "hub/sha256.h"
#include "hub/url.h"
#include "r1/error.h"
#include "test_paths.h"

namespace r1::test {
namespace {

std::string sha256_of(const std::string& text) {
  hub::Sha256 sha;
  sha.update(text);
  return sha.hex_digest();
}

TEST(Sha256, MatchesTheStandardsExamples) {
  EXPECT_EQ(sha256_of(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_of("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // A million 'a', fed in uneven pieces.
  hub::Sha256 sha;
  const std::string piece(997, 'a');
  std::size_t fed = 0;
  while (fed + piece.size() <= 1000000) {
    sha.update(piece);
    fed += piece.size();
  }
  sha.update(std::string(1000000 - fed, 'a'));
  EXPECT_EQ(sha.hex_digest(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(HttpHeaders, LinesCaseAndRedirects) {
  hub::HttpHeaders headers;
  EXPECT_EQ(headers.add_line("HTTP/1.1 302 Found\r\n"), 302);
  headers.add_line("X-Linked-Etag: \"abc\"\r\n");
  EXPECT_EQ(headers.get("x-linked-etag"), "\"abc\"");
  EXPECT_EQ(headers.add_line("HTTP/2 200\r\n"), 200);  // the next response of a redirect
  EXPECT_FALSE(headers.get("X-Linked-Etag"));
  headers.add_line("Content-Length:  42 \r\n");
  EXPECT_EQ(headers.get("CONTENT-LENGTH"), "42");
  EXPECT_EQ(headers.add_line("\r\n"), std::nullopt);
}

TEST(HttpHeaders, ValuesTheDownloaderReads) {
  EXPECT_EQ(hub::normalize_etag("W/\"abc\""), "abc");
  EXPECT_EQ(hub::normalize_etag("\"abc\""), "abc");
  EXPECT_EQ(hub::parse_byte_count("300000"), 300000u);
  EXPECT_FALSE(hub::parse_byte_count("-1"));
  EXPECT_FALSE(hub::parse_byte_count("99999999999999999999"));
  const auto range = hub::parse_content_range("bytes 100-299/300");
  ASSERT_TRUE(range);
  EXPECT_EQ(range->first, 100u);
  EXPECT_EQ(range->last, 299u);
  EXPECT_EQ(range->total, 300u);
  EXPECT_FALSE(hub::parse_content_range("bytes 100-299/200"));
  EXPECT_FALSE(hub::parse_content_range("bytes */300"));
}

TEST(HubUrls, AsHuggingFaceHubBuildsThem) {
  // hf_hub_url: quote(revision, safe=""), quote(filename) keeping '/'.
  EXPECT_EQ(hub::resolve_url("https://huggingface.co", "org/name", "refs/pr/1", "dir/a b.json"),
            "https://huggingface.co/org/name/resolve/refs%2Fpr%2F1/dir/a%20b.json");
  EXPECT_EQ(hub::repo_info_url("https://hf-mirror.com", "org/name", "main"),
            "https://hf-mirror.com/api/models/org/name/revision/main?blobs=true");
  EXPECT_EQ(hub::url_origin("HTTPS://Host:8080/a/b?x"), "https://host:8080");
}

io::EnvironmentLookup environment_of(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    if (auto it = values.find(name); it != values.end()) return it->second;
    return std::nullopt;
  };
}

TEST(HubSettings, EnvironmentAsHuggingFaceHubReadsIt) {
  hub::HubSettings settings = hub::read_hub_settings(environment_of({{"HOME", "/home/u"}}));
  EXPECT_EQ(settings.endpoint, "https://huggingface.co");
  EXPECT_FALSE(settings.offline);
  EXPECT_EQ(settings.cache_dir, "/home/u/.cache/huggingface/hub");

  settings = hub::read_hub_settings(environment_of(
      {{"HOME", "/home/u"}, {"HF_ENDPOINT", "https://hf-mirror.com/"}, {"HF_HUB_OFFLINE", "yes"},
       {"HF_TOKEN", " hf_abc\n"}}));
  EXPECT_EQ(settings.endpoint, "https://hf-mirror.com");
  EXPECT_TRUE(settings.offline);
  EXPECT_EQ(settings.token, "hf_abc");

  for (const char* value : {"0", "false", "", "no"}) {
    EXPECT_FALSE(hub::read_hub_settings(environment_of({{"HOME", "/h"}, {"HF_HUB_OFFLINE", value}})).offline)
        << value;
  }
  try {
    hub::read_hub_settings(environment_of({{"HOME", "/h"}, {"HF_ENDPOINT", "hf-mirror.com"}}));
    FAIL() << "no error for an HF_ENDPOINT without scheme";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("HF_ENDPOINT"), std::string::npos);
  }
}

TEST(HubSettings, TheTokenFileUnderHfHome) {
  const auto home = scratch_dir("hub_token_file");
  std::ofstream(home / "token") << "hf_from_file\n";
  hub::HubSettings settings = hub::read_hub_settings(environment_of({{"HF_HOME", home.string()}}));
  EXPECT_EQ(settings.token, "hf_from_file");
  EXPECT_EQ(settings.token_source, (home / "token").string());
  EXPECT_EQ(settings.cache_dir, home / "hub");
  // HF_TOKEN wins over the file.
  settings = hub::read_hub_settings(environment_of({{"HF_HOME", home.string()}, {"HF_TOKEN", "hf_env"}}));
  EXPECT_EQ(settings.token, "hf_env");
}

}  // namespace
}  // namespace r1::test
