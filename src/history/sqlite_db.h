// A thin RAII layer over the sqlite3 C API: one connection, prepared statements with bound
// parameters only (no SQL is ever built from values), and errors that keep SQLite's result code
// so the store can tell "disk full" from "read-only" from "corrupt".
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace r1::history {

/// A failed SQLite call: `code` is the extended result code, the message names the operation.
class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& message) : std::runtime_error(message), code(code) {}
  int code;
  int primary() const { return code & 0xff; }
};

class Statement;

class Database {
 public:
  enum class Mode { read_only, read_write_create };
  Database(const std::filesystem::path& path, Mode mode);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  /// Runs SQL without parameters (schema, pragmas, BEGIN/COMMIT).
  void exec(const char* sql);
  Statement prepare(std::string_view sql);
  /// The single integer a query like "PRAGMA user_version" returns.
  std::int64_t query_int(const char* sql);
  std::int64_t last_insert_rowid() const;
  int changes() const;
  sqlite3* handle() const { return db_; }

  /// Throws SqliteError for `rc` when it is not SQLITE_OK/ROW/DONE, naming `what`.
  void check(int rc, std::string_view what) const;

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

class Statement {
 public:
  Statement(Database& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt) {}
  ~Statement();
  Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
    other.stmt_ = nullptr;
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are numbered from 1, as in SQLite.
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, double value);
  Statement& bind_null(int index);
  Statement& bind_optional(int index, const std::optional<std::string>& text);  // nullopt: NULL

  /// Steps once: true when a row is available, false when done.
  bool step();
  /// Steps until done (for INSERT/UPDATE/DELETE).
  void run();

  std::int64_t column_int(int index) const;
  double column_double(int index) const;
  std::string column_text(int index) const;
  bool column_is_null(int index) const;

 private:
  Database* db_;
  sqlite3_stmt* stmt_;
};

/// BEGIN IMMEDIATE (takes the write lock up front, so busy_timeout waits for it instead of a
/// deferred transaction failing later with SQLITE_BUSY); ROLLBACK unless commit() was called.
class WriteTransaction {
 public:
  explicit WriteTransaction(Database& db);
  ~WriteTransaction();
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

/// A read transaction: every query inside sees one snapshot.
class ReadTransaction {
 public:
  explicit ReadTransaction(Database& db);
  ~ReadTransaction();

 private:
  Database& db_;
};

}  // namespace r1::history
