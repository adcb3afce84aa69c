// SQLite reads of the store: Audit log checkpoints (issue #4). Called by SqliteStore's overrides; the
// write side is in SqliteTransaction (same file's .cpp defines those members).
#pragma once

#include "store/sqlite/sqlite_connection.h"
#include "store/sqlite/sqlite_transaction.h"
#include "store/store.h"

namespace fleetpki::store::sqlite_audit {}  // namespace fleetpki::store::sqlite_audit
