// Helpers for the io tests: hand-built safetensors bytes, temporary folders and error capture.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "r1/error.h"

namespace r1::io::test {

/// One header entry and its bytes. When `offsets` is unset, the entry's bytes are appended to the
/// data area and its offsets computed; otherwise the given offsets are written as they are.
struct RawTensor {
  std::string name;
  std::string dtype;
  nlohmann::json shape;
  std::string data;
  std::optional<nlohmann::json> offsets;
};

/// u64 little-endian length + header text + data, exactly as the format lays them out.
inline std::string frame_safetensors(std::uint64_t header_length, const std::string& header,
                                     const std::string& data) {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((header_length >> (8 * i)) & 0xFF));
  return out + header + data;
}

/// Builds a whole safetensors file from specs (plus "__metadata__" when given).
inline std::string build_safetensors(const std::vector<RawTensor>& specs,
                                     const nlohmann::json& metadata = nullptr) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.is_null()) header["__metadata__"] = metadata;
  std::string data;
  for (const RawTensor& spec : specs) {
    nlohmann::json entry = {{"dtype", spec.dtype}, {"shape", spec.shape}};
    if (spec.offsets) {
      entry["data_offsets"] = *spec.offsets;
    } else {
      entry["data_offsets"] = {data.size(), data.size() + spec.data.size()};
    }
    data += spec.data;
    header[spec.name] = entry;
  }
  const std::string text = header.dump();
  return frame_safetensors(text.size(), text, data);
}

inline std::span<const std::byte> as_bytes(const std::string& text) {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

/// `count` bytes 0, 1, 2, ... (mod 256) starting at `start`, so every tensor's bytes differ.
inline std::string byte_ramp(std::size_t count, int start) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out.push_back(static_cast<char>((start + i) & 0xFF));
  return out;
}

inline void write_file(const std::filesystem::path& path, const std::string& content) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << content;
  ASSERT_TRUE(out.good()) << path;
}

/// A fresh folder under the system temp dir, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("r1_io_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" +
             std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// The code and message of the r1::Error `action` throws; a test failure if it throws none.
struct CaughtError {
  ErrorCode code = ErrorCode::invalid_argument;
  std::string message;
  bool thrown = false;
};

template <typename Action>
CaughtError catch_error(Action&& action) {
  try {
    action();
  } catch (const Error& error) {
    return {error.code(), error.what(), true};
  }
  ADD_FAILURE() << "expected an r1::Error";
  return {};
}

/// Expects `message` to contain every one of `parts`.
inline void expect_mentions(const std::string& message, std::initializer_list<std::string> parts) {
  for (const std::string& part : parts) {
    EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
  }
}

}  // namespace r1::io::test
