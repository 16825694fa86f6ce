// libFuzzer target: parses the input as a /v1/chat/completions body and as a /v1/completions body
// and, when one parses, merges its sampling fields into SamplingParams. An ApiError is an expected
// outcome; crashes, sanitizer reports, timeouts and leaks are bugs. Seed corpus:
// fuzz/corpus/api_request/.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "server/api_error.h"
#include "server/chat_request.h"
#include "server/completion_request.h"

namespace {

const r1::server::RequestLimits& fuzz_limits() {
  static const r1::server::RequestLimits limits = [] {
    r1::server::RequestLimits l;
    l.max_message_bytes = 64 << 10;
    l.max_prompt_bytes = 64 << 10;
    l.max_prompt_tokens = 4096;
    return l;
  }();
  return limits;
}

void use(const r1::server::SamplingRequest& sampling) {
  r1::SamplingParams defaults;
  defaults.n_vocab_valid = 151936;
  try {
    (void)r1::server::to_sampling_params(sampling, defaults);
  } catch (const r1::server::ApiError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  try {
    const auto chat = r1::server::parse_chat_request(body, fuzz_limits());
    (void)chat.messages.dump();
    use(chat.sampling);
  } catch (const r1::server::ApiError&) {
  }
  try {
    const auto completion = r1::server::parse_completion_request(body, fuzz_limits());
    use(completion.sampling);
  } catch (const r1::server::ApiError&) {
  }
  return 0;
}
