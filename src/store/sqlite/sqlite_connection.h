// One SQLite connection with its prepared-statement cache; used by one thread at a time.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/result.h"
#include "store/sqlite/sqlite_store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace fleetpki::store {

/// Maps a SQLite result code to an Error: UNIQUE/PRIMARY KEY constraint → AlreadyExists, FOREIGN KEY
/// constraint → FailedPrecondition, BUSY/LOCKED → Unavailable, anything else → Internal. The SQL
/// error text goes to Error::detail.
Error sqlite_error(sqlite3* db, int rc, std::string_view where);

class SqliteConnection final {
 public:
  /// Opens `path`: read-write (creating it) for the writer, read-only for pool readers. Sets
  /// extended result codes, busy_timeout and foreign_keys; the caller sets the journal mode.
  static Result<std::unique_ptr<SqliteConnection>> open(const std::filesystem::path& path,
                                                        bool read_only, int busy_timeout_ms);
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  sqlite3* handle() const { return db_; }

  /// Runs one or more statements without results (DDL, BEGIN/COMMIT, PRAGMAs that return nothing).
  Status exec(const char* sql, std::string_view where);
  /// A prepared statement, compiled once per connection and cached by its text. The statement is
  /// owned by the connection; wrap it in a Statement, which resets it after use.
  Result<sqlite3_stmt*> prepare(const std::string& sql);
  /// True while a transaction is open on this connection.
  bool in_transaction() const;

 private:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace fleetpki::store
