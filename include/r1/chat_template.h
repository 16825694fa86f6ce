// Chat templates: the Jinja2 templates of tokenizer_config.json, rendered by a sandboxed
// interpreter exactly as transformers' apply_chat_template renders them (jinja2
// ImmutableSandboxedEnvironment, trim_blocks=True, lstrip_blocks=True, loop controls,
// raise_exception, strftime_now, tojson as transformers defines it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace r1 {

/// Bounds that make a hostile template fail with Error(limit_exceeded) instead of hanging or
/// exhausting memory.
struct TemplateLimits {
  std::size_t max_source_bytes = 1 << 20;       // template text
  std::size_t max_output_bytes = 16 << 20;      // rendered text
  std::uint64_t max_loop_iterations = 1 << 20;  // over all loops of one render
  std::size_t max_call_depth = 64;              // macro / nested call recursion
  std::size_t max_parse_depth = 256;            // nesting of expressions and blocks
  std::uint64_t max_steps = 50'000'000;         // evaluated nodes (+1 per 8 bytes of text built)
  std::size_t max_value_bytes = 64 << 20;       // largest string or list built while rendering
  std::size_t max_nesting = 1024;               // nested evaluations at render time (C++ stack)
};

/// Everything transformers passes to a chat template. ordered_json keeps the keys in the order
/// the caller wrote them, as Python dicts do, so `tojson` output matches transformers.
struct ChatTemplateInputs {
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();  // OpenAI-style messages
  nlohmann::ordered_json tools = nullptr;  // list of tool schemas, or null (undefined)
  bool add_generation_prompt = true;
  std::string bos_token;
  std::string eos_token;
  std::string pad_token;
  std::string unk_token;
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();  // more variables (date_string)
  /// Also do what apply_chat_template does before rendering: drop message keys whose value is
  /// null (e.g. "content": null next to tool_calls) and refuse an empty conversation. Off by
  /// default, like transformers' render_jinja_template (some templates, DeepSeek's among them,
  /// fail on tool-call messages once the null content is dropped).
  bool like_apply_chat_template = false;
};

class CompiledTemplate;

class ChatTemplate {
 public:
  /// Parses a template. Throws Error(template_error) with line and column for a syntax error.
  static ChatTemplate parse(std::string_view source, const TemplateLimits& limits = {});

  ChatTemplate(ChatTemplate&&) noexcept;
  ChatTemplate& operator=(ChatTemplate&&) noexcept;
  ~ChatTemplate();

  /// Renders with transformers' variables. Throws Error(template_error) when the template calls
  /// raise_exception or fails (message includes the template's own text), Error(limit_exceeded)
  /// when a limit is hit. Like transformers, it copies a message's reasoning
  /// ("reasoning_content", "thinking" or "reasoning") under "thinking" and "reasoning_content",
  /// passes tools (None when null) and documents (None), and defines the special tokens that are
  /// not empty.
  std::string render(const ChatTemplateInputs& inputs) const;

  /// Renders with an arbitrary context object (its keys become template variables).
  std::string render_context(const nlohmann::ordered_json& context) const;

 private:
  explicit ChatTemplate(std::unique_ptr<CompiledTemplate> compiled);
  std::unique_ptr<CompiledTemplate> compiled_;
};

}  // namespace r1
