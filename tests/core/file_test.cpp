#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/file.h"
#include "r1/error.h"

namespace r1 {
namespace {

TEST(ReadTextFile, ReadsWholeFileAndEnforcesLimits) {
  const auto path = std::filesystem::temp_directory_path() / "r1_file_test.txt";
  {
    std::ofstream out(path, std::ios::binary);
    out << "hello\nworld";
  }
  EXPECT_EQ(read_text_file(path), "hello\nworld");
  try {
    read_text_file(path, 4);
    FAIL() << "expected limit_exceeded";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::limit_exceeded);
  }
  std::filesystem::remove(path);
  try {
    read_text_file(path);
    FAIL() << "expected not_found";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::not_found);
    EXPECT_NE(std::string(error.what()).find("r1_file_test.txt"), std::string::npos);
  }
}

}  // namespace
}  // namespace r1
