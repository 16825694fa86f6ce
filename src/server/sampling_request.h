// The generation settings shared by /v1/chat/completions and /v1/completions: parsed and range-
// checked from the request body, then merged with the server's defaults into SamplingParams.
//
// Ranges are OpenAI's where OpenAI has the field (temperature [0, 2], top_p (0, 1], presence and
// frequency penalties [-2, 2], logit_bias values [-100, 100], top_logprobs 0..20); the fields
// OpenAI lacks follow vLLM (top_k >= 0 where 0 and -1 mean off, min_p [0, 1],
// repetition_penalty > 0). "seed" accepts any int64 like OpenAI: a negative seed is used by its
// two's-complement bit pattern (-1 -> 2^64 - 1), so every accepted seed is reproducible.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "r1/sampler.h"
#include "server/request_json.h"
#include "server/request_limits.h"

namespace r1::server {

/// How a chat response carries the model's thinking: `separate` puts it in reasoning_content
/// (DeepSeek's API), `raw` leaves "<think>…</think>" inline in content.
enum class ReasoningFormat { separate, raw };

/// Which endpoint a body is for: some fields differ (logprobs is a bool for chat, an int for
/// completions; reasoning_format is chat-only).
enum class Endpoint { chat, completions };

/// Every field is optional: what the request leaves out, the server fills from its defaults
/// (generation_config.json).
struct SamplingRequest {
  std::optional<float> temperature, top_p, min_p, repetition_penalty, presence_penalty,
      frequency_penalty;
  std::optional<std::int32_t> top_k;
  std::optional<std::int32_t> max_tokens;  ///< max_tokens or max_completion_tokens (that wins)
  std::optional<std::int32_t> max_reasoning_tokens;  ///< >= 0: tokens of thinking before the answer
  std::optional<std::uint64_t> seed;
  std::map<TokenId, float> logit_bias;  ///< keys are token-id strings in the request
  std::vector<std::string> stop;        ///< non-empty strings, at most limits.max_stop
  std::int32_t n = 1;                   ///< 1..limits.max_n
  bool logprobs = false;
  /// Chat: top_logprobs (0..20, needs logprobs). Completions: the "logprobs" integer (0..5).
  std::optional<std::int32_t> top_logprobs;
  bool stream = false;
  bool include_usage = false;  ///< stream_options.include_usage (only with stream)
  std::optional<ReasoningFormat> reasoning_format;  ///< chat only; none = the server's default
  std::string user;
  std::string model;  ///< empty when the request names none (we serve one model)
};

/// Reads and checks the sampling fields of a parsed body; also rejects the fields that would
/// change the meaning of the request but are not supported (response_format json_object /
/// json_schema, best_of > 1, audio, modalities other than ["text"], prediction, the legacy
/// functions / function_call). Throws ApiError 400 naming the field.
SamplingRequest parse_sampling_request(const Json& body, Endpoint endpoint,
                                       const RequestLimits& limits);

/// `server_defaults` with every field the request gave replaced (a non-empty logit_bias replaces
/// the default map), checked by validate_sampling_params (its Error -> ApiError 400 naming the
/// field).
SamplingParams to_sampling_params(const SamplingRequest& request,
                                  const SamplingParams& server_defaults);

}  // namespace r1::server
