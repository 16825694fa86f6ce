// Whole-file reads and writes of small text files (JSON configs, templates). Large weight files are
// memory-mapped elsewhere and never go through here.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

namespace r1 {

/// Reads the whole file. Throws Error(not_found) if it does not exist, Error(io_error) if it cannot
/// be read, Error(limit_exceeded) if it is larger than max_bytes.
std::string read_text_file(const std::filesystem::path& path, std::size_t max_bytes = std::size_t(1)
                                                                                      << 30);

/// Writes `text` to the file, replacing it. Throws Error(io_error) naming the path and the reason.
void write_text_file(const std::filesystem::path& path, const std::string& text);

}  // namespace r1
