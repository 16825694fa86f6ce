// POST /v1/completions: a raw prompt (text or token ids), no chat template.
//
// "prompt" may be a non-empty string, an array of one string, a non-empty array of token ids
// (integers >= 0), or an array of one such array. Batches (several prompts) are 400: send one
// prompt per request. "suffix" (insertion) is 400 when non-empty; "echo" is kept for the server.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "r1/sampler.h"
#include "server/request_limits.h"
#include "server/sampling_request.h"

namespace r1::server {

struct CompletionRequest {
  std::variant<std::string, std::vector<TokenId>> prompt;
  SamplingRequest sampling;
  bool echo = false;  ///< return the prompt before the completion
};

/// Throws ApiError 400 naming the field. Token ids are checked >= 0 here; the server checks them
/// against the vocabulary.
CompletionRequest parse_completion_request(std::string_view body, const RequestLimits& limits);

}  // namespace r1::server
