// Shared by the history tests: a fresh temporary folder per test (removed when the test process
// exits), and raw file helpers.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include <gtest/gtest.h>

namespace r1::history::testing {

/// The folders fresh_dir made, removed at the process's normal exit (ctest runs each test in a
/// process of its own), write permission given back first for the tests that take it away.
inline void remove_at_exit(const std::filesystem::path& dir) {
  struct Folders {
    std::vector<std::filesystem::path> dirs;
    ~Folders() {
      for (const auto& d : dirs) {
        std::error_code ec;
        std::filesystem::permissions(d, std::filesystem::perms::owner_all,
                                     std::filesystem::perm_options::add, ec);
        for (auto it = std::filesystem::recursive_directory_iterator(d, ec);
             !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
          std::error_code ignored;
          std::filesystem::permissions(it->path(), std::filesystem::perms::owner_all,
                                       std::filesystem::perm_options::add, ignored);
        }
        std::filesystem::remove_all(d, ec);
      }
    }
  };
  static Folders folders;
  folders.dirs.push_back(dir);
}

inline std::filesystem::path fresh_dir(const std::string& name) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("r1-history-" + std::to_string(getpid()) + "-" +
                               info->test_suite_name() + "-" + info->name() + "-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  remove_at_exit(dir);
  return dir;
}

inline std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

}  // namespace r1::history::testing
