// SQLite adapter of the Store port: WAL, numbered migrations, one writer and pooled readers.
#pragma once

#include <filesystem>
#include <memory>

#include "store/store.h"

namespace fleetpki::store {

struct SqliteOptions {
  /// synchronous=FULL (fsync at every commit) when true; NORMAL otherwise (WAL keeps consistency
  /// but the last commits may be lost on power failure).
  bool durable = true;
  int busy_timeout_ms = 5000;
};

/// Opens (creating if needed) the database at `path` (":memory:" for tests is not supported:
/// use a temporary file) and applies pending migrations in order, each in its own transaction.
Result<std::unique_ptr<Store>> open_sqlite_store(const std::filesystem::path& path,
                                                 const SqliteOptions& options = {});

}  // namespace fleetpki::store
