// Bearer parsing and key files.
#include "server/api_key.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "r1/error.h"

namespace r1::server {
namespace {

TEST(ApiKey, MatchesBearerKey) {
  EXPECT_TRUE(api_key_matches("Bearer sk-secret", "sk-secret"));
  EXPECT_TRUE(api_key_matches("bearer sk-secret", "sk-secret"));
  EXPECT_TRUE(api_key_matches("BEARER   sk-secret  ", "sk-secret"));
}

TEST(ApiKey, RejectsWrongKeysAndSchemes) {
  EXPECT_FALSE(api_key_matches("Bearer sk-secreT", "sk-secret"));
  EXPECT_FALSE(api_key_matches("Bearer sk-secre", "sk-secret"));    // prefix
  EXPECT_FALSE(api_key_matches("Bearer sk-secret1", "sk-secret"));  // longer
  EXPECT_FALSE(api_key_matches("Bearer ", "sk-secret"));
  EXPECT_FALSE(api_key_matches("Basic sk-secret", "sk-secret"));
  EXPECT_FALSE(api_key_matches("sk-secret", "sk-secret"));
  EXPECT_FALSE(api_key_matches("Bearersk-secret", "sk-secret"));
  EXPECT_FALSE(api_key_matches("", "sk-secret"));
}

TEST(ApiKey, EmptyExpectedKeyMatchesNothing) {
  EXPECT_FALSE(api_key_matches("Bearer ", ""));
  EXPECT_FALSE(api_key_matches("Bearer x", ""));
}

TEST(ApiKey, KeyWithNulByteComparesAllBytes) {
  const std::string key("ab\0cd", 5);
  EXPECT_TRUE(api_key_matches("Bearer " + key, key));
  EXPECT_FALSE(api_key_matches(std::string("Bearer ab\0ce", 12), key));
}

class ApiKeyFile : public ::testing::Test {
 protected:
  std::filesystem::path path_ = std::filesystem::temp_directory_path() /
                                ("r1_api_key_test_" + std::to_string(::getpid()));
  void write(const std::string& text) { std::ofstream(path_, std::ios::binary) << text; }
  void TearDown() override { std::filesystem::remove(path_); }
};

TEST_F(ApiKeyFile, TrimsTrailingNewline) {
  write("sk-abc\n");
  EXPECT_EQ(read_api_key_file(path_), "sk-abc");
  write("  sk-abc\r\n");
  EXPECT_EQ(read_api_key_file(path_), "sk-abc");
}

TEST_F(ApiKeyFile, MissingFileIsNotFound) {
  try {
    read_api_key_file(path_);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::not_found);
  }
}

TEST_F(ApiKeyFile, EmptyOrSpacedKeyIsRejected) {
  write("\n\n");
  EXPECT_THROW(read_api_key_file(path_), Error);
  write("two words\n");
  EXPECT_THROW(read_api_key_file(path_), Error);
}

}  // namespace
}  // namespace r1::server
