// POST /v1/chat/completions: the body parsed and checked into what the chat template and the
// scheduler need.
//
// Messages are rebuilt with only the keys the template uses (role, content, name, tool_calls,
// tool_call_id, reasoning_content), in that order; other keys are dropped, like every unknown
// top-level field. Decisions, following OpenAI where it has a rule:
//   - roles: system, user, assistant, tool; "developer" (OpenAI's newer name for system) becomes
//     "system", as OpenAI does for models without a developer role. "function" (legacy) is 400.
//   - content: a string, or an array of text parts joined with "" into one string; image, audio
//     and file parts are 400 (this model reads text only). null content is allowed only on an
//     assistant message with tool_calls (it stays null there) or absent content on such a message.
//   - assistant messages keep reasoning_content (the DeepSeek template drops it) and tool_calls
//     (array of {id, type "function", function {name, arguments}}).
//   - tool messages need tool_call_id, as OpenAI requires.
//   - tools: a list of {type "function", function {name, ...}} passed to the template as given;
//     [] is treated as absent. tool_choice "none"/"auto" pass; "required" or a named function is
//     400 (nothing here forces a call).
#pragma once

#include <string_view>

#include "server/request_json.h"
#include "server/request_limits.h"
#include "server/sampling_request.h"

namespace r1::server {

struct ChatCompletionRequest {
  Json messages = Json::array();  ///< checked, normalized messages for the template
  Json tools = nullptr;           ///< null when absent
  SamplingRequest sampling;
};

/// Throws ApiError 400 naming the field ("messages[2].role").
ChatCompletionRequest parse_chat_request(std::string_view body, const RequestLimits& limits);

}  // namespace r1::server
