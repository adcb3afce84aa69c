// SQLite reads of the store: profile versions and retirement (issue #4). Called by SqliteStore's
// overrides; the write side is in SqliteTransaction (this file's .cpp defines those members).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "store/sqlite/sqlite_connection.h"
#include "store/sqlite/sqlite_transaction.h"
#include "store/store.h"

namespace fleetpki::store::sqlite_profiles {

/// Every version of the tenant's profile `name`, ascending.
Result<std::vector<ProfileRecord>> find_versions(SqliteConnection& conn, std::int64_t tenant_id,
                                                 std::string_view name);
/// See Store::list_profile_page.
Result<std::vector<ProfileRecord>> list_page(SqliteConnection& conn, std::int64_t tenant_id, std::int64_t after_id,
                                             int limit, std::optional<bool> retired);

}  // namespace fleetpki::store::sqlite_profiles
