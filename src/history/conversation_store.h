// The web chat's conversations, kept in <data-dir>/history.sqlite3 (SQLite from Debian's
// libsqlite3): WAL journal, 5 s busy timeout (two tabs, or two processes, writing at once both
// succeed), foreign keys on, schema version in PRAGMA user_version with migrations (schema.h).
//
// Opening never overwrites what it does not understand: the file is first opened read-only and
// checked (PRAGMA quick_check, schema version); a corrupt file, one of a newer r1 or another
// program's database is refused with a message and left byte for byte as it was.
//
// Every message is written when it is complete, one transaction per message (or per tail
// replacement), so a process killed mid-write leaves either the whole message or none of it.
// The server never stores a message "in progress": the page saves an answer that Stop, a
// disconnect or an error cut short with state stopped / interrupted / error.
//
// All methods are thread-safe (one connection, one mutex). Errors are StoreError; `kind` says
// whether the caller asked for something wrong or the history could not be saved.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "r1/error.h"

namespace r1::history {

class Database;

// Size caps. Titles count Unicode code points; contents count bytes.
inline constexpr std::size_t kMaxTitleChars = 200;
inline constexpr std::size_t kMaxMessageBytes = 1u << 20;  // content, and reasoning, each
inline constexpr std::size_t kMaxSettingsBytes = 64u << 10;
inline constexpr std::size_t kMaxStatsBytes = 4u << 10;
inline constexpr std::int64_t kMaxListLimit = 200;
inline constexpr std::size_t kMaxMessagesPerConversation = 10000;

class StoreError : public Error {
 public:
  enum class Kind {
    invalid,      // a field is missing, of the wrong type or over a cap (HTTP 400)
    not_found,    // no conversation with that id (404)
    conflict,     // replace_from_seq beyond the end of the conversation (409)
    disk_full,    // SQLITE_FULL, or --history-max-bytes reached (507)
    not_saved,    // the file or directory is read-only, an I/O error (503)
    busy,         // another writer held the lock past the busy timeout (503)
    unavailable,  // the database could not be opened at start (503)
  };
  StoreError(Kind kind, const std::string& message, std::string param = "")
      : Error(kind == Kind::invalid ? ErrorCode::invalid_argument : ErrorCode::io_error, message),
        kind(kind),
        param(std::move(param)) {}
  Kind kind;
  std::string param;  // the request field at fault, for Kind::invalid
};

enum class MessageState { complete, stopped, interrupted, error };
const char* state_name(MessageState state);
/// Parses "complete" | "stopped" | "interrupted" | "error".
std::optional<MessageState> parse_state(std::string_view text);

struct Message {
  std::int64_t id = 0;
  std::int64_t seq = 0;  // 1, 2, 3 … within its conversation
  std::string role;      // system | user | assistant
  std::string content;
  std::string reasoning;  // the thinking (reasoning_content)
  MessageState state = MessageState::complete;
  nlohmann::json stats;        // null, or {"tokens": 123, "tokens_per_second": 20.5, …}
  std::int64_t created_at = 0;  // milliseconds since the Unix epoch
};

struct NewMessage {
  std::string role;
  std::string content;
  std::string reasoning;
  MessageState state = MessageState::complete;
  nlohmann::json stats;                  // null or an object of numbers
  std::optional<std::int64_t> created_at;  // import keeps the original time
};

struct ConversationSummary {
  std::string id;
  std::string title;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  std::int64_t message_count = 0;
};

struct Conversation {
  std::string id;
  std::string title;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  nlohmann::json settings = nlohmann::json::object();
  std::vector<Message> messages;
};

struct ConversationPage {
  std::vector<ConversationSummary> items;  // newest update first
  std::int64_t total = 0;                  // matching conversations in all pages
};

struct StoreOptions {
  int busy_timeout_ms = 5000;
  /// 0: unlimited. Otherwise the database may not grow beyond this (rounded down to pages);
  /// writes beyond it fail as Kind::disk_full, like a full disk.
  std::int64_t max_bytes = 0;
};

class ConversationStore {
 public:
  /// Opens or creates `file` (its directory must exist). Throws StoreError(unavailable) with a
  /// one-line reason when it cannot: corrupt, newer schema, not r1's, no permission.
  explicit ConversationStore(const std::filesystem::path& file, StoreOptions options = {});
  ~ConversationStore();

  /// The file under a data directory: <dir>/history.sqlite3.
  static std::filesystem::path file_in(const std::filesystem::path& data_dir);

  /// A new conversation; an empty title is set from the first user message later.
  Conversation create(const std::string& title = "",
                      const nlohmann::json& settings = nlohmann::json::object());
  /// Page of conversations, newest update first; `query` (optional) matches titles and message
  /// contents as a plain substring, case-insensitively for ASCII (% and _ are literal).
  ConversationPage list(const std::string& query, std::int64_t limit, std::int64_t offset);
  /// With its messages in order. Throws not_found.
  Conversation get(const std::string& id);
  /// Rename and/or replace the settings. Throws not_found.
  Conversation update(const std::string& id, const std::optional<std::string>& title,
                      const std::optional<nlohmann::json>& settings);
  /// True when it existed (its messages go with it).
  bool remove(const std::string& id);
  /// Appends a message, or with `replace_from_seq` = k first deletes messages k, k+1, … and puts
  /// this one at seq k (Edit and resend, Regenerate), all in one transaction. k may be
  /// 1 … last seq + 1 (the latter is a plain append); beyond is a conflict.
  Message append(const std::string& id, const NewMessage& message,
                 std::optional<std::int64_t> replace_from_seq = std::nullopt);
  /// A whole conversation at once (import), in one transaction; a new id is given.
  Conversation insert_whole(const std::string& title, const nlohmann::json& settings,
                            const std::vector<NewMessage>& messages,
                            std::optional<std::int64_t> created_at = std::nullopt);

  /// Validation shared with the HTTP layer (throws StoreError(invalid) naming `param`).
  static void check_title(const std::string& title, const std::string& param = "title");
  static void check_settings(const nlohmann::json& settings, const std::string& param = "settings");
  static void check_message(const NewMessage& message, const std::string& param = "");

 private:
  template <typename F>
  auto guarded(const char* what, F&& body);

  std::unique_ptr<Database> db_;
  std::filesystem::path file_;
  std::mutex mutex_;
};

/// What `r1 serve` holds: the store, or why there is none (the server runs either way).
struct OpenedHistory {
  std::shared_ptr<ConversationStore> store;
  std::string error;  // one line, set when store is null
};

/// Creates the data directory if needed and opens the store in it; never throws.
OpenedHistory open_history(const std::filesystem::path& data_dir, StoreOptions options = {});

}  // namespace r1::history
