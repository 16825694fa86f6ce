// MappedFile: contents, empty files, folders and missing paths.
#include "io/mapped_file.h"

#include <gtest/gtest.h>

#include "io_test_support.h"

namespace r1::io {
namespace {

using test::catch_error;
using test::expect_mentions;

TEST(MappedFile, MapsTheBytesAndKeepsThemAcrossMoves) {
  test::TempDir dir;
  test::write_file(dir.path() / "data.bin", test::byte_ramp(300, 7));
  MappedFile opened = MappedFile::open(dir.path() / "data.bin");
  const std::byte* address = opened.data();
  const MappedFile moved = std::move(opened);
  EXPECT_EQ(opened.data(), nullptr);  // NOLINT(bugprone-use-after-move): moved-from is empty.
  EXPECT_EQ(moved.data(), address);
  ASSERT_EQ(moved.size(), 300u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(moved.data()), moved.size()),
            test::byte_ramp(300, 7));
}

TEST(MappedFile, EmptyFileHasNoBytes) {
  test::TempDir dir;
  test::write_file(dir.path() / "empty.bin", "");
  const MappedFile mapped = MappedFile::open(dir.path() / "empty.bin");
  EXPECT_EQ(mapped.size(), 0u);
  EXPECT_TRUE(mapped.bytes().empty());
}

TEST(MappedFile, ErrorsNameThePath) {
  test::TempDir dir;
  const auto missing = catch_error([&] { (void)MappedFile::open(dir.path() / "absent.bin"); });
  EXPECT_EQ(missing.code, ErrorCode::not_found);
  expect_mentions(missing.message, {"absent.bin", "No such file or directory"});
  const auto folder = catch_error([&] { (void)MappedFile::open(dir.path()); });
  EXPECT_EQ(folder.code, ErrorCode::invalid_argument);
  expect_mentions(folder.message, {dir.path().string(), "folder"});
}

}  // namespace
}  // namespace r1::io
