// SQLite reads of the store: audit listing with filters and signed checkpoints (issue #4). Called by
// SqliteStore's overrides; the write side is in SqliteTransaction (its audit members are defined in
// sqlite_audit.cpp).
#pragma once

#include <optional>
#include <vector>

#include "store/sqlite/sqlite_connection.h"
#include "store/sqlite/sqlite_statement.h"
#include "store/sqlite/sqlite_transaction.h"
#include "store/store.h"

namespace fleetpki::store::sqlite_audit {

/// SELECT list of audit events read by read_event(), in its column order.
inline constexpr const char* kEventColumns =
    "id, tenant_id, actor, action, object, request_id, details_json, at, prev_hash, hash";
AuditEvent read_event(const Statement& s);

/// Events matching the filter, ascending by id (tenant filter uses index audit_events_tenant_id).
Result<AuditPage> list_page(SqliteConnection& conn, const AuditFilter& filter);
Result<std::vector<AuditCheckpoint>> list_checkpoints(SqliteConnection& conn, std::int64_t after_id,
                                                      int limit);
Result<std::optional<AuditCheckpoint>> latest_checkpoint(SqliteConnection& conn);
Result<std::optional<AuditHead>> head(SqliteConnection& conn);
Result<std::int64_t> count_events(SqliteConnection& conn, std::int64_t after_id,
                                  std::int64_t up_to_id);
Status insert_checkpoint(SqliteConnection& conn, const AuditCheckpoint& checkpoint);

}  // namespace fleetpki::store::sqlite_audit
