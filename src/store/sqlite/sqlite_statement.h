// Statement: binds, steps and reads one cached prepared statement; resets it when the scope ends.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/result.h"
#include "store/sqlite/sqlite_connection.h"

namespace fleetpki::store {

class Statement final {
 public:
  /// Prepares (or takes from the cache) `sql` on `conn`.
  static Result<Statement> prepare(SqliteConnection& conn, const std::string& sql);
  ~Statement();
  Statement(Statement&& other) noexcept : conn_(other.conn_), stmt_(other.stmt_), bind_rc_(other.bind_rc_) {
    other.stmt_ = nullptr;
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;

  // Binding: 1-based index. The first failing bind is remembered and reported by step()/run().
  void bind(int index, std::int64_t value);
  void bind(int index, std::string_view text);
  void bind_blob(int index, ByteView data);
  void bind_null(int index);
  void bind(int index, const std::optional<std::int64_t>& value);
  void bind(int index, const std::optional<std::string>& value);

  /// Advances: true when a row is available, false when done.
  Result<bool> step();
  /// Steps a statement that returns no rows.
  Status run();

  bool is_null(int column) const;
  std::int64_t int64(int column) const;
  std::string text(int column) const;
  /// The column's text without a copy; valid until the next step(), reset or column read.
  std::string_view text_view(int column) const;
  Bytes blob(int column) const;
  std::optional<std::int64_t> optional_int64(int column) const;
  std::optional<std::string> optional_text(int column) const;

 private:
  Statement(SqliteConnection& conn, sqlite3_stmt* stmt) : conn_(&conn), stmt_(stmt) {}
  void note(int rc, int index);

  SqliteConnection* conn_;
  sqlite3_stmt* stmt_;
  int bind_rc_ = 0;  // SQLITE_OK
  int bind_index_ = 0;
};

}  // namespace fleetpki::store
