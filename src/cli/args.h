// A small command-line parser: each command declares its options once, and the same table
// drives parsing, validation and --help.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace r1::cli {

enum class OptionKind { flag, value };

struct OptionSpec {
  std::string name;  // without dashes: "model"
  OptionKind kind = OptionKind::value;
  std::string value_name;  // shown in help: "DIR"
  std::string help;
  std::string default_value;  // shown in help when not empty
  bool required = false;
  char short_name = 0;  // 'p' for -p, or 0
};

/// The same option with a one-letter alias: with_short('p', value_option("n-prompt", ...)).
inline OptionSpec with_short(char letter, OptionSpec spec) {
  spec.short_name = letter;
  return spec;
}

enum class Required { no, yes };

/// An option that takes a value: --name VALUE_NAME.
inline OptionSpec value_option(std::string name, std::string value_name, std::string help,
                               std::string default_value = "", Required required = Required::no) {
  return OptionSpec{std::move(name), OptionKind::value,        std::move(value_name),
                    std::move(help), std::move(default_value), required == Required::yes};
}

/// An option without a value: --name.
inline OptionSpec flag_option(std::string name, std::string help) {
  return OptionSpec{std::move(name), OptionKind::flag, "", std::move(help), "", false};
}

/// Parsed options of one command. Throws UsageError for unknown or malformed options.
class Args {
 public:
  Args(std::string command, std::vector<OptionSpec> specs);

  /// Parses argv[first..argc). Returns false when --help was given (help already printed).
  bool parse(int argc, char** argv, int first);

  bool has(const std::string& name) const;
  bool flag(const std::string& name) const { return has(name); }
  std::string get(const std::string& name) const;  // value or the spec's default
  std::optional<std::string> value(const std::string& name) const;
  int get_int(const std::string& name) const;

  std::string help_text(const std::string& summary) const;
  const std::string& command() const { return command_; }

 private:
  const OptionSpec* find(const std::string& name) const;
  std::string command_;
  std::vector<OptionSpec> specs_;
  std::map<std::string, std::string> values_;
  std::string summary_;
};

/// Thrown for command-line mistakes; main prints it with a pointer to --help and exits 2.
struct UsageError {
  std::string message;
};

}  // namespace r1::cli
