// Errors that cross module boundaries. Every error says what went wrong, where, and what to do;
// the code lets the server map it to an HTTP status without parsing the message.
#pragma once

#include <stdexcept>
#include <string>

namespace r1 {

enum class ErrorCode {
  invalid_argument,  // bad caller input (CLI flag, request field, text that is not UTF-8)
  invalid_file,      // a model/tokenizer file is malformed or inconsistent
  unsupported,       // a well-formed feature this build does not implement
  not_found,         // a file, model or token that does not exist
  limit_exceeded,    // a sandbox or size limit was hit (template loops, output size, context)
  template_error,    // a chat template raised or failed while rendering
  io_error,          // the operating system refused a read or write
};

/// Short stable name of a code ("invalid_argument", ...), used in logs and API error bodies.
const char* error_code_name(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace r1
