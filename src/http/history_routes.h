// The History API under /api/conversations (README "Web chat" → "History API"): JSON only, a
// body needs Content-Type: application/json (415 otherwise; with the page's CSP this is the CSRF
// defence, as a cross-site form cannot send that type). Errors are OpenAI error objects; a
// history that cannot be saved is 507 (disk full) or 503 (read-only, I/O, unavailable at start)
// while /v1 keeps working. The API-key check of the pre-routing handler covers /api/* too.
//
//   GET    /api/conversations?q=&limit=50&offset=0   list (newest update first), search
//   POST   /api/conversations                         {title?, settings?} → 201 conversation
//   POST   /api/conversations/import                  an export?format=json document → 201
//   GET    /api/conversations/{id}                    with messages
//   PATCH  /api/conversations/{id}                    {title?, settings?}
//   DELETE /api/conversations/{id}                    → 204
//   POST   /api/conversations/{id}/messages           {role, content, reasoning_content?, state?,
//                                                      stats?, replace_from_seq?} → 201 message
//   GET    /api/conversations/{id}/export?format=json|markdown
#pragma once

#include <memory>
#include <string>

namespace httplib {
class Server;
}

namespace r1::history {
class ConversationStore;
}

namespace r1::http {

/// True for the paths these routes serve (for the API-key check and 405s).
bool is_history_path(const std::string& path);

/// `store` null: every route answers 503 "history unavailable: <unavailable_reason>".
void register_history_routes(httplib::Server& server,
                             std::shared_ptr<history::ConversationStore> store,
                             std::string unavailable_reason);

}  // namespace r1::http
