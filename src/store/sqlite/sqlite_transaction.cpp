// SqliteTransaction: INSERT/UPDATE statements of the write side, including the audit chain append.
#include "store/sqlite/sqlite_transaction.h"

#include <sqlite3.h>

#include "store/sqlite/sqlite_statement.h"

namespace fleetpki::store {

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
                                  "parent_id, status, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  stmt.bind(1, ca.tenant_id);
  stmt.bind(2, std::string_view(ca.name));
  stmt.bind(3, std::string_view(ca.key_ref));
  stmt.bind_blob(4, ca.certificate_der);
  stmt.bind(5, ca.parent_id);
  stmt.bind(6, std::string_view(ca.status));
  stmt.bind(7, ca.created_at);
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
  FLEETPKI_TRY(
      Statement stmt,
      Statement::prepare(conn_,
                         "INSERT INTO certificates (tenant_id, ca_id, profile, profile_version, "
                         "serial_hex, subject, not_before, not_after, status, der, created_at, "
                         "revoked_at, revocation_reason, device_serial, row_version) VALUES (?1, ?2, "
                         "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"));
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
  stmt.bind(13, cert.revocation_reason ? std::optional<std::int64_t>(*cert.revocation_reason)
                                       : std::nullopt);
  stmt.bind(14, cert.device_serial);
  stmt.bind(15, std::int64_t{cert.row_version});
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
  stmt.bind(3, revocation_reason ? std::optional<std::int64_t>(*revocation_reason) : std::nullopt);
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

}  // namespace fleetpki::store
