#include "store/sqlite/sqlite_tenancy.h"

#include <sqlite3.h>

#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_statement.h"

namespace fleetpki::store {
namespace {

constexpr const char* kTokenColumns = "rowid, id, tenant_id, role, secret_hash, created_at, expires_at, revoked";
constexpr const char* kOperatorColumns =
    "rowid, fingerprint, tenant_id, role, subject, not_after, created_at, revoked";

TokenRecord read_token(const Statement& s) {
  TokenRecord t;
  t.id = s.text(1);
  t.tenant_id = s.optional_int64(2);
  t.role = s.text(3);
  t.secret_hash = s.blob(4);
  t.created_at = s.int64(5);
  t.expires_at = s.optional_int64(6);
  t.revoked = s.int64(7) != 0;
  return t;
}

OperatorCertificateRecord read_operator(const Statement& s) {
  OperatorCertificateRecord r;
  r.fingerprint = s.text(1);
  r.tenant_id = s.optional_int64(2);
  r.role = s.text(3);
  r.subject = s.text(4);
  r.not_after = s.int64(5);
  r.created_at = s.int64(6);
  r.revoked = s.int64(7) != 0;
  return r;
}

template <class Record, class Reader>
Result<Page<Record>> read_page(Statement& s, int limit, Reader read) {
  Page<Record> page;
  FLEETPKI_TRY(page.next_after, sqlite_rows::read_page(s, limit, page.items, read));
  return page;
}

Status expect_one_change(SqliteConnection& conn, const char* what) {
  if (::sqlite3_changes(conn.handle()) == 0) return fail(Errc::NotFound, std::string(what) + " not found");
  return ok();
}

}  // namespace

namespace sqlite_tenancy {

Result<Page<TenantRecord>> list_tenants_page(SqliteConnection& conn, std::int64_t after_id, int limit) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn,
                                               "SELECT id, name, created_at, disabled FROM tenants "
                                               "WHERE id > ?1 ORDER BY id LIMIT ?2"));
  s.bind(1, after_id);
  s.bind(2, std::int64_t{limit} + 1);
  return read_page<TenantRecord>(s, limit, [](const Statement& row) {
    return TenantRecord{row.int64(0), row.text(1), row.int64(2), row.int64(3) != 0};
  });
}

Result<std::optional<TenantRecord>> find_tenant_by_id(SqliteConnection& conn, std::int64_t id) {
  FLEETPKI_TRY(Statement s,
               Statement::prepare(conn, "SELECT id, name, created_at, disabled FROM tenants WHERE id = ?1"));
  s.bind(1, id);
  FLEETPKI_TRY(bool row, s.step());
  if (!row) return std::optional<TenantRecord>();
  return std::optional<TenantRecord>(TenantRecord{s.int64(0), s.text(1), s.int64(2), s.int64(3) != 0});
}

Result<Page<TokenRecord>> list_tokens(SqliteConnection& conn, std::optional<std::int64_t> tenant_id,
                                      std::int64_t after, int limit) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn, std::string("SELECT ") + kTokenColumns +
                                                         " FROM tokens WHERE tenant_id IS ?1 AND rowid > ?2 "
                                                         "ORDER BY rowid LIMIT ?3"));
  s.bind(1, tenant_id);
  s.bind(2, after);
  s.bind(3, std::int64_t{limit} + 1);
  return read_page<TokenRecord>(s, limit, read_token);
}

Result<std::optional<OperatorCertificateRecord>> find_operator_certificate(SqliteConnection& conn,
                                                                          std::string_view fingerprint) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn, std::string("SELECT ") + kOperatorColumns +
                                                         " FROM operator_certificates WHERE fingerprint = ?1"));
  s.bind(1, fingerprint);
  FLEETPKI_TRY(bool row, s.step());
  if (!row) return std::optional<OperatorCertificateRecord>();
  return std::optional<OperatorCertificateRecord>(read_operator(s));
}

Result<Page<OperatorCertificateRecord>> list_operator_certificates(SqliteConnection& conn,
                                                                   std::optional<std::int64_t> tenant_id,
                                                                   std::int64_t after, int limit) {
  FLEETPKI_TRY(Statement s,
               Statement::prepare(conn, std::string("SELECT ") + kOperatorColumns +
                                            " FROM operator_certificates WHERE tenant_id IS ?1 AND rowid > ?2 "
                                            "ORDER BY rowid LIMIT ?3"));
  s.bind(1, tenant_id);
  s.bind(2, after);
  s.bind(3, std::int64_t{limit} + 1);
  return read_page<OperatorCertificateRecord>(s, limit, read_operator);
}

Result<std::optional<IdempotencyRecord>> find_idempotency(SqliteConnection& conn, std::string_view principal,
                                                          std::string_view key) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn,
                                               "SELECT principal, key, request_hash, status, content_type, body, "
                                               "created_at FROM idempotency_keys WHERE principal = ?1 AND key = ?2"));
  s.bind(1, principal);
  s.bind(2, key);
  FLEETPKI_TRY(bool row, s.step());
  if (!row) return std::optional<IdempotencyRecord>();
  return std::optional<IdempotencyRecord>(IdempotencyRecord{s.text(0), s.text(1), s.text(2),
                                                            static_cast<int>(s.int64(3)), s.text(4), s.text(5),
                                                            s.int64(6)});
}

}  // namespace sqlite_tenancy

// ---- write side ---------------------------------------------------------------------------------

Status SqliteTransaction::set_tenant_disabled(std::int64_t tenant_id, bool disabled) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn_, "UPDATE tenants SET disabled = ?2 WHERE id = ?1"));
  s.bind(1, tenant_id);
  s.bind(2, std::int64_t{disabled ? 1 : 0});
  FLEETPKI_RETURN_IF_ERROR(s.run());
  return expect_one_change(conn_, "tenant");
}

Status SqliteTransaction::update_ca(std::int64_t tenant_id, std::int64_t ca_id, ByteView certificate_der,
                                    std::string_view status, const std::optional<std::string>& external_chain_pem) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn_,
                                               "UPDATE cas SET certificate_der = ?3, status = ?4, "
                                               "external_chain_pem = ?5 WHERE id = ?2 AND tenant_id = ?1"));
  s.bind(1, tenant_id);
  s.bind(2, ca_id);
  s.bind_blob(3, certificate_der);
  s.bind(4, status);
  s.bind(5, external_chain_pem);
  FLEETPKI_RETURN_IF_ERROR(s.run());
  return expect_one_change(conn_, "CA");
}

Status SqliteTransaction::revoke_token(std::optional<std::int64_t> tenant_id, std::string_view id) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn_,
                                               "UPDATE tokens SET revoked = 1 WHERE id = ?1 "
                                               "AND (?2 IS NULL OR tenant_id = ?2)"));
  s.bind(1, id);
  s.bind(2, tenant_id);
  FLEETPKI_RETURN_IF_ERROR(s.run());
  return expect_one_change(conn_, "token");
}

Status SqliteTransaction::insert_operator_certificate(const OperatorCertificateRecord& r) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn_,
                                               "INSERT INTO operator_certificates (fingerprint, tenant_id, role, "
                                               "subject, not_after, created_at, revoked) "
                                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  s.bind(1, std::string_view(r.fingerprint));
  s.bind(2, r.tenant_id);
  s.bind(3, std::string_view(r.role));
  s.bind(4, std::string_view(r.subject));
  s.bind(5, r.not_after);
  s.bind(6, r.created_at);
  s.bind(7, std::int64_t{r.revoked ? 1 : 0});
  return s.run();  // a taken key is AlreadyExists
}

Status SqliteTransaction::revoke_operator_certificate(std::optional<std::int64_t> tenant_id,
                                                      std::string_view fingerprint) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn_,
                                               "UPDATE operator_certificates SET revoked = 1 WHERE fingerprint = ?1 "
                                               "AND (?2 IS NULL OR tenant_id = ?2)"));
  s.bind(1, fingerprint);
  s.bind(2, tenant_id);
  FLEETPKI_RETURN_IF_ERROR(s.run());
  return expect_one_change(conn_, "operator certificate");
}

Status SqliteTransaction::insert_idempotency(const IdempotencyRecord& r) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn_,
                                               "INSERT INTO idempotency_keys (principal, key, request_hash, status, "
                                               "content_type, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  s.bind(1, std::string_view(r.principal));
  s.bind(2, std::string_view(r.key));
  s.bind(3, std::string_view(r.request_hash));
  s.bind(4, std::int64_t{r.status});
  s.bind(5, std::string_view(r.content_type));
  s.bind(6, std::string_view(r.body));
  s.bind(7, r.created_at);
  return s.run();  // a taken key is AlreadyExists
}

Status SqliteTransaction::delete_idempotency_before(std::int64_t created_before) {
  FLEETPKI_TRY(Statement s, Statement::prepare(conn_, "DELETE FROM idempotency_keys WHERE created_at < ?1"));
  s.bind(1, created_before);
  return s.run();
}

}  // namespace fleetpki::store
