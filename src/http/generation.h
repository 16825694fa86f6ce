// One generation request from body to response: parse and check the body, render the chat
// template, tokenize, submit to the engine, and turn the engine's events into OpenAI's JSON or
// SSE chunks (with the thinking split into reasoning_content).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/serving_engine.h"
#include "http/served_model.h"
#include "server/openai_response.h"
#include "server/reasoning_splitter.h"

namespace r1::http {

enum class Api { chat, completions };

/// A checked request, ready for the engine.
struct PreparedGeneration {
  Api api = Api::chat;
  engine::ServeRequest request;
  bool stream = false;
  bool include_usage = false;
  bool separate_reasoning = false;  // chat with reasoning_format separate
  bool logprobs = false;
  std::string echo_text;  // completions with echo: the prompt text returned before the answer
  server::ResponseMeta meta;
};

/// Throws server::ApiError (400 naming the field) for a bad body, a template failure, a prompt
/// that does not fit.
PreparedGeneration prepare_generation(const ServedModel& model, Api api, std::string_view body);

/// Builds the response from the engine's events, streaming or whole.
class ResponseBuilder {
 public:
  ResponseBuilder(const ServedModel& model, const PreparedGeneration& prepared);

  /// SSE text to send first (chat: the role chunk of each choice).
  std::string stream_start();
  /// SSE text for these events (deltas; a choice's finish chunk when it ends; an error event when
  /// the engine failed).
  std::string stream_events(std::vector<engine::StreamEvent>& events);
  /// SSE text after the last event: the usage chunk (include_usage) and [DONE].
  std::string stream_end();

  /// Folds events in for a non-streaming response.
  void absorb(std::vector<engine::StreamEvent>& events);
  /// The whole response body. Throws server::ApiError(500) when the engine failed.
  std::string whole_response() const;

  /// Totals over the choices (for usage, logs and metrics).
  std::int64_t prompt_tokens() const { return prompt_tokens_; }
  std::int64_t completion_tokens() const;
  std::int64_t reasoning_tokens() const;
  double first_token_seconds() const;
  /// Seconds between consecutive token events of any choice, for the latency histogram.
  std::vector<double> take_token_gaps();

 private:
  struct Choice {
    server::ReasoningSplitter splitter{false};
    std::string content, reasoning;
    std::vector<server::TokenLogprob> logprobs;
    std::string finish_reason;
    engine::ChoiceStats stats;
    bool ended = false;
    std::string error;
    bool sent_echo = false;
  };
  // Text of an event routed to (reasoning, content) parts.
  server::ReasoningSplitter::Parts split(Choice& choice, const engine::StreamEvent& event);
  std::vector<server::TokenLogprob> logprobs_of(const engine::StreamEvent& event) const;
  std::string finish_text(Choice& choice, std::int32_t index);

  const ServedModel& model_;
  const PreparedGeneration& prepared_;
  std::vector<Choice> choices_;
  std::int64_t prompt_tokens_ = 0;
  std::vector<double> gaps_;
  std::chrono::steady_clock::time_point last_token_;
  bool any_token_ = false;
};

}  // namespace r1::http
