// Statement: checked binds, steps and column reads over a cached sqlite3_stmt.
#include "store/sqlite/sqlite_statement.h"

#include <sqlite3.h>

namespace fleetpki::store {

Result<Statement> Statement::prepare(SqliteConnection& conn, const std::string& sql) {
  FLEETPKI_TRY(sqlite3_stmt * stmt, conn.prepare(sql));
  return Statement(conn, stmt);
}

Statement::~Statement() {
  if (stmt_ != nullptr) {
    // reset() repeats the last step's error code, which step() already reported.
    ::sqlite3_reset(stmt_);
    ::sqlite3_clear_bindings(stmt_);
  }
}

void Statement::note(int rc, int index) {
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) {
    bind_rc_ = rc;
    bind_index_ = index;
  }
}

void Statement::bind(int index, std::int64_t value) {
  note(::sqlite3_bind_int64(stmt_, index, value), index);
}

void Statement::bind(int index, std::string_view text) {
  // An empty view may have a null data(), which SQLite would bind as NULL.
  const char* data = text.empty() ? "" : text.data();
  note(::sqlite3_bind_text64(stmt_, index, data, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8), index);
}

void Statement::bind_blob(int index, ByteView data) {
  if (data.empty()) {
    note(::sqlite3_bind_zeroblob(stmt_, index, 0), index);  // a NULL pointer would bind NULL
    return;
  }
  note(::sqlite3_bind_blob64(stmt_, index, data.data(), data.size(), SQLITE_TRANSIENT), index);
}

void Statement::bind_null(int index) { note(::sqlite3_bind_null(stmt_, index), index); }

void Statement::bind(int index, const std::optional<std::int64_t>& value) {
  if (value) {
    bind(index, *value);
  } else {
    bind_null(index);
  }
}

void Statement::bind(int index, const std::optional<std::string>& value) {
  if (value) {
    bind(index, std::string_view(*value));
  } else {
    bind_null(index);
  }
}

Result<bool> Statement::step() {
  if (bind_rc_ != SQLITE_OK) {
    return fail(sqlite_error(conn_->handle(), bind_rc_,
                             "bind parameter " + std::to_string(bind_index_) + " of " +
                                 ::sqlite3_sql(stmt_)));
  }
  int rc = ::sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  return fail(sqlite_error(conn_->handle(), rc, ::sqlite3_sql(stmt_)));
}

Status Statement::run() {
  FLEETPKI_TRY(bool row, step());
  if (row) {
    return fail(Errc::Internal, "database error",
                std::string("statement returned a row: ") + ::sqlite3_sql(stmt_));
  }
  return ok();
}

bool Statement::is_null(int column) const {
  return ::sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::int64(int column) const { return ::sqlite3_column_int64(stmt_, column); }

std::string Statement::text(int column) const {
  const unsigned char* data = ::sqlite3_column_text(stmt_, column);
  int size = ::sqlite3_column_bytes(stmt_, column);
  if (data == nullptr || size <= 0) {
    return {};
  }
  return std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
}

std::string_view Statement::text_view(int column) const {
  const unsigned char* data = ::sqlite3_column_text(stmt_, column);
  int size = ::sqlite3_column_bytes(stmt_, column);
  if (data == nullptr || size <= 0) {
    return {};
  }
  return std::string_view(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
}

Bytes Statement::blob(int column) const {
  const void* data = ::sqlite3_column_blob(stmt_, column);
  int size = ::sqlite3_column_bytes(stmt_, column);
  if (data == nullptr || size <= 0) {
    return {};
  }
  const auto* begin = static_cast<const std::uint8_t*>(data);
  return Bytes(begin, begin + size);
}

std::optional<std::int64_t> Statement::optional_int64(int column) const {
  if (is_null(column)) {
    return std::nullopt;
  }
  return int64(column);
}

std::optional<std::string> Statement::optional_text(int column) const {
  if (is_null(column)) {
    return std::nullopt;
  }
  return text(column);
}

}  // namespace fleetpki::store
