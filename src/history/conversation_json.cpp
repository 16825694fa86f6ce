#include "history/conversation_json.h"

namespace r1::history {
namespace {

using Kind = StoreError::Kind;

std::string join(const std::string& prefix, const std::string& field) {
  return prefix.empty() ? field : prefix + "." + field;
}

std::string string_field(const nlohmann::json& body, const char* name, const std::string& prefix,
                         bool required) {
  if (!body.contains(name) || body[name].is_null()) {
    if (required)
      throw StoreError(Kind::invalid, join(prefix, name) + " is required", join(prefix, name));
    return "";
  }
  if (!body[name].is_string())
    throw StoreError(Kind::invalid, join(prefix, name) + " must be a string", join(prefix, name));
  return body[name].get<std::string>();
}

std::optional<std::int64_t> time_field(const nlohmann::json& body, const char* name,
                                       const std::string& prefix) {
  if (!body.contains(name) || body[name].is_null()) return std::nullopt;
  if (!body[name].is_number_integer())
    throw StoreError(Kind::invalid,
                     join(prefix, name) + " must be an integer (milliseconds since 1970)",
                     join(prefix, name));
  return body[name].get<std::int64_t>();
}

}  // namespace

nlohmann::ordered_json message_json(const Message& m) {
  nlohmann::ordered_json out;
  out["id"] = m.id;
  out["seq"] = m.seq;
  out["role"] = m.role;
  out["content"] = m.content;
  out["reasoning_content"] = m.reasoning;
  out["state"] = state_name(m.state);
  out["stats"] = m.stats;
  out["created_at"] = m.created_at;
  return out;
}

nlohmann::ordered_json conversation_json(const Conversation& c, bool with_messages) {
  nlohmann::ordered_json out;
  out["id"] = c.id;
  out["object"] = "conversation";
  out["title"] = c.title;
  out["created_at"] = c.created_at;
  out["updated_at"] = c.updated_at;
  out["settings"] = c.settings;
  out["message_count"] = c.messages.size();
  if (with_messages) {
    out["messages"] = nlohmann::ordered_json::array();
    for (const Message& m : c.messages) out["messages"].push_back(message_json(m));
  }
  return out;
}

nlohmann::ordered_json summary_json(const ConversationSummary& s) {
  nlohmann::ordered_json out;
  out["id"] = s.id;
  out["object"] = "conversation";
  out["title"] = s.title;
  out["created_at"] = s.created_at;
  out["updated_at"] = s.updated_at;
  out["message_count"] = s.message_count;
  return out;
}

nlohmann::ordered_json export_json(const Conversation& c) {
  nlohmann::ordered_json out;
  out["format"] = "r1-conversation";
  out["version"] = 1;
  out["title"] = c.title;
  out["created_at"] = c.created_at;
  out["updated_at"] = c.updated_at;
  out["settings"] = c.settings;
  out["messages"] = nlohmann::ordered_json::array();
  for (const Message& m : c.messages) {
    nlohmann::ordered_json j;
    j["role"] = m.role;
    j["content"] = m.content;
    j["reasoning_content"] = m.reasoning;
    j["state"] = state_name(m.state);
    j["stats"] = m.stats;
    j["created_at"] = m.created_at;
    out["messages"].push_back(std::move(j));
  }
  return out;
}

std::string export_markdown(const Conversation& c) {
  std::string out = "# " + (c.title.empty() ? std::string("Conversation") : c.title) + "\n";
  for (const Message& m : c.messages) {
    const std::string role = m.role == "user"        ? "User"
                             : m.role == "assistant" ? "Assistant"
                                                     : "System";
    out += "\n## " + role + "\n\n";
    if (!m.reasoning.empty())
      out += "<details><summary>Thinking</summary>\n\n" + m.reasoning + "\n\n</details>\n\n";
    out += m.content + "\n";
    if (m.state != MessageState::complete)
      out += std::string("\n*(answer ") + state_name(m.state) + ")*\n";
  }
  return out;
}

NewMessage parse_new_message(const nlohmann::json& body, const std::string& prefix) {
  if (!body.is_object())
    throw StoreError(Kind::invalid, (prefix.empty() ? "the body" : prefix) + " must be an object",
                     prefix);
  NewMessage m;
  m.role = string_field(body, "role", prefix, true);
  m.content = string_field(body, "content", prefix, true);
  m.reasoning = string_field(body, "reasoning_content", prefix, false);
  const std::string state = string_field(body, "state", prefix, false);
  if (!state.empty()) {
    const auto parsed = parse_state(state);
    if (!parsed)
      throw StoreError(Kind::invalid,
                       join(prefix, "state") +
                           " must be complete, stopped, interrupted or error (the server never "
                           "stores a message in progress), not '" + state.substr(0, 40) + "'",
                       join(prefix, "state"));
    m.state = *parsed;
  }
  if (body.contains("stats")) m.stats = body["stats"];
  m.created_at = time_field(body, "created_at", prefix);
  ConversationStore::check_message(m, prefix);
  return m;
}

ImportedConversation parse_import(const nlohmann::json& body) {
  if (!body.is_object())
    throw StoreError(Kind::invalid, "an import is a JSON object as GET .../export?format=json "
                                    "writes it");
  if (!body.contains("format") || body["format"] != "r1-conversation")
    throw StoreError(Kind::invalid, "format must be \"r1-conversation\" (an r1 JSON export)",
                     "format");
  if (body.contains("version") && body["version"] != 1)
    throw StoreError(Kind::invalid, "version " + body["version"].dump() +
                                        " is not known; this r1 imports version 1",
                     "version");
  ImportedConversation out;
  out.title = string_field(body, "title", "", false);
  ConversationStore::check_title(out.title);
  if (body.contains("settings") && !body["settings"].is_null()) out.settings = body["settings"];
  ConversationStore::check_settings(out.settings);
  out.created_at = time_field(body, "created_at", "");
  if (!body.contains("messages") || !body["messages"].is_array())
    throw StoreError(Kind::invalid, "messages must be an array", "messages");
  const auto& messages = body["messages"];
  for (std::size_t i = 0; i < messages.size(); ++i)
    out.messages.push_back(parse_new_message(messages[i], "messages[" + std::to_string(i) + "]"));
  return out;
}

}  // namespace r1::history
