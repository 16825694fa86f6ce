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
/// Reads a whole file (test helper; fails the test with the path when missing).
std::string read_file(const std::filesystem::path& path);

}  // namespace r1::test
