#include "r1/error.h"

namespace r1 {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument:
      return "invalid_argument";
    case ErrorCode::invalid_file:
      return "invalid_file";
    case ErrorCode::unsupported:
      return "unsupported";
    case ErrorCode::not_found:
      return "not_found";
    case ErrorCode::limit_exceeded:
      return "limit_exceeded";
    case ErrorCode::template_error:
      return "template_error";
    case ErrorCode::io_error:
      return "io_error";
  }
  return "unknown";
}

}  // namespace r1
