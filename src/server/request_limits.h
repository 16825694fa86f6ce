// Bounds on what one API request may ask for, so a hostile or careless request fails with a 400
// instead of costing memory or time. The server may tighten them from its command line.
#pragma once

#include <cstddef>
#include <cstdint>

namespace r1::server {

struct RequestLimits {
  std::int32_t max_n = 4;                     ///< choices per request ("n")
  std::size_t max_stop = 16;                  ///< stop strings (OpenAI allows 4; we allow more)
  std::size_t max_stop_bytes = 1024;          ///< bytes of one stop string
  std::size_t max_message_bytes = 1 << 20;    ///< content bytes of one message
  std::size_t max_messages = 4096;            ///< messages of one chat request
  std::size_t max_tools = 256;                ///< entries of "tools"
  std::size_t max_logit_bias = 1024;          ///< entries of "logit_bias" (OpenAI: 300)
  std::size_t max_prompt_bytes = 4 << 20;     ///< bytes of a completions text prompt
  std::size_t max_prompt_tokens = 1 << 20;    ///< ids of a completions token-id prompt
  std::size_t max_json_depth = 128;           ///< nesting of arrays/objects in the body
  std::int32_t max_top_logprobs = 20;         ///< chat top_logprobs (OpenAI: 20)
  std::int32_t max_completion_logprobs = 5;   ///< completions "logprobs" integer (OpenAI: 5)
};

}  // namespace r1::server
