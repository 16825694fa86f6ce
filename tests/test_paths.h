// Where tests find the repository's fixtures and the built program.
#pragma once

#include <filesystem>
#include <string>

namespace r1::test {

/// The source tree root (fixtures live under tests/data, models under assets/models).
std::filesystem::path source_dir();
/// tests/data/<relative>
std::filesystem::path data_path(const std::string& relative);
/// assets/models/deepseek-r1-distill-qwen-1.5b
std::filesystem::path deepseek_model_dir();
/// The built r1 program.
std::filesystem::path r1_binary();
/// A fresh (emptied) folder for this test process: <temp>/r1-test-<pid>/<name>. Test processes
/// run in parallel (ctest -j), so fixed names under the temp dir would race.
std::filesystem::path scratch_dir(const std::string& name);
/// Reads a whole file (test helper; fails the test with the path when missing).
std::string read_file(const std::filesystem::path& path);

}  // namespace r1::test
