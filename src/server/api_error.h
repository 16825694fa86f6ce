// Errors of the HTTP API, in the shape OpenAI's API returns them: an HTTP status and a body
// {"error": {"message", "type", "param", "code"}}. Request parsing throws these; the HTTP layer
// catches them and writes error_body() with the status.
//
// Types follow what api.openai.com actually sends (checked against its responses and the openai
// SDKs), which is not always the type name one would guess: 401, 404, 405 and 413 all come back as
// "invalid_request_error" (with code "invalid_api_key" for a wrong key, "model_not_found" for an
// unknown model); 500 and 503 come back as "server_error".
#pragma once

#include <exception>
#include <string>

#include <nlohmann/json.hpp>

#include "r1/error.h"

namespace r1::server {

class ApiError : public std::exception {
 public:
  ApiError(int status, std::string message, std::string type, std::string param = "",
           std::string code = "");

  const char* what() const noexcept override { return message.c_str(); }

  int status;
  std::string message;
  std::string type;
  std::string param;  ///< the request field at fault ("messages[2].role"); empty = JSON null
  std::string code;   ///< machine-readable code ("context_length_exceeded"); empty = JSON null
};

/// 400 invalid_request_error: a malformed or out-of-range request field.
ApiError invalid_request(std::string message, std::string param = "", std::string code = "");
/// 400 invalid_request_error, code "context_length_exceeded", param "messages" (OpenAI's shape).
ApiError context_length_exceeded(std::string message);
/// 401 invalid_request_error, code "invalid_api_key" (OpenAI sends this type for a bad key).
ApiError authentication(std::string message);
/// 404 invalid_request_error; `code` e.g. "model_not_found" (empty = null, as for unknown URLs).
ApiError not_found(std::string message, std::string code = "");
/// 405 invalid_request_error: "Invalid method for URL (GET /v1/chat/completions)".
ApiError method_not_allowed(std::string_view method, std::string_view path);
/// 413 invalid_request_error, code "request_too_large": the body is over `limit_bytes`.
ApiError payload_too_large(std::size_t limit_bytes);
/// 503 server_error: the queue is full; clients retry (the openai SDKs retry 503s).
ApiError overloaded(std::string message);
/// 500 server_error: a bug or an unexpected failure while generating.
ApiError internal(std::string message);

/// Maps an r1::Error to an ApiError: invalid_argument / unsupported / not_found / limit_exceeded /
/// template_error (a template's raise_exception on a bad conversation) are the caller's fault
/// (400, `param` attached); invalid_file / io_error are the server's (500).
ApiError from_error(const Error& error, std::string param = "");

/// {"error": {"message", "type", "param", "code"}}, with JSON null for an empty param or code.
nlohmann::json error_body(const ApiError& error);

}  // namespace r1::server
