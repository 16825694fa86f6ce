#include "hub/download_progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <cmath>

namespace r1::hub {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// What both kinds track: the file, the bytes at the start, the speed of this transfer.
class ProgressState {
 protected:
  void start(const std::string& file, std::uint64_t done, std::optional<std::uint64_t> total) {
    file_ = file;
    first_ = done;
    done_ = done;
    total_ = total;
    started_ = Clock::now();
  }
  double speed() const {
    const double elapsed = seconds_since(started_);
    return elapsed > 0.2 ? static_cast<double>(done_ - first_) / elapsed : 0.0;
  }
  std::string eta() const {
    const double rate = speed();
    if (!total_ || rate <= 0 || done_ >= *total_) return "";
    return "ETA " + format_duration(static_cast<double>(*total_ - done_) / rate);
  }
  std::string amounts() const {
    std::string text = format_bytes(static_cast<double>(done_));
    if (total_) text += " / " + format_bytes(static_cast<double>(*total_));
    return text;
  }

  std::string file_;
  std::uint64_t first_ = 0, done_ = 0;
  std::optional<std::uint64_t> total_;
  Clock::time_point started_;
};

class TerminalProgress final : public DownloadProgress, ProgressState {
 public:
  explicit TerminalProgress(std::FILE* out) : out_(out) {}
  void begin(const std::string& file, std::uint64_t done, std::optional<std::uint64_t> total) override {
    start(file, done, total);
    drawn_ = false;
    draw();
  }
  void update(std::uint64_t done) override {
    done_ = done;
    if (seconds_since(last_draw_) >= 0.1) draw();
  }
  void end(std::uint64_t done) override {
    done_ = done;
    draw();
    std::fputc('\n', out_);
    std::fflush(out_);
    drawn_ = false;
  }
  void note(const std::string& line) override {
    if (drawn_) std::fputs("\r\x1b[K", out_);
    std::fprintf(out_, "%s\n", line.c_str());
    if (drawn_) draw();
    std::fflush(out_);
  }

 private:
  // The terminal's width: a line that wrapped could not be redrawn in place.
  std::size_t columns() const {
    winsize size{};
    if (::ioctl(::fileno(out_), TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
    return 80;
  }

  void draw() {
    constexpr int kWidth = 24;
    const std::size_t width = columns() - 1;
    std::string name = file_.size() > 32 ? "..." + file_.substr(file_.size() - 29) : file_;
    std::string bar;
    if (total_ && *total_ > 0) {
      const double fraction = std::min(1.0, static_cast<double>(done_) / static_cast<double>(*total_));
      const int filled = static_cast<int>(fraction * kWidth);
      bar = "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "] " +
            std::to_string(static_cast<int>(fraction * 100)) + "% ";
    }
    const double rate = speed();
    std::string figures = amounts();
    if (rate > 0) figures += "  " + format_bytes(rate) + "/s";
    if (const std::string left = eta(); !left.empty()) figures += "  " + left;
    std::string line = name + "  " + bar + figures;
    if (line.size() > width) line = name + "  " + figures;  // the bar goes first
    if (line.size() > width) line.resize(width);
    std::fprintf(out_, "\r%s\x1b[K", line.c_str());
    std::fflush(out_);
    drawn_ = true;
    last_draw_ = Clock::now();
  }

  std::FILE* out_;
  bool drawn_ = false;
  Clock::time_point last_draw_;
};

class PlainProgress final : public DownloadProgress, ProgressState {
 public:
  explicit PlainProgress(std::FILE* out) : out_(out) {}
  void begin(const std::string& file, std::uint64_t done, std::optional<std::uint64_t> total) override {
    start(file, done, total);
    std::string line = "downloading " + file + (total ? " (" + format_bytes(static_cast<double>(*total)) + ")" : "");
    if (done > 0) line += ", resuming at " + format_bytes(static_cast<double>(done));
    std::fprintf(out_, "%s\n", line.c_str());
    std::fflush(out_);
    next_tenth_ = tenth() + 1;
    last_line_ = Clock::now();
  }
  void update(std::uint64_t done) override {
    done_ = done;
    const int now = tenth();
    if (now >= next_tenth_ && now < 10) {
      next_tenth_ = now + 1;
      report();
    } else if (seconds_since(last_line_) >= 5.0) {
      report();
    }
  }
  void end(std::uint64_t done) override {
    done_ = done;
    const double elapsed = seconds_since(started_);
    std::string line = file_ + ": done, " + format_bytes(static_cast<double>(done_));
    if (done_ > first_ && elapsed > 0) {
      line += " in " + format_duration(elapsed) + " (" +
              format_bytes(static_cast<double>(done_ - first_) / elapsed) + "/s)";
    }
    std::fprintf(out_, "%s\n", line.c_str());
    std::fflush(out_);
  }
  void note(const std::string& line) override {
    std::fprintf(out_, "%s\n", line.c_str());
    std::fflush(out_);
  }

 private:
  int tenth() const {
    if (!total_ || *total_ == 0) return 0;
    return static_cast<int>(10.0 * static_cast<double>(done_) / static_cast<double>(*total_));
  }
  void report() {
    std::string line = file_ + ": ";
    if (total_ && *total_ > 0) line += std::to_string(100 * done_ / *total_) + "%, ";
    line += amounts();
    if (const double rate = speed(); rate > 0) line += ", " + format_bytes(rate) + "/s";
    if (const std::string left = eta(); !left.empty()) line += ", " + left;
    std::fprintf(out_, "%s\n", line.c_str());
    std::fflush(out_);
    last_line_ = Clock::now();
  }

  std::FILE* out_;
  int next_tenth_ = 1;
  Clock::time_point last_line_;
};

class SilentProgress final : public DownloadProgress {
 public:
  void begin(const std::string&, std::uint64_t, std::optional<std::uint64_t>) override {}
  void update(std::uint64_t) override {}
  void end(std::uint64_t) override {}
  void note(const std::string&) override {}
};

}  // namespace

std::unique_ptr<DownloadProgress> make_terminal_progress(std::FILE* out) {
  return std::make_unique<TerminalProgress>(out);
}
std::unique_ptr<DownloadProgress> make_plain_progress(std::FILE* out) {
  return std::make_unique<PlainProgress>(out);
}
std::unique_ptr<DownloadProgress> make_progress(std::FILE* out) {
  if (::isatty(::fileno(out))) return make_terminal_progress(out);
  return make_plain_progress(out);
}
std::unique_ptr<DownloadProgress> make_silent_progress() { return std::make_unique<SilentProgress>(); }

std::string format_bytes(double bytes) {
  static const char* kUnits[] = {"B", "kB", "MB", "GB", "TB"};
  int unit = 0;
  while (bytes >= 1000.0 && unit < 4) {
    bytes /= 1000.0;
    ++unit;
  }
  char text[32];
  if (unit == 0) {
    std::snprintf(text, sizeof text, "%.0f B", bytes);
  } else {
    std::snprintf(text, sizeof text, bytes < 10 ? "%.2f %s" : bytes < 100 ? "%.1f %s" : "%.0f %s",
                  bytes, kUnits[unit]);
  }
  return text;
}

std::string format_duration(double seconds) {
  const long total = std::lround(std::max(0.0, seconds));
  char text[32];
  if (total >= 3600) {
    std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", total / 3600, total / 60 % 60, total % 60);
  } else {
    std::snprintf(text, sizeof text, "%ld:%02ld", total / 60, total % 60);
  }
  return text;
}

}  // namespace r1::hub
