// The public API: transformers' chat template environment on top of the interpreter.
#include "r1/chat_template.h"

#include <memory>
#include <unordered_map>

#include "r1/error.h"
#include "template/errors.h"
#include "template/interpreter.h"
#include "template/lexer.h"
#include "template/parser.h"

namespace r1 {

class CompiledTemplate {
 public:
  tmpl::ParsedTemplate parsed;
  TemplateLimits limits;
};

namespace {

using tmpl::Value;

// JSON nests at most this deep when converted (deeper input would risk the stack).
constexpr int kMaxJsonDepth = 400;

template <typename Json>
Value to_value(const Json& j, int depth) {
  if (depth > kMaxJsonDepth) {
    throw Error(ErrorCode::limit_exceeded, "chat template input nests deeper than " +
                                               std::to_string(kMaxJsonDepth) + " levels");
  }
  switch (j.type()) {
    case nlohmann::json::value_t::null:
      return Value::none();
    case nlohmann::json::value_t::boolean:
      return Value::boolean(j.template get<bool>());
    case nlohmann::json::value_t::number_integer:
      return Value::integer(j.template get<std::int64_t>());
    case nlohmann::json::value_t::number_unsigned: {
      auto u = j.template get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(INT64_MAX)) return Value::floating(static_cast<double>(u));
      return Value::integer(static_cast<std::int64_t>(u));
    }
    case nlohmann::json::value_t::number_float:
      return Value::floating(j.template get<double>());
    case nlohmann::json::value_t::string:
      return Value::string(j.template get<std::string>());
    case nlohmann::json::value_t::array: {
      tmpl::ValueList items;
      items.reserve(j.size());
      for (const auto& item : j) items.push_back(to_value(item, depth + 1));
      return Value::list(std::move(items));
    }
    case nlohmann::json::value_t::object: {
      auto dict = std::make_shared<tmpl::Dict>();
      for (auto it = j.begin(); it != j.end(); ++it) {
        dict->set(Value::string(it.key()), to_value(it.value(), depth + 1));
      }
      return Value::dict(std::move(dict));
    }
    default:
      throw Error(ErrorCode::invalid_argument,
                  "chat template input holds a JSON value of unsupported type (binary)");
  }
}

// transformers' message preparation: apply_chat_template drops None-valued keys, then
// render_jinja_template aliases the reasoning fields ({"thinking": r, **message,
// "reasoning_content": r}).
template <typename Json>
Value prepare_message(const Json& message, bool drop_null_keys) {
  if (!message.is_object()) {
    throw Error(ErrorCode::invalid_argument,
                "chat messages must be JSON objects, got " + std::string(message.type_name()));
  }
  auto dict = std::make_shared<tmpl::Dict>();
  const Json* reasoning = nullptr;
  for (const char* field : {"reasoning_content", "thinking", "reasoning"}) {
    auto it = message.find(field);
    if (it != message.end() && !it->is_null()) {
      reasoning = &*it;
      break;
    }
  }
  Value reasoning_value;
  if (reasoning) {
    reasoning_value = to_value(*reasoning, 1);
    dict->set(Value::string("thinking"), reasoning_value);
  }
  for (auto it = message.begin(); it != message.end(); ++it) {
    if (drop_null_keys && it.value().is_null()) continue;
    dict->set(Value::string(it.key()), to_value(it.value(), 1));
  }
  if (reasoning) dict->set(Value::string("reasoning_content"), reasoning_value);
  return Value::dict(std::move(dict));
}

template <typename Inputs>
std::unordered_map<std::string, Value> chat_variables(const Inputs& inputs) {
  std::unordered_map<std::string, Value> vars;
  auto special = [&](const char* name, const std::string& token) {
    if (!token.empty()) vars[name] = Value::string(token);
  };
  special("bos_token", inputs.bos_token);
  special("eos_token", inputs.eos_token);
  special("pad_token", inputs.pad_token);
  special("unk_token", inputs.unk_token);
  if (!inputs.extra.is_null()) {
    if (!inputs.extra.is_object()) {
      throw Error(ErrorCode::invalid_argument,
                  "chat template extra variables must be a JSON object");
    }
    for (auto it = inputs.extra.begin(); it != inputs.extra.end(); ++it) {
      vars[it.key()] = to_value(it.value(), 0);
    }
  }
  if (!inputs.messages.is_array()) {
    throw Error(ErrorCode::invalid_argument, "chat template messages must be a JSON array");
  }
  if (inputs.like_apply_chat_template && inputs.messages.empty()) {
    throw Error(
        ErrorCode::invalid_argument,
        "Cannot apply chat template to an empty conversation. Provide at least one message.");
  }
  tmpl::ValueList messages;
  for (const auto& message : inputs.messages) {
    messages.push_back(prepare_message(message, inputs.like_apply_chat_template));
  }
  vars["messages"] = Value::list(std::move(messages));
  vars["tools"] = to_value(inputs.tools, 0);
  vars["documents"] = Value::none();
  vars["add_generation_prompt"] = Value::boolean(inputs.add_generation_prompt);
  return vars;
}

template <typename Json>
std::unordered_map<std::string, Value> context_variables(const Json& context) {
  if (!context.is_object()) {
    throw Error(ErrorCode::invalid_argument, "chat template context must be a JSON object");
  }
  std::unordered_map<std::string, Value> vars;
  for (auto it = context.begin(); it != context.end(); ++it)
    vars[it.key()] = to_value(it.value(), 0);
  return vars;
}

std::string run(const CompiledTemplate& compiled, std::unordered_map<std::string, Value> vars) {
  tmpl::Interpreter interpreter(compiled.parsed, compiled.limits);
  return interpreter.render(std::move(vars));
}

}  // namespace

ChatTemplate ChatTemplate::parse(std::string_view source, const TemplateLimits& limits) {
  if (source.size() > limits.max_source_bytes) {
    throw Error(ErrorCode::limit_exceeded, "chat template of " + std::to_string(source.size()) +
                                               " bytes exceeds max_source_bytes (" +
                                               std::to_string(limits.max_source_bytes) + ")");
  }
  auto compiled = std::make_unique<CompiledTemplate>();
  compiled->parsed = tmpl::parse_template(tmpl::lex_template(source), limits.max_parse_depth);
  compiled->limits = limits;
  return ChatTemplate(std::move(compiled));
}

ChatTemplate::ChatTemplate(std::unique_ptr<CompiledTemplate> compiled)
    : compiled_(std::move(compiled)) {}
ChatTemplate::ChatTemplate(ChatTemplate&&) noexcept = default;
ChatTemplate& ChatTemplate::operator=(ChatTemplate&&) noexcept = default;
ChatTemplate::~ChatTemplate() = default;

std::string ChatTemplate::render(const ChatTemplateInputs& inputs) const {
  return run(*compiled_, chat_variables(inputs));
}

std::string ChatTemplate::render_context(const nlohmann::ordered_json& context) const {
  return run(*compiled_, context_variables(context));
}

}  // namespace r1
