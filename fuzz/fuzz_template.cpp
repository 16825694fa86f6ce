// libFuzzer target: parses the input as a chat template and renders it with a small fixed chat,
// under tight sandbox limits. Any r1::Error is an expected outcome; crashes, sanitizer reports,
// timeouts and leaks are bugs. Seed corpus: fuzz/corpus/template/.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "r1/chat_template.h"
#include "r1/error.h"

namespace {

r1::ChatTemplateInputs make_inputs() {
  r1::ChatTemplateInputs inputs;
  inputs.messages = nlohmann::ordered_json::parse(R"([
    {"role": "system", "content": "You are helpful."},
    {"role": "user", "content": "What is 2+2? ünïcödé 日本"},
    {"role": "assistant", "content": "<think>\nadd\n</think>\n\n4", "tool_calls": [
      {"type": "function", "function": {"name": "calc", "arguments": {"expr": "2+2"}}}]},
    {"role": "tool", "content": "4"},
    {"role": "user", "content": [{"type": "text", "text": "thanks"}]}
  ])");
  inputs.tools = nlohmann::ordered_json::parse(R"([
    {"type": "function", "function": {"name": "calc", "description": "Evaluates",
     "parameters": {"type": "object", "properties": {"expr": {"type": "string"}},
                    "required": ["expr"]}}}
  ])");
  inputs.bos_token = "<s>";
  inputs.eos_token = "</s>";
  inputs.extra = nlohmann::ordered_json::parse(R"({"enable_thinking": true, "n": 3})");
  return inputs;
}

r1::TemplateLimits fuzz_limits() {
  r1::TemplateLimits limits;
  limits.max_source_bytes = 64 << 10;
  limits.max_output_bytes = 1 << 20;
  limits.max_loop_iterations = 20000;
  limits.max_steps = 500000;
  limits.max_value_bytes = 1 << 20;
  return limits;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const r1::ChatTemplateInputs inputs = make_inputs();
  static const r1::TemplateLimits limits = fuzz_limits();
  std::string_view source(reinterpret_cast<const char*>(data), size);
  try {
    const r1::ChatTemplate chat_template = r1::ChatTemplate::parse(source, limits);
    (void)chat_template.render(inputs);
  } catch (const r1::Error&) {
    // Rejected templates are fine; only crashes and hangs are findings.
  }
  return 0;
}
