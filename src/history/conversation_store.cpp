#include "history/conversation_store.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>

#include "core/utf8.h"
#include "history/schema.h"
#include "history/sqlite_db.h"

namespace r1::history {
namespace {

using Kind = StoreError::Kind;

// Milliseconds since the epoch, strictly increasing within the process: the sidebar is ordered
// by updated_at, and two changes in the same millisecond must still keep their order.
std::int64_t now_ms() {
  static std::atomic<std::int64_t> last{0};
  const std::int64_t clock = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
  std::int64_t previous = last.load();
  std::int64_t next = 0;
  do {
    next = std::max(clock, previous + 1);
  } while (!last.compare_exchange_weak(previous, next));
  return next;
}

// 128 random bits written like a version-4 UUID: unguessable, so one conversation's URL does
// not reveal the others'.
std::string new_id() {
  static std::mutex mutex;
  static std::random_device device;
  std::lock_guard lock(mutex);
  unsigned char bytes[16];
  for (unsigned char& b : bytes) b = static_cast<unsigned char>(device() & 0xff);
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
                bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8],
                bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
  return out;
}

std::size_t code_points(std::string_view text) {
  std::size_t n = 0;
  for (const char c : text)
    if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) ++n;
  return n;
}

// The sidebar title a conversation gets from its first user message: the first non-empty line,
// at most 80 code points.
std::string title_from(std::string_view content) {
  std::size_t start = 0;
  while (start < content.size()) {
    std::size_t end = content.find('\n', start);
    if (end == std::string_view::npos) end = content.size();
    std::string_view line = content.substr(start, end - start);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t' || line.front() == '\r'))
      line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
      line.remove_suffix(1);
    if (!line.empty()) {
      std::size_t bytes = 0;
      std::size_t count = 0;
      while (bytes < line.size() && count < 80) {
        const std::size_t len = utf8::valid_sequence_length(line, bytes);
        bytes += len == 0 ? 1 : len;
        ++count;
      }
      return std::string(line.substr(0, bytes));
    }
    start = end + 1;
  }
  return "";
}

// LIKE pattern matching `text` literally anywhere (ESCAPE '\').
std::string contains_pattern(std::string_view text) {
  std::string out = "%";
  for (const char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  out += '%';
  return out;
}

nlohmann::json parse_stored_json(const std::string& text, nlohmann::json fallback) {
  if (text.empty()) return fallback;
  nlohmann::json value = nlohmann::json::parse(text, nullptr, false);
  return value.is_discarded() ? fallback : value;
}

constexpr const char* kMessageColumns =
    "id, seq, role, content, reasoning, state, stats, created_at";

Message read_message(const Statement& s) {
  Message m;
  m.id = s.column_int(0);
  m.seq = s.column_int(1);
  m.role = s.column_text(2);
  m.content = s.column_text(3);
  m.reasoning = s.column_text(4);
  m.state = parse_state(s.column_text(5)).value_or(MessageState::complete);
  m.stats = s.column_is_null(6) ? nlohmann::json() : parse_stored_json(s.column_text(6), nullptr);
  m.created_at = s.column_int(7);
  return m;
}

void require_utf8(const std::string& text, const std::string& param) {
  if (const auto bad = utf8::find_invalid(text))
    throw StoreError(Kind::invalid,
                     param + " is not valid UTF-8 (byte " + std::to_string(*bad) + ")", param);
}

std::string join(const std::string& prefix, const std::string& field) {
  return prefix.empty() ? field : prefix + "." + field;
}

}  // namespace

const char* state_name(MessageState state) {
  switch (state) {
    case MessageState::complete: return "complete";
    case MessageState::stopped: return "stopped";
    case MessageState::interrupted: return "interrupted";
    case MessageState::error: return "error";
  }
  return "complete";
}

std::optional<MessageState> parse_state(std::string_view text) {
  if (text == "complete") return MessageState::complete;
  if (text == "stopped") return MessageState::stopped;
  if (text == "interrupted") return MessageState::interrupted;
  if (text == "error") return MessageState::error;
  return std::nullopt;
}

void ConversationStore::check_title(const std::string& title, const std::string& param) {
  require_utf8(title, param);
  if (code_points(title) > kMaxTitleChars)
    throw StoreError(Kind::invalid,
                     param + " has " + std::to_string(code_points(title)) +
                         " characters; the limit is " + std::to_string(kMaxTitleChars),
                     param);
}

void ConversationStore::check_settings(const nlohmann::json& settings, const std::string& param) {
  if (!settings.is_object())
    throw StoreError(Kind::invalid, param + " must be a JSON object", param);
  const std::size_t size = settings.dump().size();
  if (size > kMaxSettingsBytes)
    throw StoreError(Kind::invalid,
                     param + " is " + std::to_string(size) + " bytes as JSON; the limit is " +
                         std::to_string(kMaxSettingsBytes),
                     param);
}

void ConversationStore::check_message(const NewMessage& m, const std::string& prefix) {
  if (m.role != "system" && m.role != "user" && m.role != "assistant")
    throw StoreError(Kind::invalid,
                     join(prefix, "role") + " must be system, user or assistant, not '" +
                         m.role.substr(0, 40) + "'",
                     join(prefix, "role"));
  for (const auto& [text, field] :
       {std::pair{&m.content, "content"}, std::pair{&m.reasoning, "reasoning_content"}}) {
    const std::string param = join(prefix, field);
    if (text->size() > kMaxMessageBytes)
      throw StoreError(Kind::invalid,
                       param + " is " + std::to_string(text->size()) +
                           " bytes; a message may hold at most " +
                           std::to_string(kMaxMessageBytes) + " bytes",
                       param);
    require_utf8(*text, param);
  }
  if (!m.stats.is_null()) {
    const std::string param = join(prefix, "stats");
    if (!m.stats.is_object())
      throw StoreError(Kind::invalid, param + " must be an object of numbers or null", param);
    for (const auto& [key, value] : m.stats.items())
      if (!value.is_number() && !value.is_null())
        throw StoreError(Kind::invalid, param + "." + key + " must be a number", param + "." + key);
    if (m.stats.dump().size() > kMaxStatsBytes)
      throw StoreError(Kind::invalid,
                       param + " is over " + std::to_string(kMaxStatsBytes) + " bytes", param);
  }
  if (m.created_at && *m.created_at < 0)
    throw StoreError(Kind::invalid, join(prefix, "created_at") + " must not be negative",
                     join(prefix, "created_at"));
}

namespace {

// The file is looked at read-only before anything may write to it: a corrupt file, a newer
// schema or another program's database must stay exactly as it was.
void preflight(const std::filesystem::path& file) {
  Database db(file, Database::Mode::read_only);
  Statement check = db.prepare("PRAGMA quick_check");
  if (!check.step()) throw std::runtime_error("PRAGMA quick_check returned nothing");
  const std::string result = check.column_text(0);
  if (result != "ok") throw std::runtime_error("it is damaged (quick_check: " + result + ")");
  const std::int64_t version = db.query_int("PRAGMA user_version");
  if (version > kSchemaVersion)
    throw std::runtime_error("it has schema version " + std::to_string(version) +
                             ", written by a newer r1 (this one knows up to " +
                             std::to_string(kSchemaVersion) + ")");
  if (version == 0 &&
      db.query_int("SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'") > 0)
    throw std::runtime_error("it is an SQLite database of some other program (it has tables "
                             "but no r1 schema version)");
}

std::string sqlite_reason(const SqliteError& e) {
  switch (e.primary()) {
    case SQLITE_NOTADB: return "it is not an SQLite database (damaged or some other file)";
    case SQLITE_CORRUPT: return std::string("it is damaged (") + e.what() + ")";
    default: return e.what();
  }
}

}  // namespace

ConversationStore::ConversationStore(const std::filesystem::path& file, StoreOptions options)
    : file_(file) {
  const std::string where = file.string();
  try {
    std::error_code ec;
    if (std::filesystem::exists(file, ec)) preflight(file);
    db_ = std::make_unique<Database>(file, Database::Mode::read_write_create);
    sqlite3_busy_timeout(db_->handle(), options.busy_timeout_ms);
    db_->exec("PRAGMA foreign_keys = ON");
    {
      Statement mode = db_->prepare("PRAGMA journal_mode = WAL");
      if (!mode.step() || mode.column_text(0) != "wal")
        throw std::runtime_error("SQLite could not switch it to WAL mode");
    }
    // FULL: a committed message survives a power cut too, not only a killed process; chat
    // messages are few, so the fsync per commit costs nothing noticeable.
    db_->exec("PRAGMA synchronous = FULL");
    if (options.max_bytes > 0) {
      const std::int64_t page = db_->query_int("PRAGMA page_size");
      const std::int64_t pages = std::max<std::int64_t>(options.max_bytes / page, 1);
      db_->query_int(("PRAGMA max_page_count = " + std::to_string(pages)).c_str());
    }
    migrate(*db_);
  } catch (const SqliteError& e) {
    db_.reset();
    throw StoreError(Kind::unavailable, "cannot use the history database " + where + ": " +
                                            sqlite_reason(e) +
                                            "; it was left as it was. Check the file and the "
                                            "permissions of its directory (--data-dir).");
  } catch (const std::runtime_error& e) {
    db_.reset();
    throw StoreError(Kind::unavailable,
                     "refusing to use the history database " + where + ": " + e.what() +
                         "; it was left untouched. Move it aside to start a new history, or "
                         "use the r1 that wrote it.");
  }
}

ConversationStore::~ConversationStore() = default;

std::filesystem::path ConversationStore::file_in(const std::filesystem::path& data_dir) {
  return data_dir / "history.sqlite3";
}

// Runs `body` under the mutex and turns SQLite failures into StoreErrors saying the history is
// not being saved and why, so the HTTP layer can answer 507/503 and chatting carries on.
template <typename F>
auto ConversationStore::guarded(const char* what, F&& body) {
  std::lock_guard lock(mutex_);
  try {
    return body();
  } catch (const SqliteError& e) {
    const std::string tail = " (" + file_.string() + ", while " + what +
                             "); chatting keeps working but history is not being saved";
    switch (e.primary()) {
      case SQLITE_FULL:
        throw StoreError(Kind::disk_full,
                         "the disk is full or the history size limit is reached" + tail +
                             ". Free space under --data-dir or raise --history-max-bytes.");
      case SQLITE_READONLY:
      case SQLITE_PERM:
      case SQLITE_CANTOPEN:
        throw StoreError(Kind::not_saved, std::string("the history database is read-only: ") +
                                              e.what() + tail +
                                              ". Check the permissions of --data-dir.");
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
        throw StoreError(Kind::busy, "another writer held the history database too long" + tail +
                                         ". Retry shortly.");
      default:
        throw StoreError(Kind::not_saved, std::string("the history database failed: ") +
                                              sqlite_reason(e) + tail + ".");
    }
  }
}

Conversation ConversationStore::create(const std::string& title, const nlohmann::json& settings) {
  check_title(title);
  check_settings(settings);
  return guarded("creating a conversation", [&] {
    Conversation c;
    c.id = new_id();
    c.title = title;
    c.created_at = c.updated_at = now_ms();
    c.settings = settings;
    WriteTransaction tx(*db_);
    db_->prepare("INSERT INTO conversations (id, title, created_at, updated_at, settings) "
                 "VALUES (?1, ?2, ?3, ?3, ?4)")
        .bind(1, c.id)
        .bind(2, c.title)
        .bind(3, c.created_at)
        .bind(4, settings.dump())
        .run();
    tx.commit();
    return c;
  });
}

ConversationPage ConversationStore::list(const std::string& query, std::int64_t limit,
                                         std::int64_t offset) {
  if (limit < 1 || limit > kMaxListLimit)
    throw StoreError(Kind::invalid,
                     "limit must be between 1 and " + std::to_string(kMaxListLimit), "limit");
  if (offset < 0) throw StoreError(Kind::invalid, "offset must not be negative", "offset");
  require_utf8(query, "q");
  return guarded("listing conversations", [&] {
    static const std::string where =
        " WHERE ?1 = '' OR c.title LIKE ?2 ESCAPE '\\' OR EXISTS (SELECT 1 FROM messages m "
        "WHERE m.conversation_id = c.id AND m.content LIKE ?2 ESCAPE '\\')";
    const std::string pattern = contains_pattern(query);
    ReadTransaction tx(*db_);
    ConversationPage page;
    Statement count = db_->prepare("SELECT count(*) FROM conversations c" + where);
    count.bind(1, query).bind(2, pattern);
    if (count.step()) page.total = count.column_int(0);
    Statement rows = db_->prepare(
        "SELECT c.id, c.title, c.created_at, c.updated_at, (SELECT count(*) FROM messages m2 "
        "WHERE m2.conversation_id = c.id) FROM conversations c" +
        where + " ORDER BY c.updated_at DESC, c.id LIMIT ?3 OFFSET ?4");
    rows.bind(1, query).bind(2, pattern).bind(3, limit).bind(4, offset);
    while (rows.step()) {
      page.items.push_back({rows.column_text(0), rows.column_text(1), rows.column_int(2),
                            rows.column_int(3), rows.column_int(4)});
    }
    return page;
  });
}

Conversation ConversationStore::get(const std::string& id) {
  return guarded("reading a conversation", [&] {
    ReadTransaction tx(*db_);
    Statement s = db_->prepare(
        "SELECT id, title, created_at, updated_at, settings FROM conversations WHERE id = ?1");
    s.bind(1, id);
    if (!s.step()) throw StoreError(Kind::not_found, "no conversation with id '" + id + "'");
    Conversation c;
    c.id = s.column_text(0);
    c.title = s.column_text(1);
    c.created_at = s.column_int(2);
    c.updated_at = s.column_int(3);
    c.settings = parse_stored_json(s.column_text(4), nlohmann::json::object());
    Statement m = db_->prepare(std::string("SELECT ") + kMessageColumns +
                               " FROM messages WHERE conversation_id = ?1 ORDER BY seq");
    m.bind(1, id);
    while (m.step()) c.messages.push_back(read_message(m));
    return c;
  });
}

Conversation ConversationStore::update(const std::string& id,
                                       const std::optional<std::string>& title,
                                       const std::optional<nlohmann::json>& settings) {
  if (title) check_title(*title);
  if (settings) check_settings(*settings);
  guarded("updating a conversation", [&] {
    WriteTransaction tx(*db_);
    db_->prepare("UPDATE conversations SET title = coalesce(?2, title), "
                 "settings = coalesce(?3, settings), updated_at = ?4 WHERE id = ?1")
        .bind(1, id)
        .bind_optional(2, title)
        .bind_optional(3, settings ? std::optional<std::string>(settings->dump()) : std::nullopt)
        .bind(4, now_ms())
        .run();
    if (db_->changes() == 0) throw StoreError(Kind::not_found, "no conversation with id '" + id + "'");
    tx.commit();
  });
  return get(id);
}

bool ConversationStore::remove(const std::string& id) {
  return guarded("deleting a conversation", [&] {
    WriteTransaction tx(*db_);
    db_->prepare("DELETE FROM conversations WHERE id = ?1").bind(1, id).run();
    const bool existed = db_->changes() > 0;
    tx.commit();
    return existed;
  });
}

namespace {

void insert_message(Database& db, const std::string& conversation, std::int64_t seq,
                    const NewMessage& m, Message& out) {
  out.seq = seq;
  out.role = m.role;
  out.content = m.content;
  out.reasoning = m.reasoning;
  out.state = m.state;
  out.stats = m.stats;
  out.created_at = m.created_at.value_or(now_ms());
  db.prepare("INSERT INTO messages (conversation_id, seq, role, content, reasoning, state, stats, "
             "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
      .bind(1, conversation)
      .bind(2, seq)
      .bind(3, m.role)
      .bind(4, m.content)
      .bind(5, m.reasoning)
      .bind(6, std::string_view(state_name(m.state)))
      .bind_optional(7, m.stats.is_null() ? std::nullopt : std::optional<std::string>(m.stats.dump()))
      .bind(8, out.created_at)
      .run();
  out.id = db.last_insert_rowid();
}

}  // namespace

Message ConversationStore::append(const std::string& id, const NewMessage& message,
                                  std::optional<std::int64_t> replace_from_seq) {
  check_message(message);
  return guarded("saving a message", [&] {
    WriteTransaction tx(*db_);
    Statement c = db_->prepare("SELECT title FROM conversations WHERE id = ?1");
    c.bind(1, id);
    if (!c.step()) throw StoreError(Kind::not_found, "no conversation with id '" + id + "'");
    const bool untitled = c.column_text(0).empty();
    Statement last_stmt = db_->prepare(
        "SELECT coalesce(max(seq), 0), count(*) FROM messages WHERE conversation_id = ?1");
    last_stmt.bind(1, id);
    last_stmt.step();
    const std::int64_t last = last_stmt.column_int(0);
    std::int64_t seq = last + 1;
    if (replace_from_seq) {
      const std::int64_t k = *replace_from_seq;
      if (k < 1 || k > last + 1)
        throw StoreError(Kind::conflict,
                         "replace_from_seq is " + std::to_string(k) +
                             " but the conversation has messages 1.." + std::to_string(last) +
                             "; reload the conversation and retry",
                         "replace_from_seq");
      db_->prepare("DELETE FROM messages WHERE conversation_id = ?1 AND seq >= ?2")
          .bind(1, id)
          .bind(2, k)
          .run();
      seq = k;
    } else if (static_cast<std::size_t>(last_stmt.column_int(1)) >= kMaxMessagesPerConversation) {
      throw StoreError(Kind::invalid,
                       "the conversation already has " +
                           std::to_string(kMaxMessagesPerConversation) +
                           " messages, the limit; start a new one",
                       "messages");
    }
    Message out;
    insert_message(*db_, id, seq, message, out);
    const std::string title =
        untitled && message.role == "user" ? title_from(message.content) : std::string();
    db_->prepare("UPDATE conversations SET updated_at = ?2, "
                 "title = CASE WHEN ?3 = '' THEN title ELSE ?3 END WHERE id = ?1")
        .bind(1, id)
        .bind(2, now_ms())
        .bind(3, title)
        .run();
    tx.commit();
    return out;
  });
}

Conversation ConversationStore::insert_whole(const std::string& title,
                                             const nlohmann::json& settings,
                                             const std::vector<NewMessage>& messages,
                                             std::optional<std::int64_t> created_at) {
  check_title(title);
  check_settings(settings);
  if (messages.size() > kMaxMessagesPerConversation)
    throw StoreError(Kind::invalid,
                     "a conversation may hold at most " +
                         std::to_string(kMaxMessagesPerConversation) + " messages",
                     "messages");
  for (std::size_t i = 0; i < messages.size(); ++i)
    check_message(messages[i], "messages[" + std::to_string(i) + "]");
  std::string derived = title;
  if (derived.empty())
    for (const NewMessage& m : messages)
      if (m.role == "user") {
        derived = title_from(m.content);
        break;
      }
  const std::string id = guarded("importing a conversation", [&] {
    const std::string new_conversation = new_id();
    const std::int64_t now = now_ms();
    WriteTransaction tx(*db_);
    db_->prepare("INSERT INTO conversations (id, title, created_at, updated_at, settings) "
                 "VALUES (?1, ?2, ?3, ?4, ?5)")
        .bind(1, new_conversation)
        .bind(2, derived)
        .bind(3, created_at.value_or(now))
        .bind(4, now)
        .bind(5, settings.dump())
        .run();
    Message ignored;
    for (std::size_t i = 0; i < messages.size(); ++i)
      insert_message(*db_, new_conversation, static_cast<std::int64_t>(i + 1), messages[i], ignored);
    tx.commit();
    return new_conversation;
  });
  return get(id);
}

OpenedHistory open_history(const std::filesystem::path& data_dir, StoreOptions options) {
  OpenedHistory out;
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    out.error = "cannot create the data directory " + data_dir.string() + ": " + ec.message() +
                "; choose a writable one with --data-dir";
    return out;
  }
  try {
    out.store = std::make_shared<ConversationStore>(ConversationStore::file_in(data_dir), options);
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  return out;
}

}  // namespace r1::history
