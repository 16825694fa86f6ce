// The completions prompt forms and the completions-only fields.
#include "server/completion_request.h"

#include <limits>

#include "server/api_error.h"

namespace r1::server {

namespace {

[[noreturn]] void bad_prompt(const std::string& message, const char* code = "invalid_value") {
  throw invalid_request(message, "prompt", code);
}

std::vector<TokenId> token_ids(const Json& array, const std::string& param,
                               const RequestLimits& limits) {
  if (array.size() > limits.max_prompt_tokens) {
    bad_prompt("Invalid value for '" + param + "': the prompt has more than " +
               std::to_string(limits.max_prompt_tokens) + " token ids.");
  }
  std::vector<TokenId> ids;
  ids.reserve(array.size());
  for (std::size_t i = 0; i < array.size(); ++i) {
    const Json& id = array[i];
    const bool integral = id.is_number_unsigned() || id.is_number_integer();
    if (!integral) {
      bad_prompt("Invalid type for '" + param_path(param, i) + "': expected a token id (an "
                 "integer), but got " + json_type_name(id) + " instead.",
                 "invalid_type");
    }
    const bool in_range =
        id.is_number_unsigned()
            ? id.get<std::uint64_t>() <= static_cast<std::uint64_t>(
                                             std::numeric_limits<TokenId>::max())
            : id.get<std::int64_t>() >= 0 &&
                  id.get<std::int64_t>() <= std::numeric_limits<TokenId>::max();
    if (!in_range) {
      bad_prompt("Invalid value for '" + param_path(param, i) + "': " + id.dump() +
                 " is not a token id (use an integer >= 0).");
    }
    ids.push_back(static_cast<TokenId>(id.get<std::int64_t>()));
  }
  return ids;
}

std::variant<std::string, std::vector<TokenId>> parse_prompt(const Json& body,
                                                             const RequestLimits& limits) {
  const Json* prompt = find_field(body, "prompt");
  if (prompt == nullptr) {
    throw invalid_request("Missing required parameter: 'prompt'.", "prompt",
                          "missing_required_parameter");
  }
  const Json* single = prompt;
  if (prompt->is_array() && !prompt->empty() && (prompt->front().is_string() ||
                                                 prompt->front().is_array())) {
    if (prompt->size() != 1) {
      bad_prompt("Batched prompts (" + std::to_string(prompt->size()) +
                 " prompts) are not supported; send one prompt per request.");
    }
    single = &prompt->front();
  }
  if (single->is_string()) {
    std::string text = single->get<std::string>();
    if (text.empty()) bad_prompt("Invalid value for 'prompt': the prompt is empty.");
    if (text.size() > limits.max_prompt_bytes) {
      bad_prompt("Invalid value for 'prompt': the prompt has more than " +
                 std::to_string(limits.max_prompt_bytes) + " bytes.");
    }
    return text;
  }
  if (single->is_array()) {
    if (single->empty()) bad_prompt("Invalid value for 'prompt': the prompt is empty.");
    return token_ids(*single, single == prompt ? "prompt" : "prompt[0]", limits);
  }
  bad_prompt("Invalid type for 'prompt': expected a string, an array of token ids, or an array "
             "holding one of them, but got " + json_type_name(*prompt) + " instead.",
             "invalid_type");
}

}  // namespace

CompletionRequest parse_completion_request(std::string_view body, const RequestLimits& limits) {
  const Json parsed = parse_request_body(body, limits.max_json_depth);
  CompletionRequest request;
  request.prompt = parse_prompt(parsed, limits);
  if (const auto suffix = read_string(parsed, "suffix", "suffix"); suffix && !suffix->empty()) {
    throw invalid_request("'suffix' (text insertion) is not supported by this model.", "suffix",
                          "unsupported_parameter");
  }
  request.echo = read_bool(parsed, "echo", "echo").value_or(false);
  request.sampling = parse_sampling_request(parsed, Endpoint::completions, limits);
  return request;
}

}  // namespace r1::server
