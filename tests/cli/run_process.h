// Runs a program with an argv vector (no shell, so any text passes through unquoted) and
// captures its exit code, stdout and stderr.
#pragma once

#include <string>
#include <vector>

namespace r1::test {

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

ProcessResult run_process(const std::vector<std::string>& argv, const std::string& stdin_text = "");

}  // namespace r1::test
