// SQLite reads of the store: Tenants, CAs, operator credentials, idempotency keys (issue #4). Called by SqliteStore's overrides; the
// write side is in SqliteTransaction (same file's .cpp defines those members).
#pragma once

#include "store/sqlite/sqlite_connection.h"
#include "store/sqlite/sqlite_transaction.h"
#include "store/store.h"

namespace fleetpki::store::sqlite_tenancy {}  // namespace fleetpki::store::sqlite_tenancy
