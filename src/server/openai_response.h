// The JSON objects of OpenAI's API responses, in its exact shapes, and SSE framing.
//
//   chat.completion           non-streaming /v1/chat/completions
//   chat.completion.chunk     streaming: a first chunk with delta {role: "assistant", content: ""},
//                             then content / reasoning_content deltas, one chunk per choice with
//                             finish_reason and an empty delta, and with include_usage a last
//                             chunk with choices [] and usage (every other chunk then carries
//                             "usage": null, as OpenAI sends it)
//   text_completion           /v1/completions, streaming or not (OpenAI uses the same object)
//   list of model             /v1/models
//
// reasoning_content: when the server separates the thinking (ReasoningFormat::separate) the
// message always has "reasoning_content" (a string, "" if the model wrote none — DeepSeek sends
// the key on every reasoner response); with raw output the key is omitted. In stream deltas a key
// appears only when it has text.
//
// Token strings in logprobs: a token may be part of a UTF-8 character, so "token" is the bytes made
// valid (U+FFFD for broken parts) and "bytes" holds the raw bytes, as OpenAI does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace r1::server {

struct Usage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::optional<std::int64_t> reasoning_tokens;  ///< completion_tokens_details.reasoning_tokens
};

/// One alternative at a position.
struct TopLogprob {
  std::string bytes;  ///< the token's raw bytes
  float logprob = 0.0f;
};

/// The chosen token at one position, with its alternatives (most likely first).
struct TokenLogprob {
  std::string bytes;  ///< the token's raw bytes
  float logprob = 0.0f;
  std::vector<TopLogprob> top_logprobs;
};

/// Fields every object of one response shares.
struct ResponseMeta {
  std::string id;                  ///< "chatcmpl-…" / "cmpl-…" (new_response_id)
  std::int64_t created = 0;        ///< Unix seconds
  std::string model;
  std::string system_fingerprint;  ///< empty = key omitted
};

struct ChatChoice {
  std::int32_t index = 0;
  std::string content;
  std::optional<std::string> reasoning_content;  ///< none = key omitted (raw reasoning format)
  std::optional<std::vector<TokenLogprob>> logprobs;  ///< none = "logprobs": null
  std::string finish_reason;                          ///< "stop", "length", "tool_calls"
};

nlohmann::ordered_json chat_completion(const ResponseMeta& meta,
                                       const std::vector<ChatChoice>& choices, const Usage& usage);

/// Chat logprobs: {"content": [{token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]}]}.
nlohmann::ordered_json chat_logprobs(const std::vector<TokenLogprob>& tokens);

/// Streaming chat chunks. `include_usage` adds "usage": null to each (stream_options).
nlohmann::ordered_json chat_chunk_role(const ResponseMeta& meta, std::int32_t index,
                                       bool include_usage);
nlohmann::ordered_json chat_chunk_delta(const ResponseMeta& meta, std::int32_t index,
                                        std::string_view content, std::string_view reasoning,
                                        const std::optional<std::vector<TokenLogprob>>& logprobs,
                                        bool include_usage);
nlohmann::ordered_json chat_chunk_finish(const ResponseMeta& meta, std::int32_t index,
                                         std::string_view finish_reason, bool include_usage);
/// The last chunk with include_usage: choices [] and the usage of the whole request.
nlohmann::ordered_json chat_chunk_usage(const ResponseMeta& meta, const Usage& usage);

struct CompletionChoice {
  std::int32_t index = 0;
  std::string text;
  /// Per token; text_offset counts bytes from the start of the returned text (prompt included
  /// with echo), as the legacy API does.
  std::optional<std::vector<TokenLogprob>> logprobs;
  std::int64_t first_text_offset = 0;  ///< text_offset of the first token in `logprobs`
  std::optional<std::string> finish_reason;  ///< none = null (stream chunks before the end)
};

nlohmann::ordered_json text_completion(const ResponseMeta& meta,
                                       const std::vector<CompletionChoice>& choices,
                                       const Usage& usage);
/// Completions logprobs: {tokens, token_logprobs, top_logprobs: [{token: logprob}], text_offset}.
nlohmann::ordered_json completion_logprobs(const std::vector<TokenLogprob>& tokens,
                                           std::int64_t first_text_offset);
/// One streaming completions chunk (object "text_completion", like OpenAI).
nlohmann::ordered_json text_completion_chunk(const ResponseMeta& meta,
                                             const CompletionChoice& choice, bool include_usage);
nlohmann::ordered_json text_completion_usage_chunk(const ResponseMeta& meta, const Usage& usage);

struct ModelInfo {
  std::string id;
  std::int64_t created = 0;
};
/// {"object": "list", "data": [{id, object: "model", created, owned_by: "r1"}]}
nlohmann::ordered_json model_list(const std::vector<ModelInfo>& models);
nlohmann::ordered_json model_object(const ModelInfo& model);

/// "data: {...}\n\n" (invalid UTF-8 in strings becomes U+FFFD rather than throwing).
std::string sse_data(const nlohmann::ordered_json& event);
std::string sse_data(const nlohmann::json& event);
/// "data: [DONE]\n\n"
std::string sse_done();

/// A JSON response body, with the same UTF-8 replacement as sse_data.
std::string json_text(const nlohmann::ordered_json& value);

/// prefix + 24 random hex digits ("chatcmpl-3f9a…"). Thread-safe.
std::string new_response_id(std::string_view prefix);

}  // namespace r1::server
