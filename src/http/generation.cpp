#include "http/generation.h"

#include <algorithm>
#include <ctime>

#include "engine/thinking_prompt.h"
#include "server/api_error.h"
#include "server/chat_request.h"
#include "server/completion_request.h"

namespace r1::http {
namespace {

using Clock = std::chrono::steady_clock;

const char* finish_reason_text(engine::FinishReason reason) {
  // A generation cancelled by the server's shutdown ends like one cut by a stop string.
  return reason == engine::FinishReason::length ? "length" : "stop";
}

}  // namespace

PreparedGeneration prepare_generation(const ServedModel& model, Api api, std::string_view body) {
  PreparedGeneration p;
  p.api = api;
  server::SamplingRequest sampling;
  std::string prompt_text;
  std::vector<TokenId> prompt_ids;
  if (api == Api::chat) {
    server::ChatCompletionRequest chat = server::parse_chat_request(body, model.limits);
    ChatTemplateInputs inputs;
    inputs.messages = chat.messages;
    inputs.tools = chat.tools;
    try {
      prompt_text = model.render(std::move(inputs));
    } catch (const Error& error) {
      throw server::from_error(error, "messages");
    }
    prompt_ids = model.tokenizer->encode(prompt_text, {.special_tokens = SpecialTokens::skip});
    sampling = std::move(chat.sampling);
    p.separate_reasoning =
        sampling.reasoning_format.value_or(model.default_reasoning_format) ==
        server::ReasoningFormat::separate;
    p.meta.id = server::new_response_id("chatcmpl-");
  } else {
    server::CompletionRequest completion = server::parse_completion_request(body, model.limits);
    if (const auto* text = std::get_if<std::string>(&completion.prompt)) {
      prompt_text = *text;
      prompt_ids = model.tokenizer->encode(prompt_text);
    } else {
      prompt_ids = std::get<std::vector<TokenId>>(completion.prompt);
      const std::int32_t vocab = model.tokenizer->vocab_size();
      for (std::size_t i = 0; i < prompt_ids.size(); ++i) {
        if (prompt_ids[i] >= vocab) {
          throw server::invalid_request("Token id " + std::to_string(prompt_ids[i]) +
                                            " is outside the vocabulary [0, " +
                                            std::to_string(vocab) + ").",
                                        "prompt[" + std::to_string(i) + "]");
        }
      }
      prompt_text = model.tokenizer->decode(prompt_ids);
    }
    if (completion.echo) p.echo_text = prompt_text;
    sampling = std::move(completion.sampling);
    p.meta.id = server::new_response_id("cmpl-");
  }
  if (prompt_ids.empty()) throw server::invalid_request("The prompt has no tokens.", "prompt");

  engine::ServeRequest& r = p.request;
  r.sampling = server::to_sampling_params(sampling, model.default_sampling);
  r.sampling.n_vocab_valid = model.default_sampling.n_vocab_valid;
  r.stop_strings = sampling.stop;
  r.n = sampling.n;
  p.logprobs = sampling.logprobs;
  r.logprobs = sampling.logprobs ? sampling.top_logprobs.value_or(0) : -1;
  r.max_reasoning_tokens = sampling.max_reasoning_tokens ? sampling.max_reasoning_tokens
                                                         : model.default_max_reasoning_tokens;
  r.starts_in_reasoning = engine::prompt_opens_thinking(prompt_text);
  const std::int64_t ctx = model.engine->ctx_size();
  const auto n_prompt = static_cast<std::int64_t>(prompt_ids.size());
  if (sampling.max_tokens) {
    r.max_tokens = *sampling.max_tokens;
  } else {
    // Unset: the server's default, capped by what the context leaves (as vLLM does).
    r.max_tokens = static_cast<std::int32_t>(
        std::min<std::int64_t>(model.default_max_tokens, ctx - n_prompt));
    if (r.max_tokens < 1) r.max_tokens = model.default_max_tokens;  // refused below, with numbers
  }
  r.prompt = std::move(prompt_ids);
  p.stream = sampling.stream;
  p.include_usage = sampling.include_usage;
  p.meta.created = static_cast<std::int64_t>(std::time(nullptr));
  p.meta.model = model.id;
  return p;
}

ResponseBuilder::ResponseBuilder(const ServedModel& model, const PreparedGeneration& prepared)
    : model_(model), prepared_(prepared) {
  prompt_tokens_ = static_cast<std::int64_t>(prepared.request.prompt.size());
  for (std::int32_t c = 0; c < prepared.request.n; ++c) {
    Choice choice;
    choice.splitter = server::ReasoningSplitter(prepared.request.starts_in_reasoning);
    choices_.push_back(std::move(choice));
  }
}

server::ReasoningSplitter::Parts ResponseBuilder::split(Choice& choice,
                                                        const engine::StreamEvent& event) {
  if (!prepared_.separate_reasoning) return {"", event.text};
  server::ReasoningSplitter::Parts parts = choice.splitter.feed(event.text);
  if (event.kind != engine::StreamEvent::Kind::tokens) {
    server::ReasoningSplitter::Parts rest = choice.splitter.finish();
    parts.reasoning += rest.reasoning;
    parts.content += rest.content;
  }
  return parts;
}

std::vector<server::TokenLogprob> ResponseBuilder::logprobs_of(
    const engine::StreamEvent& event) const {
  std::vector<server::TokenLogprob> out;
  if (!prepared_.logprobs) return out;
  for (const engine::SampledToken& token : event.tokens) {
    server::TokenLogprob entry;
    entry.bytes = model_.tokenizer->token_bytes(token.id);
    entry.logprob = token.logprob;
    for (const engine::TokenLogprob& top : token.top)
      entry.top_logprobs.push_back({model_.tokenizer->token_bytes(top.id), top.logprob});
    out.push_back(std::move(entry));
  }
  return out;
}

std::string ResponseBuilder::stream_start() {
  std::string out;
  if (prepared_.api != Api::chat) return out;
  for (std::size_t c = 0; c < choices_.size(); ++c) {
    out += server::sse_data(server::chat_chunk_role(prepared_.meta, static_cast<std::int32_t>(c),
                                                    prepared_.include_usage));
  }
  return out;
}

std::string ResponseBuilder::finish_text(Choice& choice, std::int32_t index) {
  if (prepared_.api == Api::chat) {
    return server::sse_data(server::chat_chunk_finish(prepared_.meta, index, choice.finish_reason,
                                                      prepared_.include_usage));
  }
  server::CompletionChoice done;
  done.index = index;
  done.finish_reason = choice.finish_reason;
  return server::sse_data(
      server::text_completion_chunk(prepared_.meta, done, prepared_.include_usage));
}

std::string ResponseBuilder::stream_events(std::vector<engine::StreamEvent>& events) {
  std::string out;
  for (engine::StreamEvent& event : events) {
    Choice& choice = choices_[static_cast<std::size_t>(event.choice)];
    const auto index = event.choice;
    if (event.kind == engine::StreamEvent::Kind::failed) {
      choice.ended = true;
      choice.error = event.error;
      out += server::sse_data(server::error_body(server::internal(event.error)));
      continue;
    }
    if (event.kind == engine::StreamEvent::Kind::tokens && !event.tokens.empty()) {
      const auto now = Clock::now();
      if (any_token_) gaps_.push_back(std::chrono::duration<double>(now - last_token_).count());
      last_token_ = now;
      any_token_ = true;
    }
    const server::ReasoningSplitter::Parts parts = split(choice, event);
    std::vector<server::TokenLogprob> logprobs = logprobs_of(event);
    if (prepared_.api == Api::chat) {
      if (!parts.content.empty() || !parts.reasoning.empty() || !logprobs.empty()) {
        std::optional<std::vector<server::TokenLogprob>> lp;
        if (prepared_.logprobs) lp = std::move(logprobs);
        out += server::sse_data(server::chat_chunk_delta(prepared_.meta, index, parts.content,
                                                         parts.reasoning, lp,
                                                         prepared_.include_usage));
      }
    } else {
      std::string text = parts.content;
      if (!choice.sent_echo && !prepared_.echo_text.empty()) text = prepared_.echo_text + text;
      choice.sent_echo = true;
      if (!text.empty() || !logprobs.empty()) {
        server::CompletionChoice delta;
        delta.index = index;
        delta.text = std::move(text);
        if (prepared_.logprobs) delta.logprobs = std::move(logprobs);
        out += server::sse_data(
            server::text_completion_chunk(prepared_.meta, delta, prepared_.include_usage));
      }
    }
    if (event.kind == engine::StreamEvent::Kind::finished) {
      choice.ended = true;
      choice.stats = event.stats;
      choice.finish_reason = finish_reason_text(event.stats.finish_reason);
      out += finish_text(choice, index);
    }
  }
  return out;
}

std::string ResponseBuilder::stream_end() {
  std::string out;
  if (prepared_.include_usage) {
    server::Usage usage{prompt_tokens_, completion_tokens(), reasoning_tokens()};
    out += server::sse_data(prepared_.api == Api::chat
                                ? server::chat_chunk_usage(prepared_.meta, usage)
                                : server::text_completion_usage_chunk(prepared_.meta, usage));
  }
  out += server::sse_done();
  return out;
}

void ResponseBuilder::absorb(std::vector<engine::StreamEvent>& events) {
  for (engine::StreamEvent& event : events) {
    Choice& choice = choices_[static_cast<std::size_t>(event.choice)];
    if (event.kind == engine::StreamEvent::Kind::failed) {
      choice.ended = true;
      choice.error = event.error;
      continue;
    }
    if (event.kind == engine::StreamEvent::Kind::tokens && !event.tokens.empty()) any_token_ = true;
    const server::ReasoningSplitter::Parts parts = split(choice, event);
    choice.reasoning += parts.reasoning;
    choice.content += parts.content;
    for (server::TokenLogprob& lp : logprobs_of(event)) choice.logprobs.push_back(std::move(lp));
    if (event.kind == engine::StreamEvent::Kind::finished) {
      choice.ended = true;
      choice.stats = event.stats;
      choice.finish_reason = finish_reason_text(event.stats.finish_reason);
    }
  }
}

std::string ResponseBuilder::whole_response() const {
  for (const Choice& choice : choices_) {
    if (!choice.error.empty()) throw server::internal(choice.error);
  }
  server::Usage usage{prompt_tokens_, completion_tokens(), reasoning_tokens()};
  if (prepared_.api == Api::chat) {
    std::vector<server::ChatChoice> out;
    for (std::size_t c = 0; c < choices_.size(); ++c) {
      const Choice& choice = choices_[c];
      server::ChatChoice entry;
      entry.index = static_cast<std::int32_t>(c);
      entry.content = choice.content;
      if (prepared_.separate_reasoning) entry.reasoning_content = choice.reasoning;
      if (prepared_.logprobs) entry.logprobs = choice.logprobs;
      entry.finish_reason = choice.finish_reason;
      out.push_back(std::move(entry));
    }
    return server::json_text(server::chat_completion(prepared_.meta, out, usage));
  }
  std::vector<server::CompletionChoice> out;
  for (std::size_t c = 0; c < choices_.size(); ++c) {
    const Choice& choice = choices_[c];
    server::CompletionChoice entry;
    entry.index = static_cast<std::int32_t>(c);
    entry.text = prepared_.echo_text + choice.content;
    if (prepared_.logprobs) {
      entry.logprobs = choice.logprobs;
      entry.first_text_offset = static_cast<std::int64_t>(prepared_.echo_text.size());
    }
    entry.finish_reason = choice.finish_reason;
    out.push_back(std::move(entry));
  }
  return server::json_text(server::text_completion(prepared_.meta, out, usage));
}

std::int64_t ResponseBuilder::completion_tokens() const {
  std::int64_t n = 0;
  for (const Choice& choice : choices_) n += static_cast<std::int64_t>(choice.stats.n_generated);
  return n;
}

std::int64_t ResponseBuilder::reasoning_tokens() const {
  std::int64_t n = 0;
  for (const Choice& choice : choices_) n += static_cast<std::int64_t>(choice.stats.n_reasoning);
  return n;
}

double ResponseBuilder::first_token_seconds() const {
  double best = 0;
  for (const Choice& choice : choices_) {
    if (choice.stats.n_generated == 0) continue;
    if (best == 0 || choice.stats.first_token_seconds < best)
      best = choice.stats.first_token_seconds;
  }
  return best;
}

std::vector<double> ResponseBuilder::take_token_gaps() {
  std::vector<double> out;
  out.swap(gaps_);
  return out;
}

}  // namespace r1::http
