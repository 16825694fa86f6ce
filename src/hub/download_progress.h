// How a download shows its progress on stderr: on a terminal one line per file redrawn in place
// (bar, bytes done/total, speed, ETA); otherwise plain lines now and then (every 10% or 5 s), no
// control characters.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

namespace r1::hub {

class DownloadProgress {
 public:
  virtual ~DownloadProgress() = default;
  /// A file starts; `done` bytes are already there (a resumed download).
  virtual void begin(const std::string& file, std::uint64_t done, std::optional<std::uint64_t> total) = 0;
  virtual void update(std::uint64_t done) = 0;
  virtual void end(std::uint64_t done) = 0;
  /// A line of its own (a retry, a skipped file), not mixed into a bar.
  virtual void note(const std::string& line) = 0;
};

std::unique_ptr<DownloadProgress> make_terminal_progress(std::FILE* out);
std::unique_ptr<DownloadProgress> make_plain_progress(std::FILE* out);
/// The terminal kind when `out` is a terminal, else the plain one.
std::unique_ptr<DownloadProgress> make_progress(std::FILE* out);
/// Shows nothing.
std::unique_ptr<DownloadProgress> make_silent_progress();

/// "1.23 GB", "512 B": decimal units, three significant digits.
std::string format_bytes(double bytes);
/// "0:07", "1:02:03".
std::string format_duration(double seconds);

}  // namespace r1::hub
