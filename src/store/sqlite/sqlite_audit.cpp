// SQLite audit queries: filtered event pages, checkpoints, the chain head; and SqliteTransaction's
// audit members.
#include "store/sqlite/sqlite_audit.h"

#include <algorithm>
#include <string>

#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_statement.h"

namespace fleetpki::store {
namespace sqlite_audit {
namespace {

constexpr int kMaxPageSize = 1000;
constexpr const char* kCheckpointColumns =
    "id, last_event_id, last_event_hash, event_count, created_at, key_id, signature";

AuditCheckpoint read_checkpoint(const Statement& s) {
  AuditCheckpoint c;
  c.id = s.int64(0);
  c.last_event_id = s.int64(1);
  c.last_event_hash = s.text(2);
  c.event_count = s.int64(3);
  c.created_at = s.int64(4);
  c.key_id = s.text(5);
  c.signature = s.blob(6);
  return c;
}

}  // namespace

AuditEvent read_event(const Statement& s) {
  AuditEvent e;
  e.id = s.int64(0);
  e.tenant_id = s.optional_int64(1);
  e.actor = s.text(2);
  e.action = s.text(3);
  e.object = s.text(4);
  e.request_id = s.text(5);
  e.details_json = s.text(6);
  e.at = s.int64(7);
  e.prev_hash = s.text(8);
  e.hash = s.text(9);
  return e;
}

Result<AuditPage> list_page(SqliteConnection& conn, const AuditFilter& filter) {
  const int limit = std::clamp(filter.limit, 1, kMaxPageSize);
  // Fixed parameter numbers so that each combination of filters is one cached statement.
  std::string sql = std::string("SELECT ") + kEventColumns + " FROM audit_events WHERE id > ?1";
  if (filter.tenant_id) sql += " AND tenant_id = ?3";
  if (filter.action) sql += " AND action = ?4";
  if (filter.object) sql += " AND object = ?5";
  if (filter.actor) sql += " AND actor = ?6";
  if (filter.since) sql += " AND at >= ?7";
  if (filter.until) sql += " AND at < ?8";
  sql += " ORDER BY id LIMIT ?2";
  FLEETPKI_TRY(Statement s, Statement::prepare(conn, sql));
  s.bind(1, filter.after_id);
  s.bind(2, std::int64_t{limit} + 1);  // one more tells whether another page follows
  if (filter.tenant_id) s.bind(3, *filter.tenant_id);
  if (filter.action) s.bind(4, std::string_view(*filter.action));
  if (filter.object) s.bind(5, std::string_view(*filter.object));
  if (filter.actor) s.bind(6, std::string_view(*filter.actor));
  if (filter.since) s.bind(7, *filter.since);
  if (filter.until) s.bind(8, *filter.until);
  AuditPage page;
  FLEETPKI_TRY(page.next_after_id, sqlite_rows::read_page(s, limit, page.items, read_event));
  return page;
}

Result<std::vector<AuditCheckpoint>> list_checkpoints(SqliteConnection& conn, std::int64_t after_id,
                                                      int limit) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn, std::string("SELECT ") + kCheckpointColumns +
                                                         " FROM audit_checkpoints WHERE id > ?1 "
                                                         "ORDER BY id LIMIT ?2"));
  s.bind(1, after_id);
  s.bind(2, std::int64_t{std::clamp(limit, 1, kMaxPageSize)});
  std::vector<AuditCheckpoint> out;
  while (true) {
    FLEETPKI_TRY(bool row, s.step());
    if (!row) break;
    out.push_back(read_checkpoint(s));
  }
  return out;
}

Result<std::optional<AuditCheckpoint>> latest_checkpoint(SqliteConnection& conn) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn, std::string("SELECT ") + kCheckpointColumns +
                                                         " FROM audit_checkpoints ORDER BY id DESC "
                                                         "LIMIT 1"));
  FLEETPKI_TRY(bool row, s.step());
  if (!row) return std::optional<AuditCheckpoint>();
  return std::optional<AuditCheckpoint>(read_checkpoint(s));
}

Result<std::optional<AuditHead>> head(SqliteConnection& conn) {
  FLEETPKI_TRY(Statement s, Statement::prepare(
                                conn, "SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1"));
  FLEETPKI_TRY(bool row, s.step());
  if (!row) return std::optional<AuditHead>();
  return std::optional<AuditHead>(AuditHead{s.int64(0), s.text(1)});
}

Result<std::int64_t> count_events(SqliteConnection& conn, std::int64_t after_id,
                                  std::int64_t up_to_id) {
  FLEETPKI_TRY(Statement s,
               Statement::prepare(conn, "SELECT COUNT(*) FROM audit_events WHERE id > ?1 AND id <= ?2"));
  s.bind(1, after_id);
  s.bind(2, up_to_id);
  FLEETPKI_TRY(bool row, s.step());
  return row ? s.int64(0) : std::int64_t{0};
}

Status insert_checkpoint(SqliteConnection& conn, const AuditCheckpoint& c) {
  FLEETPKI_TRY(Statement s,
               Statement::prepare(conn,
                                  "INSERT INTO audit_checkpoints (id, last_event_id, last_event_hash, "
                                  "event_count, created_at, key_id, signature) VALUES (?1, ?2, ?3, "
                                  "?4, ?5, ?6, ?7)"));
  s.bind(1, c.id);
  s.bind(2, c.last_event_id);
  s.bind(3, std::string_view(c.last_event_hash));
  s.bind(4, c.event_count);
  s.bind(5, c.created_at);
  s.bind(6, std::string_view(c.key_id));
  s.bind_blob(7, c.signature);
  return s.run();  // a taken id is AlreadyExists
}

}  // namespace sqlite_audit

// ---- SqliteTransaction: audit members -------------------------------------------------------

Result<std::optional<AuditHead>> SqliteTransaction::audit_head() { return sqlite_audit::head(conn_); }

Result<std::optional<AuditCheckpoint>> SqliteTransaction::latest_audit_checkpoint() {
  return sqlite_audit::latest_checkpoint(conn_);
}

Result<std::int64_t> SqliteTransaction::count_audit_events(std::int64_t after_id, std::int64_t up_to_id) {
  return sqlite_audit::count_events(conn_, after_id, up_to_id);
}

Status SqliteTransaction::insert_audit_checkpoint(const AuditCheckpoint& checkpoint) {
  return sqlite_audit::insert_checkpoint(conn_, checkpoint);
}

}  // namespace fleetpki::store
