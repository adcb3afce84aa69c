// The numbered SQL migrations of the SQLite schema, embedded at build time.
#pragma once

#include <span>
#include <string_view>

namespace fleetpki::store {

struct Migration {
  int version;            // from the file name NNNN_name.sql
  std::string_view name;  // "0001_initial"
  std::string_view sql;   // one or more statements, run in one transaction
};

/// Every migration, ascending by version (the order CMake lists them).
std::span<const Migration> sqlite_migrations();

}  // namespace fleetpki::store
