// EST enrollment over SQLite: the reads (free functions shared by both connections) and the
// SqliteTransaction members of the enrollment slice.
#include "store/sqlite/sqlite_enrollment.h"

#include <sqlite3.h>

#include <algorithm>

#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_statement.h"

namespace fleetpki::store {
namespace sqlite_enrollment {
namespace {

constexpr int kMaxPageSize = 1000;

EnrollmentEndpointRecord read_endpoint(const Statement& s) {
  EnrollmentEndpointRecord e;
  e.id = s.int64(0);
  e.tenant_id = s.int64(1);
  e.label = s.text(2);
  e.definition_json = s.text(3);
  e.disabled = s.int64(4) != 0;
  e.created_at = s.int64(5);
  e.updated_at = s.int64(6);
  e.row_version = static_cast<int>(s.int64(7));
  return e;
}

EnrollmentRequestRecord read_request(const Statement& s) {
  EnrollmentRequestRecord r;
  r.id = s.int64(0);
  r.tenant_id = s.int64(1);
  r.endpoint_id = s.int64(2);
  r.request_key = s.text(3);
  r.device_serial = s.text(4);
  r.auth_mode = s.text(5);
  r.identity = s.text(6);
  r.csr_der = s.blob(7);
  r.state = s.text(8);
  r.certificate_serial = s.optional_text(9);
  r.decided_by = s.optional_text(10);
  r.reason = s.optional_text(11);
  r.created_at = s.int64(12);
  r.decided_at = s.optional_int64(13);
  r.row_version = static_cast<int>(s.int64(14));
  r.endpoint_label = s.optional_text(15).value_or("");
  return r;
}

EnrollmentOtpRecord read_otp(const Statement& s) {
  EnrollmentOtpRecord o;
  o.id = s.int64(0);
  o.tenant_id = s.int64(1);
  o.device_serial = s.text(2);
  o.secret_hash = s.blob(3);
  o.created_at = s.int64(4);
  o.expires_at = s.int64(5);
  o.used_at = s.optional_int64(6);
  o.created_by = s.text(7);
  return o;
}

template <class Record, class Reader>
Result<std::optional<Record>> read_one(Statement& s, Reader read) {
  FLEETPKI_TRY(bool row, s.step());
  if (!row) return std::optional<Record>();
  return std::optional<Record>(read(s));
}

}  // namespace

Result<std::optional<EnrollmentEndpointRecord>> find_endpoint(SqliteConnection& conn, std::string_view label) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn, std::string("SELECT ") + kEndpointColumns +
                                                         " FROM enrollment_endpoints WHERE " +
                                                         kFindEndpointByLabelWhere));
  s.bind(1, label);
  return read_one<EnrollmentEndpointRecord>(s, read_endpoint);
}

Result<Page<EnrollmentEndpointRecord>> list_endpoints(SqliteConnection& conn, std::int64_t tenant_id,
                                                      std::int64_t after, int limit) {
  limit = std::clamp(limit, 1, kMaxPageSize);
  FLEETPKI_TRY(Statement s, Statement::prepare(conn, std::string("SELECT ") + kEndpointColumns +
                                                         " FROM enrollment_endpoints WHERE tenant_id = ?1 "
                                                         "AND id > ?2 ORDER BY id LIMIT ?3"));
  s.bind(1, tenant_id);
  s.bind(2, after);
  s.bind(3, std::int64_t{limit} + 1);  // one more row tells whether another page follows
  Page<EnrollmentEndpointRecord> page;
  FLEETPKI_TRY(page.next_after, sqlite_rows::read_page(s, limit, page.items, read_endpoint));
  return page;
}

Result<std::vector<EndpointCrlRecord>> list_endpoint_crls(SqliteConnection& conn, std::int64_t tenant_id,
                                                          std::int64_t endpoint_id,
                                                          std::optional<std::string_view> issuer_sha256) {
  std::string sql =
      "SELECT id, tenant_id, endpoint_id, issuer_sha256, crl_der, crl_number, this_update, next_update, "
      "revoked_count, created_at FROM endpoint_crls WHERE endpoint_id = ?2 AND tenant_id = ?1";
  if (issuer_sha256) sql += " AND issuer_sha256 = ?3";
  sql += " ORDER BY issuer_sha256";
  FLEETPKI_TRY(Statement s, Statement::prepare(conn, sql));
  s.bind(1, tenant_id);
  s.bind(2, endpoint_id);
  if (issuer_sha256) s.bind(3, *issuer_sha256);
  std::vector<EndpointCrlRecord> out;
  for (;;) {
    FLEETPKI_TRY(bool row, s.step());
    if (!row) break;
    EndpointCrlRecord c;
    c.id = s.int64(0);
    c.tenant_id = s.int64(1);
    c.endpoint_id = s.int64(2);
    c.issuer_sha256 = s.text(3);
    c.crl_der = s.blob(4);
    c.crl_number = s.optional_text(5);
    c.this_update = s.int64(6);
    c.next_update = s.optional_int64(7);
    c.revoked_count = s.int64(8);
    c.created_at = s.int64(9);
    out.push_back(std::move(c));
  }
  return out;
}

Result<std::optional<EnrollmentRequestRecord>> find_request(SqliteConnection& conn, std::int64_t tenant_id,
                                                            std::int64_t id) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn, std::string("SELECT ") + kRequestColumns +
                                                         " FROM enrollment_requests WHERE id = ?2 "
                                                         "AND tenant_id = ?1"));
  s.bind(1, tenant_id);
  s.bind(2, id);
  return read_one<EnrollmentRequestRecord>(s, read_request);
}

Result<bool> has_usable_grant(SqliteConnection& conn, std::int64_t tenant_id, std::string_view device_serial,
                              std::int64_t now) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn, std::string("SELECT 1 FROM renewal_grants WHERE ") +
                                                         kUsableGrantWhere));
  s.bind(1, tenant_id);
  s.bind(2, device_serial);
  s.bind(3, now);
  return s.step();
}

Result<std::optional<EnrollmentRequestRecord>> find_request_by_key(SqliteConnection& conn,
                                                                   std::string_view request_key) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn, std::string("SELECT ") + kRequestColumns +
                                                         " FROM enrollment_requests WHERE " +
                                                         kFindRequestByKeyWhere));
  s.bind(1, request_key);
  return read_one<EnrollmentRequestRecord>(s, read_request);
}

Result<Page<EnrollmentRequestRecord>> list_requests(SqliteConnection& conn, std::int64_t tenant_id,
                                                    const std::optional<std::string>& state, std::int64_t after,
                                                    int limit) {
  limit = std::clamp(limit, 1, kMaxPageSize);
  // Two variants, each a seek in its own index: (tenant_id, id) or (tenant_id, state, id).
  std::string sql = std::string("SELECT ") + kRequestColumns +
                    " FROM enrollment_requests WHERE tenant_id = ?1 AND id > ?2";
  if (state) sql += " AND state = ?4";
  sql += " ORDER BY id LIMIT ?3";
  FLEETPKI_TRY(Statement s, Statement::prepare(conn, sql));
  s.bind(1, tenant_id);
  s.bind(2, after);
  s.bind(3, std::int64_t{limit} + 1);
  if (state) s.bind(4, std::string_view(*state));
  Page<EnrollmentRequestRecord> page;
  FLEETPKI_TRY(page.next_after, sqlite_rows::read_page(s, limit, page.items, read_request));
  return page;
}

}  // namespace sqlite_enrollment

// ---- SqliteTransaction members of the enrollment slice -------------------------------------------

Result<std::int64_t> SqliteTransaction::insert_enrollment_endpoint(const EnrollmentEndpointRecord& endpoint) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn_,
                                               "INSERT INTO enrollment_endpoints (tenant_id, label, "
                                               "definition_json, disabled, created_at, updated_at, row_version) "
                                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1)"));
  s.bind(1, endpoint.tenant_id);
  s.bind(2, std::string_view(endpoint.label));
  s.bind(3, std::string_view(endpoint.definition_json));
  s.bind(4, std::int64_t{endpoint.disabled ? 1 : 0});
  s.bind(5, endpoint.created_at);
  s.bind(6, endpoint.updated_at);
  FLEETPKI_RETURN_IF_ERROR(s.run());  // a taken label is AlreadyExists
  return last_insert_id();
}

Result<std::optional<EnrollmentEndpointRecord>> SqliteTransaction::find_enrollment_endpoint(
    std::string_view label) {
  return sqlite_enrollment::find_endpoint(conn_, label);
}

Status SqliteTransaction::update_enrollment_endpoint(const EnrollmentEndpointRecord& endpoint) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn_,
                                               "UPDATE enrollment_endpoints SET definition_json = ?3, "
                                               "disabled = ?4, updated_at = ?5, row_version = row_version + 1 "
                                               "WHERE id = ?2 AND tenant_id = ?1 AND row_version = ?6"));
  s.bind(1, endpoint.tenant_id);
  s.bind(2, endpoint.id);
  s.bind(3, std::string_view(endpoint.definition_json));
  s.bind(4, std::int64_t{endpoint.disabled ? 1 : 0});
  s.bind(5, endpoint.updated_at);
  s.bind(6, std::int64_t{endpoint.row_version});
  FLEETPKI_RETURN_IF_ERROR(s.run());
  if (::sqlite3_changes(conn_.handle()) == 0) {
    return fail(Errc::Aborted, "enrollment endpoint " + endpoint.label + " changed concurrently");
  }
  return ok();
}

Result<std::int64_t> SqliteTransaction::insert_enrollment_request(const EnrollmentRequestRecord& request) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn_,
                                               "INSERT INTO enrollment_requests (tenant_id, endpoint_id, "
                                               "request_key, device_serial, auth_mode, identity, csr_der, state, "
                                               "certificate_serial, decided_by, reason, created_at, decided_at, "
                                               "row_version) "
                                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 1)"));
  s.bind(1, request.tenant_id);
  s.bind(2, request.endpoint_id);
  s.bind(3, std::string_view(request.request_key));
  s.bind(4, std::string_view(request.device_serial));
  s.bind(5, std::string_view(request.auth_mode));
  s.bind(6, std::string_view(request.identity));
  s.bind_blob(7, request.csr_der);
  s.bind(8, std::string_view(request.state));
  s.bind(9, request.certificate_serial);
  s.bind(10, request.decided_by);
  s.bind(11, request.reason);
  s.bind(12, request.created_at);
  s.bind(13, request.decided_at);
  FLEETPKI_RETURN_IF_ERROR(s.run());  // a taken request key is AlreadyExists
  return last_insert_id();
}

Result<std::optional<EnrollmentRequestRecord>> SqliteTransaction::find_enrollment_request(std::int64_t tenant_id,
                                                                                          std::int64_t id) {
  return sqlite_enrollment::find_request(conn_, tenant_id, id);
}

Status SqliteTransaction::update_enrollment_request(const EnrollmentRequestRecord& request) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn_,
                                               "UPDATE enrollment_requests SET state = ?3, certificate_serial = ?4, "
                                               "decided_by = ?5, reason = ?6, decided_at = ?7, "
                                               "row_version = row_version + 1 "
                                               "WHERE id = ?2 AND tenant_id = ?1 AND row_version = ?8"));
  s.bind(1, request.tenant_id);
  s.bind(2, request.id);
  s.bind(3, std::string_view(request.state));
  s.bind(4, request.certificate_serial);
  s.bind(5, request.decided_by);
  s.bind(6, request.reason);
  s.bind(7, request.decided_at);
  s.bind(8, std::int64_t{request.row_version});
  FLEETPKI_RETURN_IF_ERROR(s.run());
  if (::sqlite3_changes(conn_.handle()) == 0) {
    return fail(Errc::Aborted, "enrollment request " + std::to_string(request.id) + " changed concurrently");
  }
  return ok();
}

Result<std::int64_t> SqliteTransaction::insert_enrollment_otp(const EnrollmentOtpRecord& otp) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn_,
                                               "INSERT INTO enrollment_otps (tenant_id, device_serial, "
                                               "secret_hash, created_at, expires_at, used_at, created_by) "
                                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  s.bind(1, otp.tenant_id);
  s.bind(2, std::string_view(otp.device_serial));
  s.bind_blob(3, otp.secret_hash);
  s.bind(4, otp.created_at);
  s.bind(5, otp.expires_at);
  s.bind(6, otp.used_at);
  s.bind(7, std::string_view(otp.created_by));
  FLEETPKI_RETURN_IF_ERROR(s.run());
  return last_insert_id();
}

Result<std::vector<EnrollmentOtpRecord>> SqliteTransaction::find_usable_enrollment_otps(
    std::int64_t tenant_id, std::string_view device_serial, std::int64_t now) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn_, sqlite_enrollment::kUsableOtpsSql));
  s.bind(1, tenant_id);
  s.bind(2, device_serial);
  s.bind(3, now);
  return sqlite_rows::read_all<EnrollmentOtpRecord>(s, sqlite_enrollment::read_otp);
}

Status SqliteTransaction::mark_enrollment_otp_used(std::int64_t tenant_id, std::int64_t id, std::int64_t now) {
  {
    FLEETPKI_TRY(Statement s, Statement::prepare(conn_,
                                                 "UPDATE enrollment_otps SET used_at = ?3 "
                                                 "WHERE id = ?2 AND tenant_id = ?1 AND used_at IS NULL"));
    s.bind(1, tenant_id);
    s.bind(2, id);
    s.bind(3, now);
    FLEETPKI_RETURN_IF_ERROR(s.run());
  }
  if (::sqlite3_changes(conn_.handle()) == 1) return ok();
  // Nothing changed: either another enrollment used it first, or it is not the tenant's.
  FLEETPKI_TRY(Statement s,
               Statement::prepare(conn_, "SELECT 1 FROM enrollment_otps WHERE id = ?2 AND tenant_id = ?1"));
  s.bind(1, tenant_id);
  s.bind(2, id);
  FLEETPKI_TRY(bool exists, s.step());
  if (!exists) return fail(Errc::NotFound, "one-time password not found");
  return fail(Errc::Aborted, "the one-time password was used already");
}

Result<std::int64_t> SqliteTransaction::insert_renewal_grant(const RenewalGrantRecord& grant) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn_,
                                               "INSERT INTO renewal_grants (tenant_id, device_serial, created_at, "
                                               "expires_at, used_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
  s.bind(1, grant.tenant_id);
  s.bind(2, std::string_view(grant.device_serial));
  s.bind(3, grant.created_at);
  s.bind(4, grant.expires_at);
  s.bind(5, grant.used_at);
  s.bind(6, std::string_view(grant.created_by));
  FLEETPKI_RETURN_IF_ERROR(s.run());
  return last_insert_id();
}

Result<bool> SqliteTransaction::consume_renewal_grant(std::int64_t tenant_id, std::string_view device_serial,
                                                      std::int64_t now) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn_,
                                               "UPDATE renewal_grants SET used_at = ?3 WHERE id = ("
                                               "SELECT id FROM renewal_grants WHERE " +
                                                   std::string(sqlite_enrollment::kUsableGrantWhere) + ")"));
  s.bind(1, tenant_id);
  s.bind(2, device_serial);
  s.bind(3, now);
  FLEETPKI_RETURN_IF_ERROR(s.run());
  return ::sqlite3_changes(conn_.handle()) == 1;
}

Result<std::int64_t> SqliteTransaction::purge_spent_enrollment_credentials(std::int64_t tenant_id,
                                                                           std::string_view device_serial,
                                                                           std::int64_t before) {
  std::int64_t purged = 0;
  for (const char* table : {"enrollment_otps", "renewal_grants"}) {
    // One device's rows through its (tenant_id, device_serial) index: bounded work per call.
    FLEETPKI_TRY(Statement s, Statement::prepare(conn_, std::string("DELETE FROM ") + table +
                                                            " WHERE tenant_id = ?1 AND device_serial = ?2 "
                                                            "AND (used_at < ?3 OR expires_at < ?3)"));
    s.bind(1, tenant_id);
    s.bind(2, device_serial);
    s.bind(3, before);
    FLEETPKI_RETURN_IF_ERROR(s.run());
    purged += ::sqlite3_changes64(conn_.handle());
  }
  return purged;
}

Status SqliteTransaction::put_endpoint_crl(const EndpointCrlRecord& crl) {
  FLEETPKI_TRY(Statement s,
               Statement::prepare(conn_,
                                  "INSERT INTO endpoint_crls (tenant_id, endpoint_id, issuer_sha256, crl_der, "
                                  "crl_number, this_update, next_update, revoked_count, created_at) "
                                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
                                  "ON CONFLICT (endpoint_id, issuer_sha256) DO UPDATE SET crl_der = excluded.crl_der, "
                                  "crl_number = excluded.crl_number, this_update = excluded.this_update, "
                                  "next_update = excluded.next_update, revoked_count = excluded.revoked_count, "
                                  "created_at = excluded.created_at"));
  s.bind(1, crl.tenant_id);
  s.bind(2, crl.endpoint_id);
  s.bind(3, std::string_view(crl.issuer_sha256));
  s.bind_blob(4, crl.crl_der);
  s.bind(5, crl.crl_number);
  s.bind(6, crl.this_update);
  s.bind(7, crl.next_update);
  s.bind(8, crl.revoked_count);
  s.bind(9, crl.created_at);
  return s.run();
}

Result<std::optional<EndpointCrlRecord>> SqliteTransaction::find_endpoint_crl(std::int64_t tenant_id,
                                                                              std::int64_t endpoint_id,
                                                                              std::string_view issuer_sha256) {
  FLEETPKI_TRY(auto found, sqlite_enrollment::list_endpoint_crls(conn_, tenant_id, endpoint_id, issuer_sha256));
  if (found.empty()) return std::optional<EndpointCrlRecord>();
  return std::optional<EndpointCrlRecord>(std::move(found.front()));
}

Result<std::int64_t> SqliteTransaction::purge_expired_enrollment_credentials(std::int64_t tenant_id, std::int64_t before,
                                                                            int limit) {
  std::int64_t purged = 0;
  for (const char* table : {"enrollment_otps", "renewal_grants"}) {
    // The tenant's oldest `limit` expired rows through the (tenant_id, expires_at) index
    // (migration 0010): a short seek, whatever the table's size.
    FLEETPKI_TRY(Statement s, Statement::prepare(conn_, std::string("DELETE FROM ") + table +
                                                            " WHERE id IN (SELECT id FROM " + table +
                                                            " WHERE tenant_id = ?1 AND expires_at < ?2 "
                                                            "ORDER BY expires_at LIMIT ?3)"));
    s.bind(1, tenant_id);
    s.bind(2, before);
    s.bind(3, std::int64_t{std::max(limit, 0)});
    FLEETPKI_RETURN_IF_ERROR(s.run());
    purged += ::sqlite3_changes64(conn_.handle());
  }
  return purged;
}

}  // namespace fleetpki::store
