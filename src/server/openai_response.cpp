// Builders of OpenAI response objects and the SSE framing.
#include "server/openai_response.h"

#include <mutex>
#include <random>

#include "core/utf8.h"

namespace r1::server {

using OJson = nlohmann::ordered_json;

namespace {

OJson byte_list(std::string_view bytes) {
  OJson list = OJson::array();
  for (const char c : bytes) list.push_back(static_cast<int>(static_cast<unsigned char>(c)));
  return list;
}

OJson usage_json(const Usage& usage) {
  OJson out = OJson::object();
  out["prompt_tokens"] = usage.prompt_tokens;
  out["completion_tokens"] = usage.completion_tokens;
  out["total_tokens"] = usage.prompt_tokens + usage.completion_tokens;
  if (usage.reasoning_tokens) {
    out["completion_tokens_details"] = OJson{{"reasoning_tokens", *usage.reasoning_tokens}};
  }
  return out;
}

OJson object_head(const ResponseMeta& meta, const char* object) {
  OJson out = OJson::object();
  out["id"] = meta.id;
  out["object"] = object;
  out["created"] = meta.created;
  out["model"] = meta.model;
  if (!meta.system_fingerprint.empty()) out["system_fingerprint"] = meta.system_fingerprint;
  return out;
}

OJson chunk(const ResponseMeta& meta, OJson choice, bool include_usage) {
  OJson out = object_head(meta, "chat.completion.chunk");
  out["choices"] = OJson::array({std::move(choice)});
  if (include_usage) out["usage"] = nullptr;
  return out;
}

OJson chunk_choice(std::int32_t index, OJson delta, const OJson& logprobs,
                   const OJson& finish_reason) {
  OJson choice = OJson::object();
  choice["index"] = index;
  choice["delta"] = std::move(delta);
  choice["logprobs"] = logprobs;
  choice["finish_reason"] = finish_reason;
  return choice;
}

OJson completion_choice(const CompletionChoice& choice) {
  OJson out = OJson::object();
  out["text"] = choice.text;
  out["index"] = choice.index;
  out["logprobs"] = choice.logprobs ? completion_logprobs(*choice.logprobs, choice.first_text_offset)
                                    : OJson(nullptr);
  out["finish_reason"] = choice.finish_reason ? OJson(*choice.finish_reason) : OJson(nullptr);
  return out;
}

}  // namespace

OJson chat_logprobs(const std::vector<TokenLogprob>& tokens) {
  OJson content = OJson::array();
  for (const TokenLogprob& token : tokens) {
    OJson entry = OJson::object();
    entry["token"] = utf8::to_valid_lossy(token.bytes);
    entry["logprob"] = token.logprob;
    entry["bytes"] = byte_list(token.bytes);
    OJson top = OJson::array();
    for (const TopLogprob& alternative : token.top_logprobs) {
      OJson item = OJson::object();
      item["token"] = utf8::to_valid_lossy(alternative.bytes);
      item["logprob"] = alternative.logprob;
      item["bytes"] = byte_list(alternative.bytes);
      top.push_back(std::move(item));
    }
    entry["top_logprobs"] = std::move(top);
    content.push_back(std::move(entry));
  }
  return OJson{{"content", std::move(content)}};
}

OJson chat_completion(const ResponseMeta& meta, const std::vector<ChatChoice>& choices,
                      const Usage& usage) {
  OJson out = object_head(meta, "chat.completion");
  OJson list = OJson::array();
  for (const ChatChoice& choice : choices) {
    OJson message = OJson::object();
    message["role"] = "assistant";
    message["content"] = choice.content;
    if (choice.reasoning_content) message["reasoning_content"] = *choice.reasoning_content;
    OJson item = OJson::object();
    item["index"] = choice.index;
    item["message"] = std::move(message);
    item["logprobs"] = choice.logprobs ? chat_logprobs(*choice.logprobs) : OJson(nullptr);
    item["finish_reason"] = choice.finish_reason;
    list.push_back(std::move(item));
  }
  out["choices"] = std::move(list);
  out["usage"] = usage_json(usage);
  return out;
}

OJson chat_chunk_role(const ResponseMeta& meta, std::int32_t index, bool include_usage) {
  return chunk(meta,
               chunk_choice(index, OJson{{"role", "assistant"}, {"content", ""}}, nullptr, nullptr),
               include_usage);
}

OJson chat_chunk_delta(const ResponseMeta& meta, std::int32_t index, std::string_view content,
                       std::string_view reasoning,
                       const std::optional<std::vector<TokenLogprob>>& logprobs,
                       bool include_usage) {
  OJson delta = OJson::object();
  if (!reasoning.empty()) delta["reasoning_content"] = reasoning;
  if (!content.empty()) delta["content"] = content;
  return chunk(meta,
               chunk_choice(index, std::move(delta),
                            logprobs ? chat_logprobs(*logprobs) : OJson(nullptr), nullptr),
               include_usage);
}

OJson chat_chunk_finish(const ResponseMeta& meta, std::int32_t index,
                        std::string_view finish_reason, bool include_usage) {
  return chunk(meta, chunk_choice(index, OJson::object(), nullptr, OJson(finish_reason)),
               include_usage);
}

OJson chat_chunk_usage(const ResponseMeta& meta, const Usage& usage) {
  OJson out = object_head(meta, "chat.completion.chunk");
  out["choices"] = OJson::array();
  out["usage"] = usage_json(usage);
  return out;
}

OJson completion_logprobs(const std::vector<TokenLogprob>& tokens, std::int64_t first_text_offset) {
  OJson token_list = OJson::array();
  OJson token_logprobs = OJson::array();
  OJson top_logprobs = OJson::array();
  OJson text_offset = OJson::array();
  std::int64_t offset = first_text_offset;
  for (const TokenLogprob& token : tokens) {
    token_list.push_back(utf8::to_valid_lossy(token.bytes));
    token_logprobs.push_back(token.logprob);
    OJson top = OJson::object();
    for (const TopLogprob& alternative : token.top_logprobs) {
      const std::string key = utf8::to_valid_lossy(alternative.bytes);
      if (!top.contains(key)) top[key] = alternative.logprob;  // keep the most likely
    }
    top_logprobs.push_back(std::move(top));
    text_offset.push_back(offset);
    offset += static_cast<std::int64_t>(token.bytes.size());
  }
  OJson out = OJson::object();
  out["tokens"] = std::move(token_list);
  out["token_logprobs"] = std::move(token_logprobs);
  out["top_logprobs"] = std::move(top_logprobs);
  out["text_offset"] = std::move(text_offset);
  return out;
}

OJson text_completion(const ResponseMeta& meta, const std::vector<CompletionChoice>& choices,
                      const Usage& usage) {
  OJson out = object_head(meta, "text_completion");
  OJson list = OJson::array();
  for (const CompletionChoice& choice : choices) list.push_back(completion_choice(choice));
  out["choices"] = std::move(list);
  out["usage"] = usage_json(usage);
  return out;
}

OJson text_completion_chunk(const ResponseMeta& meta, const CompletionChoice& choice,
                            bool include_usage) {
  OJson out = object_head(meta, "text_completion");
  out["choices"] = OJson::array({completion_choice(choice)});
  if (include_usage) out["usage"] = nullptr;
  return out;
}

OJson text_completion_usage_chunk(const ResponseMeta& meta, const Usage& usage) {
  OJson out = object_head(meta, "text_completion");
  out["choices"] = OJson::array();
  out["usage"] = usage_json(usage);
  return out;
}

OJson model_object(const ModelInfo& model) {
  OJson out = OJson::object();
  out["id"] = model.id;
  out["object"] = "model";
  out["created"] = model.created;
  out["owned_by"] = "r1";
  return out;
}

OJson model_list(const std::vector<ModelInfo>& models) {
  OJson data = OJson::array();
  for (const ModelInfo& model : models) data.push_back(model_object(model));
  OJson out = OJson::object();
  out["object"] = "list";
  out["data"] = std::move(data);
  return out;
}

std::string json_text(const OJson& value) {
  return value.dump(-1, ' ', false, OJson::error_handler_t::replace);
}

std::string sse_data(const OJson& event) { return "data: " + json_text(event) + "\n\n"; }

std::string sse_data(const nlohmann::json& event) {
  return "data: " + event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n";
}

std::string sse_done() { return "data: [DONE]\n\n"; }

std::string new_response_id(std::string_view prefix) {
  static std::mutex mutex;
  static std::mt19937_64 generator = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  std::uint64_t high = 0;
  std::uint64_t low = 0;
  {
    const std::lock_guard<std::mutex> lock(mutex);
    high = generator();
    low = generator();
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(prefix);
  for (int i = 0; i < 8; ++i) id.push_back(kHex[(high >> (60 - 4 * i)) & 0xF]);
  for (int i = 0; i < 16; ++i) id.push_back(kHex[(low >> (60 - 4 * i)) & 0xF]);
  return id;
}

}  // namespace r1::server
