// ApiError factories and the OpenAI error body.
#include "server/api_error.h"

#include <utility>

namespace r1::server {

namespace {
constexpr const char* kInvalidRequest = "invalid_request_error";
constexpr const char* kServerError = "server_error";
}  // namespace

ApiError::ApiError(int status_, std::string message_, std::string type_, std::string param_,
                   std::string code_)
    : status(status_),
      message(std::move(message_)),
      type(std::move(type_)),
      param(std::move(param_)),
      code(std::move(code_)) {}

ApiError invalid_request(std::string message, std::string param, std::string code) {
  return ApiError(400, std::move(message), kInvalidRequest, std::move(param), std::move(code));
}

ApiError context_length_exceeded(std::string message) {
  return ApiError(400, std::move(message), kInvalidRequest, "messages", "context_length_exceeded");
}

ApiError authentication(std::string message) {
  return ApiError(401, std::move(message), kInvalidRequest, "", "invalid_api_key");
}

ApiError not_found(std::string message, std::string code) {
  return ApiError(404, std::move(message), kInvalidRequest, "", std::move(code));
}

ApiError method_not_allowed(std::string_view method, std::string_view path) {
  return ApiError(405,
                  "Invalid method for URL (" + std::string(method) + " " + std::string(path) + ")",
                  kInvalidRequest);
}

ApiError payload_too_large(std::size_t limit_bytes) {
  return ApiError(413,
                  "The request body is too large: the limit is " + std::to_string(limit_bytes) +
                      " bytes.",
                  kInvalidRequest, "", "request_too_large");
}

ApiError overloaded(std::string message) {
  return ApiError(503, std::move(message), kServerError);
}

ApiError internal(std::string message) { return ApiError(500, std::move(message), kServerError); }

ApiError from_error(const Error& error, std::string param) {
  switch (error.code()) {
    case ErrorCode::invalid_argument:
    case ErrorCode::unsupported:
    case ErrorCode::not_found:
    case ErrorCode::limit_exceeded:
    case ErrorCode::template_error:
      return invalid_request(error.what(), std::move(param));
    case ErrorCode::invalid_file:
    case ErrorCode::io_error:
      break;
  }
  return internal(error.what());
}

nlohmann::json error_body(const ApiError& error) {
  nlohmann::json inner = nlohmann::json::object();
  inner["message"] = error.message;
  inner["type"] = error.type;
  inner["param"] = error.param.empty() ? nlohmann::json(nullptr) : nlohmann::json(error.param);
  inner["code"] = error.code.empty() ? nlohmann::json(nullptr) : nlohmann::json(error.code);
  return nlohmann::json{{"error", std::move(inner)}};
}

}  // namespace r1::server
