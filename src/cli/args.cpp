#include "cli/args.h"

#include <charconv>
#include <iostream>

namespace r1::cli {

Args::Args(std::string command, std::vector<OptionSpec> specs)
    : command_(std::move(command)), specs_(std::move(specs)) {}

const OptionSpec* Args::find(const std::string& name) const {
  for (const auto& spec : specs_) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

bool Args::parse(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") return false;
    if (arg.size() == 2 && arg[0] == '-' && arg[1] != '-') {
      for (const auto& spec : specs_) {
        if (spec.short_name == arg[1]) arg = "--" + spec.name;
      }
    }
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
      throw UsageError{"unexpected argument '" + arg + "' for 'r1 " + command_ + "'"};
    }
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const OptionSpec* spec = find(name);
    if (spec == nullptr) {
      throw UsageError{"unknown option '--" + name + "' for 'r1 " + command_ + "'"};
    }
    if (spec->kind == OptionKind::flag) {
      if (inline_value) throw UsageError{"option '--" + name + "' takes no value"};
      values_[name] = "1";
      continue;
    }
    if (inline_value) {
      values_[name] = *inline_value;
    } else {
      if (i + 1 >= argc) {
        throw UsageError{"option '--" + name + "' needs a value (" + spec->value_name + ")"};
      }
      values_[name] = argv[++i];
    }
  }
  for (const auto& spec : specs_) {
    if (spec.required && !values_.count(spec.name)) {
      throw UsageError{"missing required option '--" + spec.name + " " + spec.value_name +
                       "' for 'r1 " + command_ + "'"};
    }
  }
  return true;
}

bool Args::has(const std::string& name) const {
  return values_.count(name) != 0;
}

std::optional<std::string> Args::value(const std::string& name) const {
  if (auto it = values_.find(name); it != values_.end()) return it->second;
  return std::nullopt;
}

std::string Args::get(const std::string& name) const {
  if (auto v = value(name)) return *v;
  const OptionSpec* spec = find(name);
  return spec != nullptr ? spec->default_value : std::string();
}

int Args::get_int(const std::string& name) const {
  const std::string text = get(name);
  int result = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), result);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    throw UsageError{"option '--" + name + "' expects an integer, got '" + text + "'"};
  }
  return result;
}

std::string Args::help_text(const std::string& summary) const {
  std::string out = "Usage: r1 " + command_ + " [options]\n\n" + summary + "\n\nOptions:\n";
  for (const auto& spec : specs_) {
    std::string left = spec.short_name != 0
                           ? std::string("  -") + spec.short_name + ", --" + spec.name
                           : "  --" + spec.name;
    if (spec.kind == OptionKind::value) left += " " + spec.value_name;
    if (left.size() < 30)
      left.resize(30, ' ');
    else
      left += "\n" + std::string(30, ' ');
    out += left + spec.help;
    if (!spec.default_value.empty()) out += " (default: " + spec.default_value + ")";
    if (spec.required) out += " (required)";
    out += "\n";
  }
  out += "  --help                      Show this help\n";
  return out;
}

}  // namespace r1::cli
