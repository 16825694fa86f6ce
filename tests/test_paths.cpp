#include "test_paths.h"

#include <unistd.h>

#include <fstream>
#include <system_error>
#include <sstream>
#include <stdexcept>

namespace r1::test {

std::filesystem::path source_dir() {
  return R1_SOURCE_DIR;
}
std::filesystem::path data_path(const std::string& relative) {
  return source_dir() / "tests" / "data" / relative;
}
std::filesystem::path deepseek_model_dir() {
  return source_dir() / "assets" / "models" / "deepseek-r1-distill-qwen-1.5b";
}
std::filesystem::path r1_binary() {
  return R1_BINARY;
}

namespace {

// This process's folder under the temp directory, removed when the process exits (each ctest
// test is a process: left behind, their folders fill the disk over many runs).
struct ProcessScratch {
  pid_t owner = ::getpid();
  std::filesystem::path root =
      std::filesystem::temp_directory_path() / ("r1-test-" + std::to_string(owner));
  ~ProcessScratch() {
    if (::getpid() != owner) return;  // a forked child leaves the parent's files alone
    std::error_code ignored;
    std::filesystem::remove_all(root, ignored);
  }
};

const std::filesystem::path& process_scratch_root() {
  static const ProcessScratch scratch;
  return scratch.root;
}

}  // namespace

std::filesystem::path scratch_dir(const std::string& name) {
  const auto dir = process_scratch_root() / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("test fixture missing: " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace r1::test
