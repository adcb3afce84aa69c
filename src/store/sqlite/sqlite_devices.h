// SQLite reads of the store: Device types and devices (issue #4). Called by SqliteStore's overrides; the
// write side is in SqliteTransaction (same file's .cpp defines those members).
#pragma once

#include "store/sqlite/sqlite_connection.h"
#include "store/sqlite/sqlite_transaction.h"
#include "store/store.h"

namespace fleetpki::store::sqlite_devices {}  // namespace fleetpki::store::sqlite_devices
