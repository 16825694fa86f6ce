#include "history/schema.h"

#include <string>

namespace r1::history {

const char* const kSchemaV1 = R"sql(
CREATE TABLE conversations (
  id TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  settings TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  role TEXT NOT NULL,
  content TEXT NOT NULL,
  reasoning TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  UNIQUE (conversation_id, seq)
);
CREATE INDEX conversations_by_update ON conversations(updated_at DESC);
)sql";

namespace {

// Version 1 → 2: an answer cut off by Stop, a disconnect or an error is saved with its state
// (rows of version 1 were all complete answers), and the tokens / speed / TTFT under each answer
// are kept as a JSON object.
const char* const kV1ToV2 = R"sql(
ALTER TABLE messages ADD COLUMN state TEXT NOT NULL DEFAULT 'complete'
  CHECK (state IN ('complete', 'stopped', 'interrupted', 'error'));
ALTER TABLE messages ADD COLUMN stats TEXT;
)sql";

bool has_foreign_tables(Database& db) {
  return db.query_int("SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'") > 0;
}

}  // namespace

void migrate(Database& db) {
  WriteTransaction tx(db);
  // Read inside the write lock: another process may have migrated since we looked.
  std::int64_t version = db.query_int("PRAGMA user_version");
  if (version > kSchemaVersion) {
    throw std::runtime_error("it has schema version " + std::to_string(version) +
                             ", written by a newer r1 (this one knows up to " +
                             std::to_string(kSchemaVersion) + ")");
  }
  if (version < 0) throw std::runtime_error("it has a negative schema version");
  if (version == 0) {
    if (has_foreign_tables(db))
      throw std::runtime_error("it is an SQLite database of some other program (it has tables "
                               "but no r1 schema version)");
    db.exec(kSchemaV1);
    version = 1;
  }
  if (version == 1) {
    db.exec(kV1ToV2);
    version = 2;
  }
  // PRAGMA takes no bound parameters; the value is our own constant.
  db.exec(("PRAGMA user_version = " + std::to_string(version)).c_str());
  tx.commit();
}

}  // namespace r1::history
