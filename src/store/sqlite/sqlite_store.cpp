// SqliteStore: open + migrate, the serialized write path and the pooled read queries.
#include "store/sqlite/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

#include "common/check.h"
#include "store/audit_chain.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_connection.h"
#include "store/sqlite/sqlite_reader_pool.h"
#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_statement.h"
#include "store/sqlite/sqlite_audit.h"
#include "store/sqlite/sqlite_devices.h"
#include "store/sqlite/sqlite_enrollment.h"
#include "store/sqlite/sqlite_profiles.h"
#include "store/sqlite/sqlite_tenancy.h"
#include "store/sqlite/sqlite_transaction.h"

namespace fleetpki::store {
namespace {

using sqlite_rows::kCertificateColumns;
using sqlite_rows::read_all;
using sqlite_rows::read_certificate;

constexpr std::size_t kMaxReaders = 8;
constexpr int kMaxPageSize = 1000;

/// Undoes an open transaction when write() leaves early (error return or exception from body).
class RollbackGuard final {
 public:
  explicit RollbackGuard(SqliteConnection& conn) : conn_(conn) {}
  ~RollbackGuard() {
    if (conn_.in_transaction()) {
      // A failed ROLLBACK leaves nothing else to do; the next BEGIN reports the state.
      (void)conn_.exec("ROLLBACK", "rollback");
    }
  }
  RollbackGuard(const RollbackGuard&) = delete;
  RollbackGuard& operator=(const RollbackGuard&) = delete;

 private:
  SqliteConnection& conn_;
};

Status apply_migrations(SqliteConnection& conn) {
  FLEETPKI_RETURN_IF_ERROR(conn.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
      "name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
      "create schema_migrations"));
  std::int64_t current = 0;
  {
    FLEETPKI_TRY(Statement stmt,
                 Statement::prepare(conn, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
    FLEETPKI_TRY(bool row, stmt.step());
    if (row) {
      current = stmt.int64(0);
    }
  }
  auto migrations = sqlite_migrations();
  if (!migrations.empty() && current > migrations.back().version) {
    return fail(Errc::FailedPrecondition,
                "the database schema (version " + std::to_string(current) +
                    ") is newer than this program supports (version " +
                    std::to_string(migrations.back().version) + ")");
  }
  for (const Migration& migration : migrations) {
    if (migration.version <= current) {
      continue;
    }
    FLEETPKI_RETURN_IF_ERROR(conn.exec("BEGIN IMMEDIATE", "begin migration"));
    RollbackGuard guard(conn);
    std::string sql(migration.sql);
    auto applied = conn.exec(sql.c_str(), "migration " + std::string(migration.name));
    if (!applied) {
      return fail(std::move(applied).error().with_context("applying database migration " +
                                                          std::string(migration.name)));
    }
    {
      FLEETPKI_TRY(Statement record,
                   Statement::prepare(conn,
                                      "INSERT INTO schema_migrations (version, name, applied_at) "
                                      "VALUES (?1, ?2, ?3)"));
      record.bind(1, std::int64_t{migration.version});
      record.bind(2, migration.name);
      record.bind(3, std::int64_t{std::chrono::duration_cast<std::chrono::seconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count()});
      FLEETPKI_RETURN_IF_ERROR(record.run());
    }
    FLEETPKI_RETURN_IF_ERROR(conn.exec("COMMIT", "commit migration"));
  }
  return ok();
}

class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<SqliteConnection> writer, AuditHasher hasher,
              const std::filesystem::path& path, const SqliteOptions& options)
      : writer_(std::move(writer)),
        hasher_(std::move(hasher)),
        readers_(path, options.busy_timeout_ms, kMaxReaders) {}

  Status write(const std::function<Status(Transaction&)>& body) override {
    std::lock_guard lock(write_mutex_);
    FLEETPKI_CHECK(write_owner_ == std::thread::id(),
                   "Store::write called from inside a write body (would deadlock)");
    write_owner_ = std::this_thread::get_id();
    struct OwnerReset {
      std::thread::id& owner;
      ~OwnerReset() { owner = std::thread::id(); }
    } owner_reset{write_owner_};

    FLEETPKI_RETURN_IF_ERROR(writer_->exec("BEGIN IMMEDIATE", "begin write transaction"));
    RollbackGuard guard(*writer_);
    SqliteTransaction tx(*writer_, hasher_);
    FLEETPKI_RETURN_IF_ERROR(body(tx));
    return writer_->exec("COMMIT", "commit write transaction");
  }

  Result<std::optional<TenantRecord>> find_tenant(std::string_view name) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    FLEETPKI_TRY(Statement s, Statement::prepare(
                                  *conn,
                                  "SELECT id, name, created_at, disabled FROM tenants WHERE name = ?1"));
    s.bind(1, name);
    FLEETPKI_TRY(bool row, s.step());
    if (!row) {
      return std::optional<TenantRecord>();
    }
    return std::optional<TenantRecord>(read_tenant(s));
  }

  Result<std::vector<TenantRecord>> list_tenants() override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    FLEETPKI_TRY(Statement s,
                 Statement::prepare(
                     *conn, "SELECT id, name, created_at, disabled FROM tenants ORDER BY id"));
    std::vector<TenantRecord> out;
    while (true) {
      FLEETPKI_TRY(bool row, s.step());
      if (!row) {
        break;
      }
      out.push_back(read_tenant(s));
    }
    return out;
  }

  Result<std::vector<CaRecord>> list_cas(std::int64_t tenant_id) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    FLEETPKI_TRY(Statement s,
                 Statement::prepare(*conn, std::string("SELECT ") + sqlite_rows::kCaColumns +
                                               " FROM cas WHERE tenant_id = ?1 ORDER BY id"));
    s.bind(1, tenant_id);
    return read_all<CaRecord>(s, sqlite_rows::read_ca);
  }

  Result<std::vector<ProfileRecord>> list_profiles(std::int64_t tenant_id) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    FLEETPKI_TRY(Statement s,
                 Statement::prepare(*conn,
                                    std::string("SELECT ") + sqlite_rows::kProfileColumns +
                                        " FROM profiles WHERE tenant_id = ?1 ORDER BY name, version"));
    s.bind(1, tenant_id);
    return read_all<ProfileRecord>(s, sqlite_rows::read_profile);
  }

  Result<std::optional<CertificateRecord>> find_certificate(std::int64_t tenant_id,
                                                            std::string_view serial_hex) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    return sqlite_rows::find_certificate(*conn, tenant_id, serial_hex);
  }

  Result<CertificatePage> list_certificates(std::int64_t tenant_id,
                                            const CertificateFilter& filter) override {
    const int limit = std::clamp(filter.limit, 1, kMaxPageSize);
    // The SQL text depends only on which filters are present, so at most 64 variants get cached.
    std::string sql = std::string("SELECT ") + kCertificateColumns +
                      " FROM certificates WHERE tenant_id = ?1 AND id > ?2";
    int next = 3;
    auto param = [&] { return "?" + std::to_string(next++); };
    int status_index = 0, expires_index = 0, profile_index = 0, ca_index = 0;
    int issued_from_index = 0, issued_to_index = 0;
    if (filter.status) {
      status_index = next;
      sql += " AND status = " + param();
    }
    if (filter.expires_before) {
      expires_index = next;
      sql += " AND not_after < " + param();
    }
    if (filter.profile) {
      profile_index = next;
      sql += " AND profile = " + param();
    }
    if (filter.ca_id) {
      ca_index = next;
      sql += " AND ca_id = " + param();
    }
    if (filter.issued_from) {
      issued_from_index = next;
      sql += " AND created_at >= " + param();
    }
    if (filter.issued_to) {
      issued_to_index = next;
      sql += " AND created_at < " + param();
    }
    const int limit_index = next;
    sql += " ORDER BY id LIMIT " + param();

    FLEETPKI_TRY(auto conn, readers_.acquire());
    FLEETPKI_TRY(Statement s, Statement::prepare(*conn, sql));
    s.bind(1, tenant_id);
    s.bind(2, filter.after_id.value_or(0));
    if (status_index != 0) {
      s.bind(status_index, std::string_view(*filter.status));
    }
    if (expires_index != 0) {
      s.bind(expires_index, *filter.expires_before);
    }
    if (profile_index != 0) {
      s.bind(profile_index, std::string_view(*filter.profile));
    }
    if (ca_index != 0) {
      s.bind(ca_index, *filter.ca_id);
    }
    if (issued_from_index != 0) {
      s.bind(issued_from_index, *filter.issued_from);
    }
    if (issued_to_index != 0) {
      s.bind(issued_to_index, *filter.issued_to);
    }
    // One row more than the page tells whether another page follows.
    s.bind(limit_index, std::int64_t{limit} + 1);
    CertificatePage page;
    page.items.reserve(static_cast<std::size_t>(std::min(limit, 128)));
    FLEETPKI_TRY(page.next_after_id, sqlite_rows::read_page(s, limit, page.items, read_certificate));
    return page;
  }

  Result<std::optional<TokenRecord>> find_token(std::string_view id) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    FLEETPKI_TRY(Statement s,
                 Statement::prepare(*conn,
                                    "SELECT id, tenant_id, role, secret_hash, created_at, "
                                    "expires_at, revoked FROM tokens WHERE id = ?1"));
    s.bind(1, id);
    FLEETPKI_TRY(bool row, s.step());
    if (!row) {
      return std::optional<TokenRecord>();
    }
    TokenRecord t;
    t.id = s.text(0);
    t.tenant_id = s.optional_int64(1);
    t.role = s.text(2);
    t.secret_hash = s.blob(3);
    t.created_at = s.int64(4);
    t.expires_at = s.optional_int64(5);
    t.revoked = s.int64(6) != 0;
    return std::optional<TokenRecord>(std::move(t));
  }

  Result<std::vector<AuditEvent>> list_audit(std::optional<std::int64_t> tenant_id,
                                             std::int64_t after_id, int limit) override {
    limit = std::clamp(limit, 1, kMaxPageSize);
    std::string sql = std::string("SELECT ") + sqlite_audit::kEventColumns + " FROM audit_events WHERE id > ?1";
    sql += tenant_id ? " AND tenant_id = ?3" : "";
    sql += " ORDER BY id LIMIT ?2";
    FLEETPKI_TRY(auto conn, readers_.acquire());
    FLEETPKI_TRY(Statement s, Statement::prepare(*conn, sql));
    s.bind(1, after_id);
    s.bind(2, std::int64_t{limit});
    if (tenant_id) {
      s.bind(3, *tenant_id);
    }
    return read_all<AuditEvent>(s, sqlite_audit::read_event);
  }

  Result<std::optional<std::string>> get_setting(std::string_view key) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    FLEETPKI_TRY(Statement s,
                 Statement::prepare(*conn, "SELECT value FROM settings WHERE key = ?1"));
    s.bind(1, key);
    FLEETPKI_TRY(bool row, s.step());
    if (!row) {
      return std::optional<std::string>();
    }
    return std::optional<std::string>(s.text(0));
  }

  Result<std::vector<ConfigurationChange>> configuration_changes(std::int64_t after_version) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    FLEETPKI_TRY(Statement s, Statement::prepare(*conn,
                                                 "SELECT tenant_id, version FROM configuration_changes "
                                                 "WHERE version > ?1 ORDER BY version"));
    s.bind(1, after_version);
    std::vector<ConfigurationChange> out;
    for (;;) {
      FLEETPKI_TRY(bool row, s.step());
      if (!row) break;
      out.push_back(ConfigurationChange{s.int64(0), s.int64(1)});
    }
    return out;
  }

  // ---- lifecycle and revocation ----------------------------------------------------------------

  Result<std::vector<CaRecord>> list_all_cas() override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    FLEETPKI_TRY(Statement s,
                 Statement::prepare(*conn, std::string("SELECT ") + sqlite_rows::kCaColumns +
                                               " FROM cas ORDER BY id"));
    return read_all<CaRecord>(s, sqlite_rows::read_ca);
  }

  Result<std::optional<CertificateRecord>> find_certificate_by_ca(
      std::int64_t ca_id, std::string_view serial_hex) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    // One seek in UNIQUE(serial_hex, ca_id): the OCSP miss path.
    FLEETPKI_TRY(Statement s,
                 Statement::prepare(*conn, std::string("SELECT ") + kCertificateColumns +
                                               " FROM certificates WHERE serial_hex = ?2 "
                                               "AND ca_id = ?1"));
    s.bind(1, ca_id);
    s.bind(2, serial_hex);
    FLEETPKI_TRY(bool row, s.step());
    if (!row) {
      return std::optional<CertificateRecord>();
    }
    return std::optional<CertificateRecord>(read_certificate(s));
  }

  Result<std::vector<StatusChange>> list_status_changes(std::int64_t after_id, int limit) override {
    // Exactly `limit` at most (no clamp): a follower may take a short page as the end of the log.
    FLEETPKI_TRY(auto conn, readers_.acquire());
    FLEETPKI_TRY(Statement s, Statement::prepare(*conn, std::string("SELECT ") +
                                                            sqlite_rows::kStatusChangeColumns +
                                                            " FROM status_changes WHERE id > ?1 "
                                                            "ORDER BY id LIMIT ?2"));
    s.bind(1, after_id);
    s.bind(2, std::int64_t{std::max(limit, 0)});
    return read_all<StatusChange>(s, sqlite_rows::read_status_change);
  }

  Result<std::int64_t> last_status_change_id() override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    FLEETPKI_TRY(Statement s,
                 Statement::prepare(*conn, "SELECT COALESCE(MAX(id), 0) FROM status_changes"));
    FLEETPKI_TRY(bool row, s.step());
    return row ? s.int64(0) : std::int64_t{0};
  }

  Status for_each_revoked(std::int64_t ca_id, int partition, std::int64_t not_after_from,
                          const std::function<Status(const RevokedEntry&)>& callback) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    // Reads only the covering partial index certificates_revoked; the literal status <> 'valid'
    // is what lets the planner use it. One read transaction: a consistent snapshot throughout.
    FLEETPKI_TRY(Statement s, Statement::prepare(
                                  *conn,
                                  "SELECT serial_hex, status, COALESCE(revoked_at, 0), "
                                  "revocation_reason, not_after FROM certificates "
                                  "WHERE ca_id = ?1 AND crl_partition = ?2 AND not_after >= ?3 "
                                  "AND status <> 'valid' AND status IN ('revoked', 'suspended')"));
    s.bind(1, ca_id);
    s.bind(2, std::int64_t{partition});
    s.bind(3, not_after_from);
    RevokedEntry entry;  // reused: the strings keep their capacity from row to row
    while (true) {
      FLEETPKI_TRY(bool row, s.step());
      if (!row) {
        return ok();
      }
      entry.serial_hex.assign(s.text_view(0));
      entry.status.assign(s.text_view(1));
      entry.revoked_at = s.int64(2);
      entry.revocation_reason = sqlite_rows::optional_int(s, 3);
      entry.not_after = s.int64(4);
      FLEETPKI_RETURN_IF_ERROR(callback(entry));
    }
  }

  Result<std::optional<CrlRecord>> latest_crl(std::int64_t ca_id, int partition,
                                              bool delta) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    // One seek in crls_kind_number (the expression must match the index's byte for byte).
    FLEETPKI_TRY(Statement s,
                 Statement::prepare(*conn, std::string("SELECT ") + sqlite_rows::kCrlColumns +
                                               " FROM crls WHERE ca_id = ?1 AND "
                                               "partition = ?2 AND (base_number IS "
                                               "NOT NULL) = ?3 ORDER BY number DESC "
                                               "LIMIT 1"));
    s.bind(1, ca_id);
    s.bind(2, std::int64_t{partition});
    s.bind(3, std::int64_t{delta ? 1 : 0});
    FLEETPKI_TRY(bool row, s.step());
    if (!row) {
      return std::optional<CrlRecord>();
    }
    return std::optional<CrlRecord>(sqlite_rows::read_crl(s));
  }

  Result<std::optional<OcspResponderRecord>> find_ocsp_responder(std::int64_t ca_id) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    FLEETPKI_TRY(Statement s,
                 Statement::prepare(*conn,
                                    "SELECT ca_id, key_ref, certificate_der, not_after, "
                                    "updated_at FROM ocsp_responders WHERE ca_id = ?1"));
    s.bind(1, ca_id);
    FLEETPKI_TRY(bool row, s.step());
    if (!row) {
      return std::optional<OcspResponderRecord>();
    }
    OcspResponderRecord r;
    r.ca_id = s.int64(0);
    r.key_ref = s.text(1);
    r.certificate_der = s.blob(2);
    r.not_after = s.int64(3);
    r.updated_at = s.int64(4);
    return std::optional<OcspResponderRecord>(std::move(r));
  }

  Result<std::optional<BulkJobRecord>> find_bulk_job(std::int64_t tenant_id,
                                                     std::int64_t id) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    FLEETPKI_TRY(Statement s,
                 Statement::prepare(*conn, std::string("SELECT ") + sqlite_rows::kBulkJobColumns +
                                               " FROM bulk_jobs WHERE id = ?2 AND "
                                               "tenant_id = ?1"));
    s.bind(1, tenant_id);
    s.bind(2, id);
    FLEETPKI_TRY(bool row, s.step());
    if (!row) {
      return std::optional<BulkJobRecord>();
    }
    return std::optional<BulkJobRecord>(sqlite_rows::read_bulk_job(s));
  }

  Result<std::vector<BulkJobRecord>> list_running_bulk_jobs() override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    FLEETPKI_TRY(Statement s,
                 Statement::prepare(*conn, std::string("SELECT ") + sqlite_rows::kBulkJobColumns +
                                               " FROM bulk_jobs WHERE state = "
                                               "'running' ORDER BY id"));
    return read_all<BulkJobRecord>(s, sqlite_rows::read_bulk_job);
  }

  Result<std::vector<StatusCount>> count_certificates_by_status() override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    // Counts the entries of certificates_tenant_status_id (no row is read), so the cost grows with
    // the number of certificates; tenants without certificates are absent.
    FLEETPKI_TRY(
        Statement s,
        Statement::prepare(*conn,
                           "SELECT t.name, c.status, c.n FROM (SELECT tenant_id, status, "
                           "COUNT(*) AS n FROM certificates GROUP BY tenant_id, status) AS c "
                           "JOIN tenants AS t ON t.id = c.tenant_id ORDER BY t.name, c.status"));
    return read_all<StatusCount>(s, [](const Statement& row) {
      return StatusCount{row.text(0), row.text(1), row.int64(2)};
    });
  }

  // ---- tenancy: tenants, CAs, operator credentials, idempotency keys (one-line overrides calling sqlite_<slice>.h) ----------------
  Result<Page<TenantRecord>> list_tenants_page(std::int64_t after_id, int limit) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    return sqlite_tenancy::list_tenants_page(*conn, after_id, limit);
  }
  Result<std::optional<TenantRecord>> find_tenant_by_id(std::int64_t id) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    return sqlite_tenancy::find_tenant_by_id(*conn, id);
  }
  Result<Page<TokenRecord>> list_tokens(std::optional<std::int64_t> tenant_id, std::int64_t after,
                                        int limit) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    return sqlite_tenancy::list_tokens(*conn, tenant_id, after, limit);
  }
  Result<std::optional<OperatorCertificateRecord>> find_operator_certificate(
      std::string_view fingerprint) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    return sqlite_tenancy::find_operator_certificate(*conn, fingerprint);
  }
  Result<Page<OperatorCertificateRecord>> list_operator_certificates(std::optional<std::int64_t> tenant_id,
                                                                     std::int64_t after, int limit) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    return sqlite_tenancy::list_operator_certificates(*conn, tenant_id, after, limit);
  }
  Result<std::optional<IdempotencyRecord>> find_idempotency(std::string_view principal,
                                                            std::string_view key) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    return sqlite_tenancy::find_idempotency(*conn, principal, key);
  }
  // ---- end tenancy ----

  // ---- devices: device types, devices, certificate links (one-line overrides calling sqlite_<slice>.h) ---------------------------
  Result<std::optional<DeviceTypeRecord>> find_device_type(std::int64_t tenant_id, std::string_view name) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    return sqlite_devices::find_device_type(*conn, tenant_id, name);
  }
  Result<DeviceTypePage> list_device_types(std::int64_t tenant_id, std::int64_t after_id, int limit) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    return sqlite_devices::list_device_types(*conn, tenant_id, after_id, limit);
  }
  Result<std::optional<DeviceRecord>> find_device(std::int64_t tenant_id, std::string_view serial) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    return sqlite_devices::find_device(*conn, tenant_id, serial);
  }
  Result<DevicePage> list_devices(std::int64_t tenant_id, const DeviceFilter& filter) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    return sqlite_devices::list_devices(*conn, tenant_id, filter);
  }
  Result<std::vector<CertificateRecord>> list_device_certificates(std::int64_t tenant_id,
                                                                  std::string_view serial) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    return sqlite_devices::list_device_certificates(*conn, tenant_id, serial);
  }
  // ---- end devices ----

  // ---- audit checkpoints (one-line overrides calling sqlite_<slice>.h) -----------------------------------------------------------
  Result<AuditPage> list_audit_page(const AuditFilter& filter) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    return sqlite_audit::list_page(*conn, filter);
  }
  Result<std::vector<AuditCheckpoint>> list_audit_checkpoints(std::int64_t after_id, int limit) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    return sqlite_audit::list_checkpoints(*conn, after_id, limit);
  }
  Result<std::optional<AuditCheckpoint>> latest_audit_checkpoint() override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    return sqlite_audit::latest_checkpoint(*conn);
  }
  Result<std::optional<AuditHead>> audit_head() override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    return sqlite_audit::head(*conn);
  }
  // ---- end audit ----

  // ---- profiles: versions, retirement (one-line overrides calling sqlite_<slice>.h) ----------------------------------------------
  Result<std::vector<ProfileRecord>> find_profile_versions(std::int64_t tenant_id, std::string_view name) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    return sqlite_profiles::find_versions(*conn, tenant_id, name);
  }
  Result<std::vector<ProfileRecord>> list_profile_page(std::int64_t tenant_id, std::int64_t after_id, int limit,
                                                       std::optional<bool> retired) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    return sqlite_profiles::list_page(*conn, tenant_id, after_id, limit, retired);
  }
  // ---- end profiles ----

  // ---- enrollment: EST endpoints, held requests (one-line overrides calling sqlite_<slice>.h) ----------------------------------
  Result<std::optional<EnrollmentEndpointRecord>> find_enrollment_endpoint(std::string_view label) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    return sqlite_enrollment::find_endpoint(*conn, label);
  }
  Result<std::vector<EndpointCrlSummary>> list_endpoint_crl_summaries() override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    FLEETPKI_TRY(Statement s, Statement::prepare(*conn,
                                                 "SELECT t.name, e.label, c.issuer_sha256, c.this_update, "
                                                 "c.next_update, c.revoked_count FROM endpoint_crls c "
                                                 "JOIN enrollment_endpoints e ON e.id = c.endpoint_id "
                                                 "JOIN tenants t ON t.id = c.tenant_id "
                                                 "ORDER BY t.name, e.label, c.issuer_sha256"));
    std::vector<EndpointCrlSummary> out;
    for (;;) {
      FLEETPKI_TRY(bool row, s.step());
      if (!row) break;
      out.push_back(EndpointCrlSummary{s.text(0), s.text(1), s.text(2), s.int64(3), s.optional_int64(4), s.int64(5)});
    }
    return out;
  }
  Result<std::vector<EndpointCrlRecord>> list_endpoint_crls(std::int64_t tenant_id, std::int64_t endpoint_id) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    return sqlite_enrollment::list_endpoint_crls(*conn, tenant_id, endpoint_id, std::nullopt);
  }
  Result<bool> has_usable_renewal_grant(std::int64_t tenant_id, std::string_view device_serial,
                                        std::int64_t now) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    return sqlite_enrollment::has_usable_grant(*conn, tenant_id, device_serial, now);
  }
  Result<Page<EnrollmentEndpointRecord>> list_enrollment_endpoints(std::int64_t tenant_id, std::int64_t after,
                                                                   int limit) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    return sqlite_enrollment::list_endpoints(*conn, tenant_id, after, limit);
  }
  Result<std::optional<EnrollmentRequestRecord>> find_enrollment_request(std::int64_t tenant_id,
                                                                         std::int64_t id) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    return sqlite_enrollment::find_request(*conn, tenant_id, id);
  }
  Result<std::optional<EnrollmentRequestRecord>> find_enrollment_request_by_key(
      std::string_view request_key) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    return sqlite_enrollment::find_request_by_key(*conn, request_key);
  }
  Result<Page<EnrollmentRequestRecord>> list_enrollment_requests(std::int64_t tenant_id,
                                                                 std::optional<std::string> state,
                                                                 std::int64_t after, int limit) override {
    FLEETPKI_TRY(auto conn, readers_.acquire());
    return sqlite_enrollment::list_requests(*conn, tenant_id, state, after, limit);
  }
  // ---- end enrollment ----

 private:
  static TenantRecord read_tenant(const Statement& s) {
    return TenantRecord{s.int64(0), s.text(1), s.int64(2), s.int64(3) != 0};
  }

  std::mutex write_mutex_;
  std::thread::id write_owner_;
  std::unique_ptr<SqliteConnection> writer_;
  AuditHasher hasher_;
  SqliteReaderPool readers_;
};

Status set_journal_mode_wal(SqliteConnection& conn) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn, "PRAGMA journal_mode = WAL"));
  FLEETPKI_TRY(bool row, s.step());
  std::string mode = row ? s.text(0) : std::string();
  if (mode != "wal") {
    return fail(Errc::Internal, "cannot switch the database to WAL mode",
                "PRAGMA journal_mode = WAL returned '" + mode + "'");
  }
  return ok();
}

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const std::filesystem::path& path,
                                                 const SqliteOptions& options) {
  if (path.empty() || path == ":memory:") {
    return fail(Errc::InvalidArgument, "the database path must name a file");
  }
  FLEETPKI_TRY(auto hasher, AuditHasher::create());
  FLEETPKI_TRY(auto writer, SqliteConnection::open(path, /*read_only=*/false,
                                                   options.busy_timeout_ms));
  FLEETPKI_RETURN_IF_ERROR(set_journal_mode_wal(*writer));
  FLEETPKI_RETURN_IF_ERROR(writer->exec(options.durable ? "PRAGMA synchronous = FULL"
                                                        : "PRAGMA synchronous = NORMAL",
                                        "set synchronous"));
  FLEETPKI_RETURN_IF_ERROR(apply_migrations(*writer));
  return std::unique_ptr<Store>(
      std::make_unique<SqliteStore>(std::move(writer), std::move(hasher), path, options));
}

}  // namespace fleetpki::store
