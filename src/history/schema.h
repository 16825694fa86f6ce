// The history database's schema and its migrations. PRAGMA user_version holds the schema version:
// 0 is a new empty file, 1 the first release (conversations and messages), 2 the current one
// (messages gained `state` and `stats`). Every earlier version migrates forward in one
// transaction; a newer version is refused, never downgraded.
#pragma once

#include <cstdint>

#include "history/sqlite_db.h"

namespace r1::history {

inline constexpr std::int64_t kSchemaVersion = 2;

/// The version-1 schema exactly as the first release created it (kept so tests can build a v1
/// database and migrations have a fixed starting point).
extern const char* const kSchemaV1;

/// Brings the database to kSchemaVersion inside one write transaction. Throws SqliteError when
/// SQLite fails, and std::runtime_error (with a message for the user) when the file holds a
/// newer version or tables that are not r1's.
void migrate(Database& db);

}  // namespace r1::history
