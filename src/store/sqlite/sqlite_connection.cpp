// SqliteConnection: opening, pragmas, error mapping and the prepared-statement cache.
#include "store/sqlite/sqlite_connection.h"

#include <sqlite3.h>

namespace fleetpki::store {

Error sqlite_error(sqlite3* db, int rc, std::string_view where) {
  std::string detail(where);
  detail += ": ";
  detail += db != nullptr ? ::sqlite3_errmsg(db) : ::sqlite3_errstr(rc);
  detail += " (";
  detail += ::sqlite3_errstr(rc);
  detail += ", code " + std::to_string(rc) + ")";
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return make_error(Errc::AlreadyExists, "already exists", std::move(detail));
      }
      if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
        return make_error(Errc::FailedPrecondition, "a referenced record does not exist",
                          std::move(detail));
      }
      return make_error(Errc::Internal, "database constraint violated", std::move(detail));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return make_error(Errc::Unavailable, "database busy", std::move(detail));
    default:
      return make_error(Errc::Internal, "database error", std::move(detail));
  }
}

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::open(const std::filesystem::path& path,
                                                                  bool read_only,
                                                                  int busy_timeout_ms) {
  // NOMUTEX: each connection is used by one thread at a time (the writer mutex or the pool lease).
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE |
              (read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  sqlite3* db = nullptr;
  int rc = ::sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Error error = sqlite_error(db, rc, "sqlite3_open_v2 " + path.string());
    ::sqlite3_close_v2(db);  // a handle is returned even on failure (NULL only on OOM)
    error.message = "cannot open the database";
    return fail(std::move(error));
  }
  std::unique_ptr<SqliteConnection> conn(new SqliteConnection(db));
  if ((rc = ::sqlite3_extended_result_codes(db, 1)) != SQLITE_OK) {
    return fail(sqlite_error(db, rc, "sqlite3_extended_result_codes"));
  }
  if ((rc = ::sqlite3_busy_timeout(db, busy_timeout_ms)) != SQLITE_OK) {
    return fail(sqlite_error(db, rc, "sqlite3_busy_timeout"));
  }
  FLEETPKI_RETURN_IF_ERROR(conn->exec("PRAGMA foreign_keys = ON", "enable foreign keys"));
  return conn;
}

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, stmt] : statements_) {
    ::sqlite3_finalize(stmt);  // the code repeats the last step's error, already reported
  }
  ::sqlite3_close_v2(db_);
}

Status SqliteConnection::exec(const char* sql, std::string_view where) {
  char* message = nullptr;
  int rc = ::sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    Error error = sqlite_error(db_, rc, where);
    if (message != nullptr) {
      error.detail += "; ";
      error.detail += message;
    }
    ::sqlite3_free(message);
    return fail(std::move(error));
  }
  return ok();
}

Result<sqlite3_stmt*> SqliteConnection::prepare(const std::string& sql) {
  if (auto it = statements_.find(sql); it != statements_.end()) {
    return it->second;
  }
  sqlite3_stmt* stmt = nullptr;
  int rc = ::sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size() + 1),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK || stmt == nullptr) {
    return fail(sqlite_error(db_, rc == SQLITE_OK ? SQLITE_ERROR : rc, "prepare: " + sql));
  }
  statements_.emplace(sql, stmt);
  return stmt;
}

bool SqliteConnection::in_transaction() const { return ::sqlite3_get_autocommit(db_) == 0; }

}  // namespace fleetpki::store
