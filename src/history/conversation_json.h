// The JSON the History API speaks (see README "History API"), the export formats, and the
// parsing of request bodies into store calls. Kept apart from HTTP so it is tested without a
// server.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "history/conversation_store.h"

namespace r1::history {

/// {"id", "seq", "role", "content", "reasoning_content", "state", "stats", "created_at"}
nlohmann::ordered_json message_json(const Message& m);
/// {"id", "object": "conversation", "title", "created_at", "updated_at", "settings",
///  "message_count"} plus "messages" when with_messages.
nlohmann::ordered_json conversation_json(const Conversation& c, bool with_messages);
nlohmann::ordered_json summary_json(const ConversationSummary& s);

/// The export file: {"format": "r1-conversation", "version": 1, "title", "created_at",
/// "updated_at", "settings", "messages": [{role, content, reasoning_content, state, stats,
/// created_at}]}. Ids are left out: an import always makes a new conversation.
nlohmann::ordered_json export_json(const Conversation& c);
/// Markdown for people: the title as a heading, each message under its role, thinking in a
/// <details> block, a cut-off answer marked with its state.
std::string export_markdown(const Conversation& c);

/// A message from a request body object (role, content, optional reasoning_content, state,
/// stats, created_at). Throws StoreError(invalid) naming `param` + the field.
NewMessage parse_new_message(const nlohmann::json& body, const std::string& param = "");

struct ImportedConversation {
  std::string title;
  nlohmann::json settings = nlohmann::json::object();
  std::vector<NewMessage> messages;
  std::optional<std::int64_t> created_at;
};
/// Parses an export_json() document. Throws StoreError(invalid) naming the field at fault.
ImportedConversation parse_import(const nlohmann::json& body);

}  // namespace r1::history
