// The two ways progress is shown: redrawn in place on a terminal, plain lines otherwise.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "hub/download_progress.h"

namespace r1::test {
namespace {

template <typename Show>
std::string captured(Show show) {
  char* buffer = nullptr;
  std::size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  show(out);
  std::fclose(out);
  std::string text(buffer, size);
  std::free(buffer);
  return text;
}

TEST(DownloadProgress, PlainLinesHaveNoControlCharacters) {
  const std::string text = captured([](std::FILE* out) {
    const auto progress = hub::make_plain_progress(out);
    progress->begin("model.safetensors", 0, 1000);
    for (std::uint64_t done = 50; done <= 1000; done += 50) progress->update(done);
    progress->end(1000);
  });
  EXPECT_EQ(text.find('\r'), std::string::npos) << text;
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
  EXPECT_EQ(text.rfind("downloading model.safetensors (1.00 kB)\n", 0), 0u) << text;
  EXPECT_NE(text.find("model.safetensors: 10%, 100 B / 1.00 kB"), std::string::npos) << text;
  EXPECT_NE(text.find("model.safetensors: 90%, 900 B / 1.00 kB"), std::string::npos) << text;
  EXPECT_NE(text.find("model.safetensors: done, 1.00 kB"), std::string::npos) << text;
  // One line per tenth (10% .. 90%), not one per update.
  std::size_t lines = 0;
  for (char c : text) lines += c == '\n';
  EXPECT_EQ(lines, 11u) << text;
}

TEST(DownloadProgress, TheTerminalBarIsRedrawnInPlace) {
  const std::string text = captured([](std::FILE* out) {
    const auto progress = hub::make_terminal_progress(out);
    progress->begin("model.safetensors", 500, 1000);  // resumed at half
    progress->note("r1: a retry");
    progress->end(1000);
  });
  EXPECT_EQ(text.rfind("\rmodel.safetensors  [############............] 50% 500 B / 1.00 kB", 0), 0u) << text;
  EXPECT_NE(text.find("\r\x1b[Kr1: a retry\n"), std::string::npos) << text;
  EXPECT_NE(text.find("[########################] 100% 1.00 kB / 1.00 kB"), std::string::npos) << text;
  EXPECT_EQ(text.back(), '\n');
}

TEST(DownloadProgress, Units) {
  EXPECT_EQ(hub::format_bytes(512), "512 B");
  EXPECT_EQ(hub::format_bytes(3.55e9), "3.55 GB");
  EXPECT_EQ(hub::format_bytes(78.3e6), "78.3 MB");
  EXPECT_EQ(hub::format_duration(7), "0:07");
  EXPECT_EQ(hub::format_duration(3725), "1:02:05");
}

}  // namespace
}  // namespace r1::test
