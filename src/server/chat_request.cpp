// Validation and normalization of chat messages and tools.
#include "server/chat_request.h"

#include <string>

#include "server/api_error.h"

namespace r1::server {

namespace {

[[noreturn]] void bad_type(const std::string& param, const Json& value, const char* expected) {
  throw invalid_request("Invalid type for '" + param + "': expected " + std::string(expected) +
                            ", but got " + json_type_name(value) + " instead.",
                        param, "invalid_type");
}

[[noreturn]] void bad_value(const std::string& param, const std::string& message) {
  throw invalid_request("Invalid value for '" + param + "': " + message, param, "invalid_value");
}

[[noreturn]] void missing(const std::string& param) {
  throw invalid_request("Missing required parameter: '" + param + "'.", param, "missing_required_parameter");
}

// A string, or an array of text parts joined into one string. Throws for other part types.
std::string content_text(const Json& content, const std::string& param,
                         const RequestLimits& limits) {
  std::string text;
  if (content.is_string()) {
    text = content.get<std::string>();
  } else if (content.is_array()) {
    for (std::size_t i = 0; i < content.size(); ++i) {
      const Json& part = content[i];
      const std::string part_param = param_path(param, i);
      if (!part.is_object()) bad_type(part_param, part, "an object");
      const auto type = read_string(part, "type", part_param + ".type");
      if (!type) missing(part_param + ".type");
      if (*type == "text") {
        const auto part_text = read_string(part, "text", part_param + ".text");
        if (!part_text) missing(part_param + ".text");
        text += *part_text;
        if (text.size() > limits.max_message_bytes) break;
      } else if (*type == "image_url" || *type == "input_image" || *type == "image") {
        bad_value(part_param + ".type", "images are not supported by this model (it reads text "
                                         "only).");
      } else if (*type == "input_audio" || *type == "audio") {
        bad_value(part_param + ".type", "audio input is not supported by this model (it reads "
                                         "text only).");
      } else if (*type == "file") {
        bad_value(part_param + ".type", "file inputs are not supported by this server.");
      } else {
        bad_value(part_param + ".type", "'" + *type + "' is not a supported content part type; "
                                        "use 'text'.");
      }
    }
  } else {
    bad_type(param, content, "a string or an array of content parts");
  }
  if (text.size() > limits.max_message_bytes) {
    bad_value(param, "the content has more than " + std::to_string(limits.max_message_bytes) +
                         " bytes.");
  }
  return text;
}

void check_tool_calls(const Json& calls, const std::string& param) {
  if (!calls.is_array()) bad_type(param, calls, "an array");
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const Json& call = calls[i];
    const std::string call_param = param_path(param, i);
    if (!call.is_object()) bad_type(call_param, call, "an object");
    read_string(call, "id", call_param + ".id");
    if (const auto type = read_string(call, "type", call_param + ".type");
        type && *type != "function") {
      bad_value(call_param + ".type", "only 'function' tool calls are supported.");
    }
    const Json* function = find_field(call, "function");
    if (function == nullptr) missing(call_param + ".function");
    if (!function->is_object()) bad_type(call_param + ".function", *function, "an object");
    if (!read_string(*function, "name", call_param + ".function.name")) {
      missing(call_param + ".function.name");
    }
    // arguments: OpenAI sends a JSON-encoded string; some clients send the object itself, which
    // templates such as DeepSeek's also accept. Anything else is refused.
    if (const Json* arguments = find_field(*function, "arguments");
        arguments != nullptr && !arguments->is_string() && !arguments->is_object()) {
      bad_type(call_param + ".function.arguments", *arguments, "a string");
    }
  }
}

Json check_message(const Json& message, std::size_t index, const RequestLimits& limits) {
  const std::string param = param_path("messages", index);
  if (!message.is_object()) bad_type(param, message, "an object");
  const auto role_value = read_string(message, "role", param + ".role");
  if (!role_value) missing(param + ".role");
  std::string role = *role_value;
  if (role == "developer") role = "system";
  if (role != "system" && role != "user" && role != "assistant" && role != "tool") {
    bad_value(param + ".role", "'" + role + "' is not a supported role; use 'system', "
                               "'developer', 'user', 'assistant' or 'tool'.");
  }

  Json out = Json::object();
  out["role"] = role;
  const Json* tool_calls = role == "assistant" ? find_field(message, "tool_calls") : nullptr;
  if (tool_calls != nullptr) check_tool_calls(*tool_calls, param + ".tool_calls");
  const bool has_tool_calls = tool_calls != nullptr && !tool_calls->empty();
  if (const Json* content = find_field(message, "content")) {
    out["content"] = content_text(*content, param + ".content", limits);
  } else if (has_tool_calls) {
    out["content"] = nullptr;
  } else {
    missing(param + ".content");
  }
  if (const auto name = read_string(message, "name", param + ".name")) out["name"] = *name;
  if (role == "assistant") {
    if (tool_calls != nullptr) out["tool_calls"] = *tool_calls;
    if (const auto reasoning =
            read_string(message, "reasoning_content", param + ".reasoning_content")) {
      out["reasoning_content"] = *reasoning;
    }
  }
  if (role == "tool") {
    const auto id = read_string(message, "tool_call_id", param + ".tool_call_id");
    if (!id) missing(param + ".tool_call_id");
    out["tool_call_id"] = *id;
  }
  return out;
}

Json check_tools(const Json& body, const RequestLimits& limits) {
  const Json* tools = find_field(body, "tools");
  if (tools == nullptr) return nullptr;
  if (!tools->is_array()) bad_type("tools", *tools, "an array");
  if (tools->empty()) return nullptr;
  if (tools->size() > limits.max_tools) {
    bad_value("tools", "at most " + std::to_string(limits.max_tools) + " tools are allowed.");
  }
  for (std::size_t i = 0; i < tools->size(); ++i) {
    const Json& tool = (*tools)[i];
    const std::string param = param_path("tools", i);
    if (!tool.is_object()) bad_type(param, tool, "an object");
    const auto type = read_string(tool, "type", param + ".type");
    if (!type) missing(param + ".type");
    if (*type != "function") bad_value(param + ".type", "only 'function' tools are supported.");
    const Json* function = find_field(tool, "function");
    if (function == nullptr) missing(param + ".function");
    if (!function->is_object()) bad_type(param + ".function", *function, "an object");
    if (!read_string(*function, "name", param + ".function.name")) missing(param + ".function.name");
    if (const Json* parameters = find_field(*function, "parameters");
        parameters != nullptr && !parameters->is_object()) {
      bad_type(param + ".function.parameters", *parameters, "an object");
    }
  }
  return *tools;
}

void check_tool_choice(const Json& body) {
  const Json* choice = find_field(body, "tool_choice");
  if (choice == nullptr) return;
  if (choice->is_string()) {
    const std::string value = choice->get<std::string>();
    if (value == "none" || value == "auto") return;
    if (value == "required") {
      throw invalid_request("tool_choice 'required' is not supported by this server (it cannot "
                            "force a tool call); use 'auto'.",
                            "tool_choice", "unsupported_parameter");
    }
    bad_value("tool_choice", "'" + value + "'; use 'none' or 'auto'.");
  }
  if (choice->is_object()) {
    throw invalid_request("A named tool_choice is not supported by this server (it cannot force a "
                          "tool call); use 'auto'.",
                          "tool_choice", "unsupported_parameter");
  }
  bad_type("tool_choice", *choice, "a string");
}

}  // namespace

ChatCompletionRequest parse_chat_request(std::string_view body, const RequestLimits& limits) {
  const Json parsed = parse_request_body(body, limits.max_json_depth);
  ChatCompletionRequest request;
  const Json* messages = find_field(parsed, "messages");
  if (messages == nullptr) missing("messages");
  if (!messages->is_array()) bad_type("messages", *messages, "an array");
  if (messages->empty()) {
    throw invalid_request("Invalid 'messages': empty array. Expected an array with minimum length "
                          "1, but got an empty array instead.",
                          "messages", "empty_array");
  }
  if (messages->size() > limits.max_messages) {
    bad_value("messages", "at most " + std::to_string(limits.max_messages) +
                              " messages are allowed.");
  }
  for (std::size_t i = 0; i < messages->size(); ++i) {
    request.messages.push_back(check_message((*messages)[i], i, limits));
  }
  request.tools = check_tools(parsed, limits);
  check_tool_choice(parsed);
  request.sampling = parse_sampling_request(parsed, Endpoint::chat, limits);
  return request;
}

}  // namespace r1::server
