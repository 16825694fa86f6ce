// What the store does with the file it finds: migrates a version-1 database, refuses a newer,
// corrupt or foreign one without changing a byte, and reports a directory it cannot write to.
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "history/conversation_store.h"
#include "history_test_support.h"

namespace r1::history {
namespace {

using testing::file_bytes;
using testing::fresh_dir;
using testing::write_bytes;

void raw_sql(const std::filesystem::path& file, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &error), SQLITE_OK) << error;
  sqlite3_close(db);
}

std::string unavailable_message(const std::filesystem::path& file) {
  try {
    ConversationStore store(file);
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind, StoreError::Kind::unavailable);
    return e.what();
  }
  ADD_FAILURE() << "the store opened " << file;
  return "";
}

// Written here by hand, as the first release's schema was, not taken from the code under test.
constexpr const char* kVersion1Database = R"sql(
CREATE TABLE conversations (id TEXT PRIMARY KEY, title TEXT NOT NULL, created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL, settings TEXT NOT NULL DEFAULT '{}');
CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT,
  conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL, role TEXT NOT NULL, content TEXT NOT NULL, reasoning TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL, UNIQUE (conversation_id, seq));
CREATE INDEX conversations_by_update ON conversations(updated_at DESC);
INSERT INTO conversations VALUES ('old-1', 'From v1', 1000, 2000, '{"temperature":0.7}');
INSERT INTO messages (conversation_id, seq, role, content, reasoning, created_at)
  VALUES ('old-1', 1, 'user', 'hello', '', 1000), ('old-1', 2, 'assistant', 'hi!', 'greet', 1500);
PRAGMA user_version = 1;
)sql";

TEST(StoreFiles, MigratesAVersion1Database) {
  const auto file = fresh_dir("v1") / "history.sqlite3";
  raw_sql(file, kVersion1Database);
  {
    ConversationStore store(file);
    const Conversation c = store.get("old-1");
    EXPECT_EQ(c.title, "From v1");
    EXPECT_EQ(c.settings["temperature"], 0.7);
    ASSERT_EQ(c.messages.size(), 2u);
    EXPECT_EQ(c.messages[1].reasoning, "greet");
    EXPECT_EQ(c.messages[1].state, MessageState::complete);  // v1 held only complete answers
    EXPECT_TRUE(c.messages[1].stats.is_null());
    NewMessage cut;
    cut.role = "assistant";
    cut.content = "partial";
    cut.state = MessageState::interrupted;
    cut.stats = {{"tokens", 3}};
    store.append("old-1", cut, 2);  // the new columns take values
    EXPECT_EQ(store.get("old-1").messages[1].state, MessageState::interrupted);
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, nullptr);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(s, 0), 2);
  sqlite3_finalize(s);
  sqlite3_close(db);
  ConversationStore again(file);  // a migrated file opens as current
  EXPECT_EQ(again.get("old-1").messages.size(), 2u);
}

TEST(StoreFiles, RefusesANewerSchemaWithoutTouchingIt) {
  const auto dir = fresh_dir("newer");
  const auto file = dir / "history.sqlite3";
  raw_sql(file, "CREATE TABLE future (x); PRAGMA user_version = 99;");
  const std::string before = file_bytes(file);
  const std::string message = unavailable_message(file);
  EXPECT_NE(message.find("99"), std::string::npos) << message;
  EXPECT_NE(message.find("newer r1"), std::string::npos) << message;
  EXPECT_NE(message.find(file.string()), std::string::npos) << message;
  EXPECT_TRUE(file_bytes(file) == before) << "the file was changed";
  EXPECT_FALSE(std::filesystem::exists(dir / "history.sqlite3-wal"));
  // and through open_history, as r1 serve calls it
  EXPECT_EQ(open_history(dir).store, nullptr);
  EXPECT_TRUE(file_bytes(file) == before) << "the file was changed";
}

TEST(StoreFiles, RefusesACorruptFileWithoutTouchingIt) {
  const auto dir = fresh_dir("corrupt");
  const auto file = dir / "history.sqlite3";
  std::string garbage;
  std::mt19937 random(42);
  for (int i = 0; i < 8192; ++i) garbage += static_cast<char>(random() & 0xff);
  write_bytes(file, garbage);
  const std::string message = unavailable_message(file);
  EXPECT_NE(message.find("not an SQLite database"), std::string::npos) << message;
  EXPECT_NE(message.find("left"), std::string::npos) << message;
  EXPECT_TRUE(file_bytes(file) == garbage) << "the file was changed";
}

TEST(StoreFiles, RefusesADamagedDatabaseWithoutTouchingIt) {
  const auto dir = fresh_dir("damaged");
  const auto file = dir / "history.sqlite3";
  {
    ConversationStore store(file);
    for (int i = 0; i < 50; ++i) store.create("conversation " + std::to_string(i));
  }  // closing checkpoints the WAL into the main file
  std::string bytes = file_bytes(file);
  ASSERT_GT(bytes.size(), 3 * 4096u);
  for (std::size_t i = 4096 + 100; i < 2 * 4096; ++i) bytes[i] = static_cast<char>(0xA5);
  write_bytes(file, bytes);
  unavailable_message(file);
  EXPECT_TRUE(file_bytes(file) == bytes) << "the file was changed";
}

TEST(StoreFiles, RefusesAnotherProgramsDatabase) {
  const auto file = fresh_dir("foreign") / "history.sqlite3";
  raw_sql(file, "CREATE TABLE bookmarks (url TEXT);");
  const std::string before = file_bytes(file);
  EXPECT_NE(unavailable_message(file).find("some other program"), std::string::npos);
  EXPECT_TRUE(file_bytes(file) == before) << "the file was changed";
}

// A data directory the store cannot create files in. As root, chmod 0555 does not stop writes,
// so then the "directory" is below a regular file, which fails for everyone (ENOTDIR).
TEST(StoreFiles, UnwritableDataDirIsReportedNotFatal) {
  const auto dir = fresh_dir("ro");
  std::filesystem::path data_dir;
  if (geteuid() == 0) {
    write_bytes(dir / "a-file", "x");
    data_dir = dir / "a-file" / "r1";
  } else {
    data_dir = dir / "locked";
    std::filesystem::create_directories(data_dir);
    chmod(data_dir.c_str(), 0555);
  }
  const OpenedHistory opened = open_history(data_dir);
  EXPECT_EQ(opened.store, nullptr);
  EXPECT_NE(opened.error.find(data_dir.string()), std::string::npos) << opened.error;
  EXPECT_NE(opened.error.find("--data-dir"), std::string::npos) << opened.error;
  if (geteuid() != 0) chmod(data_dir.c_str(), 0755);
}

// A full disk while running (simulated with --history-max-bytes, i.e. SQLite's max_page_count):
// the write fails as disk_full, nothing half-written stays, and smaller writes work again.
TEST(StoreFiles, FullDiskIsADiskFullErrorAndTheStoreKeepsWorking) {
  const auto file = fresh_dir("full") / "history.sqlite3";
  ConversationStore store(file, {.max_bytes = 64 * 1024});
  const std::string id = store.create("t").id;
  NewMessage big;
  big.role = "user";
  big.content = std::string(200 * 1024, 'x');
  try {
    store.append(id, big);
    FAIL() << "a 200 KiB message fit into a 64 KiB database";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind, StoreError::Kind::disk_full);
    EXPECT_NE(std::string(e.what()).find("not being saved"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(store.get(id).messages.empty());
  big.content = "small";
  EXPECT_EQ(store.append(id, big).seq, 1);
}

}  // namespace
}  // namespace r1::history
