// SqliteTransaction: INSERT/UPDATE statements of the write side, including the audit chain append.
#include "store/sqlite/sqlite_transaction.h"

#include <sqlite3.h>

#include <string>

#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_statement.h"

namespace fleetpki::store {

using sqlite_rows::widen;

std::int64_t SqliteTransaction::last_insert_id() const {
  return ::sqlite3_last_insert_rowid(conn_.handle());
}

Result<TenantRecord> SqliteTransaction::insert_tenant(std::string_view name, std::int64_t now) {
  FLEETPKI_TRY(Statement stmt,
               Statement::prepare(conn_, "INSERT INTO tenants (name, created_at) VALUES (?1, ?2)"));
  stmt.bind(1, name);
  stmt.bind(2, now);
  FLEETPKI_RETURN_IF_ERROR(stmt.run());
  return TenantRecord{last_insert_id(), std::string(name), now, false};
}

Result<std::int64_t> SqliteTransaction::insert_ca(const CaRecord& ca) {
  FLEETPKI_TRY(Statement stmt,
               Statement::prepare(conn_,
                                  "INSERT INTO cas (tenant_id, name, key_ref, certificate_der, "
                                  "parent_id, status, created_at, crl_partitions, name_constraints_json, "
                                  "csr_der, external_chain_pem) "
                                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"));
  stmt.bind(1, ca.tenant_id);
  stmt.bind(2, std::string_view(ca.name));
  stmt.bind(3, std::string_view(ca.key_ref));
  stmt.bind_blob(4, ca.certificate_der);
  stmt.bind(5, ca.parent_id);
  stmt.bind(6, std::string_view(ca.status));
  stmt.bind(7, ca.created_at);
  stmt.bind(8, std::int64_t{ca.crl_partitions});
  stmt.bind(9, ca.name_constraints_json);
  stmt.bind_blob(10, ca.csr_der);
  stmt.bind(11, ca.external_chain_pem);
  FLEETPKI_RETURN_IF_ERROR(stmt.run());
  return last_insert_id();
}

Result<std::int64_t> SqliteTransaction::insert_profile(const ProfileRecord& profile) {
  FLEETPKI_TRY(Statement stmt,
               Statement::prepare(conn_,
                                  "INSERT INTO profiles (tenant_id, name, version, definition_json, "
                                  "retired, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
  stmt.bind(1, profile.tenant_id);
  stmt.bind(2, std::string_view(profile.name));
  stmt.bind(3, std::int64_t{profile.version});
  stmt.bind(4, std::string_view(profile.definition_json));
  stmt.bind(5, std::int64_t{profile.retired ? 1 : 0});
  stmt.bind(6, profile.created_at);
  FLEETPKI_RETURN_IF_ERROR(stmt.run());
  return last_insert_id();
}

Result<std::int64_t> SqliteTransaction::insert_certificate(const CertificateRecord& cert) {
  FLEETPKI_TRY(Statement stmt,
               Statement::prepare(
                   conn_,
                   "INSERT INTO certificates (tenant_id, ca_id, profile, profile_version, "
                   "serial_hex, subject, not_before, not_after, status, der, created_at, "
                   "revoked_at, revocation_reason, device_serial, row_version, crl_partition, "
                   "renewal_of) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                   "?13, ?14, ?15, ?16, ?17)"));
  stmt.bind(1, cert.tenant_id);
  stmt.bind(2, cert.ca_id);
  stmt.bind(3, std::string_view(cert.profile));
  stmt.bind(4, std::int64_t{cert.profile_version});
  stmt.bind(5, std::string_view(cert.serial_hex));
  stmt.bind(6, std::string_view(cert.subject));
  stmt.bind(7, cert.not_before);
  stmt.bind(8, cert.not_after);
  stmt.bind(9, std::string_view(cert.status));
  stmt.bind_blob(10, cert.der);
  stmt.bind(11, cert.created_at);
  stmt.bind(12, cert.revoked_at);
  stmt.bind(13, widen(cert.revocation_reason));
  stmt.bind(14, cert.device_serial);
  stmt.bind(15, std::int64_t{cert.row_version});
  stmt.bind(16, std::int64_t{cert.crl_partition});
  stmt.bind(17, cert.renewal_of);
  FLEETPKI_RETURN_IF_ERROR(stmt.run());
  return last_insert_id();
}

Status SqliteTransaction::insert_token(const TokenRecord& token) {
  FLEETPKI_TRY(Statement stmt,
               Statement::prepare(conn_,
                                  "INSERT INTO tokens (id, tenant_id, role, secret_hash, created_at, "
                                  "expires_at, revoked) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  stmt.bind(1, std::string_view(token.id));
  stmt.bind(2, token.tenant_id);
  stmt.bind(3, std::string_view(token.role));
  stmt.bind_blob(4, token.secret_hash);
  stmt.bind(5, token.created_at);
  stmt.bind(6, token.expires_at);
  stmt.bind(7, std::int64_t{token.revoked ? 1 : 0});
  return stmt.run();
}

Status SqliteTransaction::append_audit(const AuditEvent& event) {
  // Writers are serialized (one write connection, BEGIN IMMEDIATE), so the last hash read here is
  // still the last one when the new event is inserted.
  std::string prev_hash(kAuditGenesisHash);
  {
    FLEETPKI_TRY(Statement last, Statement::prepare(
                                     conn_, "SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1"));
    FLEETPKI_TRY(bool found, last.step());
    if (found) {
      prev_hash = last.text(0);
    }
  }
  FLEETPKI_TRY(std::string hash, hasher_.hash(prev_hash, event));
  FLEETPKI_TRY(Statement stmt,
               Statement::prepare(conn_,
                                  "INSERT INTO audit_events (tenant_id, actor, action, object, "
                                  "request_id, details_json, at, prev_hash, hash) VALUES (?1, ?2, "
                                  "?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
  stmt.bind(1, event.tenant_id);
  stmt.bind(2, std::string_view(event.actor));
  stmt.bind(3, std::string_view(event.action));
  stmt.bind(4, std::string_view(event.object));
  stmt.bind(5, std::string_view(event.request_id));
  stmt.bind(6, std::string_view(event.details_json));
  stmt.bind(7, event.at);
  stmt.bind(8, std::string_view(prev_hash));
  stmt.bind(9, std::string_view(hash));
  return stmt.run();
}

Status SqliteTransaction::put_setting(std::string_view key, std::string_view value) {
  FLEETPKI_TRY(Statement stmt,
               Statement::prepare(conn_,
                                  "INSERT INTO settings (key, value) VALUES (?1, ?2) "
                                  "ON CONFLICT (key) DO UPDATE SET value = excluded.value"));
  stmt.bind(1, key);
  stmt.bind(2, value);
  return stmt.run();
}

Status SqliteTransaction::update_certificate_status(std::int64_t tenant_id,
                                                    std::int64_t certificate_id,
                                                    std::string_view status,
                                                    std::optional<std::int64_t> revoked_at,
                                                    std::optional<int> revocation_reason,
                                                    int expected_row_version) {
  FLEETPKI_TRY(Statement stmt,
               Statement::prepare(conn_,
                                  "UPDATE certificates SET status = ?1, revoked_at = ?2, "
                                  "revocation_reason = ?3, row_version = row_version + 1 "
                                  "WHERE tenant_id = ?4 AND id = ?5 AND row_version = ?6"));
  stmt.bind(1, status);
  stmt.bind(2, revoked_at);
  stmt.bind(3, widen(revocation_reason));
  stmt.bind(4, tenant_id);
  stmt.bind(5, certificate_id);
  stmt.bind(6, std::int64_t{expected_row_version});
  FLEETPKI_RETURN_IF_ERROR(stmt.run());
  if (::sqlite3_changes64(conn_.handle()) == 1) {
    return ok();
  }
  FLEETPKI_TRY(Statement exists,
               Statement::prepare(conn_,
                                  "SELECT 1 FROM certificates WHERE tenant_id = ?1 AND id = ?2"));
  exists.bind(1, tenant_id);
  exists.bind(2, certificate_id);
  FLEETPKI_TRY(bool found, exists.step());
  if (!found) {
    return fail(Errc::NotFound, "certificate not found");
  }
  return fail(Errc::Aborted, "the certificate was changed concurrently; retry");
}

// ---- lifecycle and revocation ----------------------------------------------------------------

Result<std::optional<CertificateRecord>> SqliteTransaction::find_certificate(
    std::int64_t tenant_id, std::string_view serial_hex) {
  return sqlite_rows::find_certificate(conn_, tenant_id, serial_hex);
}

Result<std::vector<CertificateRecord>> SqliteTransaction::list_renewals(
    std::int64_t tenant_id, std::int64_t certificate_id) {
  // Served by the partial index certificates_renewal_of (renewal_of = ? implies IS NOT NULL).
  FLEETPKI_TRY(Statement s,
               Statement::prepare(conn_, std::string("SELECT ") + sqlite_rows::kCertificateColumns +
                                             " FROM certificates WHERE renewal_of = ?2 AND "
                                             "tenant_id = ?1 ORDER BY id"));
  s.bind(1, tenant_id);
  s.bind(2, certificate_id);
  return sqlite_rows::read_all<CertificateRecord>(s, sqlite_rows::read_certificate);
}

Result<std::int64_t> SqliteTransaction::append_status_change(const StatusChange& change) {
  FLEETPKI_TRY(
      Statement stmt,
      Statement::prepare(conn_,
                         "INSERT INTO status_changes (tenant_id, ca_id, certificate_id, "
                         "serial_hex, crl_partition, status, revoked_at, revocation_reason, "
                         "not_after, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"));
  stmt.bind(1, change.tenant_id);
  stmt.bind(2, change.ca_id);
  stmt.bind(3, change.certificate_id);
  stmt.bind(4, std::string_view(change.serial_hex));
  stmt.bind(5, std::int64_t{change.crl_partition});
  stmt.bind(6, std::string_view(change.status));
  stmt.bind(7, change.revoked_at);
  stmt.bind(8, widen(change.revocation_reason));
  stmt.bind(9, change.not_after);
  stmt.bind(10, change.at);
  FLEETPKI_RETURN_IF_ERROR(stmt.run());
  return last_insert_id();
}

Result<std::int64_t> SqliteTransaction::next_crl_number(std::int64_t ca_id, int partition) {
  if (partition < 0) {
    return fail(Errc::InvalidArgument, "CRL partition must not be negative");
  }
  // The counter row is updated in this transaction, so concurrent writers (serialized) never get
  // the same number, and insert_crl() keeps the counter at or above every stored number.
  FLEETPKI_TRY(
      Statement stmt,
      Statement::prepare(conn_,
                         "INSERT INTO crl_numbers (ca_id, partition, last_number) "
                         "VALUES (?1, ?2, 1) ON CONFLICT (ca_id, partition) "
                         "DO UPDATE SET last_number = last_number + 1 RETURNING last_number"));
  stmt.bind(1, ca_id);
  stmt.bind(2, std::int64_t{partition});
  FLEETPKI_TRY(bool row, stmt.step());
  if (!row) {
    return fail(Errc::Internal, "database error", "crl_numbers upsert returned no row");
  }
  std::int64_t number = stmt.int64(0);
  FLEETPKI_TRY(bool more, stmt.step());
  if (more) {
    return fail(Errc::Internal, "database error", "crl_numbers upsert returned two rows");
  }
  return number;
}

Status SqliteTransaction::insert_crl(const CrlRecord& crl) {
  if (crl.partition < 0 || crl.number < 1) {
    return fail(Errc::InvalidArgument, "CRL numbers start at 1 and partitions at 0");
  }
  {
    FLEETPKI_TRY(Statement stmt,
                 Statement::prepare(conn_,
                                    "INSERT INTO crls (ca_id, partition, number, base_number, "
                                    "this_update, next_update, last_change_id, der) "
                                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
    stmt.bind(1, crl.ca_id);
    stmt.bind(2, std::int64_t{crl.partition});
    stmt.bind(3, crl.number);
    stmt.bind(4, crl.base_number);
    stmt.bind(5, crl.this_update);
    stmt.bind(6, crl.next_update);
    stmt.bind(7, crl.last_change_id);
    stmt.bind_blob(8, crl.der);
    FLEETPKI_RETURN_IF_ERROR(stmt.run());
  }
  // A stored number is never handed out again by next_crl_number(), even if it was not allocated
  // there (or its counter row was lost).
  FLEETPKI_TRY(
      Statement bump,
      Statement::prepare(conn_,
                         "INSERT INTO crl_numbers (ca_id, partition, last_number) "
                         "VALUES (?1, ?2, ?3) ON CONFLICT (ca_id, partition) "
                         "DO UPDATE SET last_number = MAX(last_number, excluded.last_number)"));
  bump.bind(1, crl.ca_id);
  bump.bind(2, std::int64_t{crl.partition});
  bump.bind(3, crl.number);
  return bump.run();
}

Status SqliteTransaction::delete_crls_before(std::int64_t ca_id, int partition,
                                             std::int64_t keep_from_number) {
  FLEETPKI_TRY(Statement stmt,
               Statement::prepare(conn_,
                                  "DELETE FROM crls WHERE ca_id = ?1 AND partition = ?2 "
                                  "AND number < ?3"));
  stmt.bind(1, ca_id);
  stmt.bind(2, std::int64_t{partition});
  stmt.bind(3, keep_from_number);
  return stmt.run();
}

Status SqliteTransaction::put_ocsp_responder(const OcspResponderRecord& responder) {
  FLEETPKI_TRY(
      Statement stmt,
      Statement::prepare(conn_,
                         "INSERT INTO ocsp_responders (ca_id, key_ref, certificate_der, "
                         "not_after, updated_at) VALUES (?1, ?2, ?3, ?4, ?5) "
                         "ON CONFLICT (ca_id) DO UPDATE SET key_ref = excluded.key_ref, "
                         "certificate_der = excluded.certificate_der, "
                         "not_after = excluded.not_after, updated_at = excluded.updated_at"));
  stmt.bind(1, responder.ca_id);
  stmt.bind(2, std::string_view(responder.key_ref));
  stmt.bind_blob(3, responder.certificate_der);
  stmt.bind(4, responder.not_after);
  stmt.bind(5, responder.updated_at);
  return stmt.run();
}

namespace {

/// Binds the job's mutable fields to ?2..?12, the numbering both put_bulk_job statements share.
void bind_bulk_job_fields(Statement& stmt, const BulkJobRecord& job) {
  stmt.bind(2, job.tenant_id);
  stmt.bind(3, std::string_view(job.kind));
  stmt.bind(4, std::string_view(job.query_json));
  stmt.bind(5, std::int64_t{job.reason});
  stmt.bind(6, std::string_view(job.state));
  stmt.bind(7, job.cursor);
  stmt.bind(8, job.processed);
  stmt.bind(9, std::string_view(job.actor));
  stmt.bind(10, std::string_view(job.request_id));
  stmt.bind(11, std::string_view(job.error));
  stmt.bind(12, job.updated_at);
}

}  // namespace

Result<std::int64_t> SqliteTransaction::put_bulk_job(const BulkJobRecord& job) {
  if (job.id == 0) {
    FLEETPKI_TRY(Statement stmt,
                 Statement::prepare(conn_,
                                    "INSERT INTO bulk_jobs (tenant_id, kind, query_json, reason, "
                                    "state, cursor, processed, actor, request_id, error, "
                                    "updated_at, created_at) VALUES (?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                                    "?9, ?10, ?11, ?12, ?13)"));
    bind_bulk_job_fields(stmt, job);
    stmt.bind(13, job.created_at);
    FLEETPKI_RETURN_IF_ERROR(stmt.run());
    return last_insert_id();
  }
  // The owner (tenant) and created_at of a job never change; the tenant scopes the update.
  FLEETPKI_TRY(Statement stmt,
               Statement::prepare(conn_,
                                  "UPDATE bulk_jobs SET kind = ?3, query_json = ?4, reason = ?5, "
                                  "state = ?6, cursor = ?7, processed = ?8, actor = ?9, "
                                  "request_id = ?10, error = ?11, updated_at = ?12 "
                                  "WHERE id = ?1 AND tenant_id = ?2"));
  stmt.bind(1, job.id);
  bind_bulk_job_fields(stmt, job);
  FLEETPKI_RETURN_IF_ERROR(stmt.run());
  if (::sqlite3_changes64(conn_.handle()) != 1) {
    return fail(Errc::NotFound, "bulk job not found");
  }
  return job.id;
}

Status SqliteTransaction::set_ca_crl_partitions(std::int64_t ca_id, int partitions) {
  if (partitions < 1) {
    return fail(Errc::InvalidArgument, "a CA has at least one CRL partition");
  }
  FLEETPKI_TRY(Statement stmt,
               Statement::prepare(conn_, "UPDATE cas SET crl_partitions = ?2 WHERE id = ?1"));
  stmt.bind(1, ca_id);
  stmt.bind(2, std::int64_t{partitions});
  FLEETPKI_RETURN_IF_ERROR(stmt.run());
  if (::sqlite3_changes64(conn_.handle()) != 1) {
    return fail(Errc::NotFound, "CA not found");
  }
  return ok();
}

Status SqliteTransaction::set_ca_key_ref(std::int64_t tenant_id, std::int64_t ca_id,
                                         std::string_view key_ref) {
  if (key_ref.empty()) return fail(Errc::InvalidArgument, "a CA needs a key reference");
  FLEETPKI_TRY(Statement stmt,
               Statement::prepare(conn_, "UPDATE cas SET key_ref = ?3 WHERE id = ?1 AND tenant_id = ?2"));
  stmt.bind(1, ca_id);
  stmt.bind(2, tenant_id);
  stmt.bind(3, key_ref);
  FLEETPKI_RETURN_IF_ERROR(stmt.run());
  if (::sqlite3_changes64(conn_.handle()) != 1) {
    return fail(Errc::NotFound, "CA not found");
  }
  return ok();
}

}  // namespace fleetpki::store
