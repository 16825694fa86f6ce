// What the HTTP layer needs to know about the model it serves: the tokenizer, the chat template,
// the engine, and the server's defaults for fields a request leaves out.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "engine/serving_engine.h"
#include "r1/chat_template.h"
#include "r1/sampler.h"
#include "r1/tokenizer.h"
#include "server/request_limits.h"
#include "server/sampling_request.h"

namespace r1::http {

struct ServedModel {
  std::string id;  // what /v1/models lists and responses name
  std::int64_t created = 0;
  const Tokenizer* tokenizer = nullptr;
  /// Renders messages with the model's chat template (throws Error(not_found) without one).
  std::function<std::string(ChatTemplateInputs)> render;
  engine::ServingEngine* engine = nullptr;
  SamplingParams default_sampling;     // generation_config.json + command-line flags
  std::int32_t default_max_tokens = 2048;  // capped by what the context leaves
  std::optional<std::int32_t> default_max_reasoning_tokens;
  server::ReasoningFormat default_reasoning_format = server::ReasoningFormat::separate;
  server::RequestLimits limits;
};

}  // namespace r1::http
