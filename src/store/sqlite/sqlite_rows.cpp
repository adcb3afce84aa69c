// Row readers and shared queries of the SQLite adapter.
#include "store/sqlite/sqlite_rows.h"

#include <string>

namespace fleetpki::store::sqlite_rows {

std::optional<int> optional_int(const Statement& s, int column) {
  if (auto value = s.optional_int64(column)) {
    return static_cast<int>(*value);
  }
  return std::nullopt;
}

std::optional<std::int64_t> widen(const std::optional<int>& value) {
  return value ? std::optional<std::int64_t>(*value) : std::nullopt;
}

CertificateRecord read_certificate(const Statement& s) {
  CertificateRecord c;
  c.id = s.int64(0);
  c.tenant_id = s.int64(1);
  c.ca_id = s.int64(2);
  c.profile = s.text(3);
  c.profile_version = static_cast<int>(s.int64(4));
  c.serial_hex = s.text(5);
  c.subject = s.text(6);
  c.not_before = s.int64(7);
  c.not_after = s.int64(8);
  c.status = s.text(9);
  c.der = s.blob(10);
  c.created_at = s.int64(11);
  c.revoked_at = s.optional_int64(12);
  c.revocation_reason = optional_int(s, 13);
  c.device_serial = s.optional_text(14);
  c.row_version = static_cast<int>(s.int64(15));
  c.crl_partition = static_cast<int>(s.int64(16));
  c.renewal_of = s.optional_int64(17);
  return c;
}

CaRecord read_ca(const Statement& s) {
  CaRecord ca;
  ca.id = s.int64(0);
  ca.tenant_id = s.int64(1);
  ca.name = s.text(2);
  ca.key_ref = s.text(3);
  ca.certificate_der = s.blob(4);
  ca.parent_id = s.optional_int64(5);
  ca.status = s.text(6);
  ca.created_at = s.int64(7);
  ca.crl_partitions = static_cast<int>(s.int64(8));
  ca.name_constraints_json = s.optional_text(9);
  ca.csr_der = s.blob(10);
  ca.external_chain_pem = s.optional_text(11);
  return ca;
}

ProfileRecord read_profile(const Statement& s) {
  ProfileRecord p;
  p.id = s.int64(0);
  p.tenant_id = s.int64(1);
  p.name = s.text(2);
  p.version = static_cast<int>(s.int64(3));
  p.definition_json = s.text(4);
  p.retired = s.int64(5) != 0;
  p.created_at = s.int64(6);
  return p;
}

StatusChange read_status_change(const Statement& s) {
  StatusChange c;
  c.id = s.int64(0);
  c.tenant_id = s.int64(1);
  c.ca_id = s.int64(2);
  c.certificate_id = s.int64(3);
  c.serial_hex = s.text(4);
  c.crl_partition = static_cast<int>(s.int64(5));
  c.status = s.text(6);
  c.revoked_at = s.optional_int64(7);
  c.revocation_reason = optional_int(s, 8);
  c.not_after = s.int64(9);
  c.at = s.int64(10);
  return c;
}

CrlRecord read_crl(const Statement& s) {
  CrlRecord crl;
  crl.ca_id = s.int64(0);
  crl.partition = static_cast<int>(s.int64(1));
  crl.number = s.int64(2);
  crl.base_number = s.optional_int64(3);
  crl.this_update = s.int64(4);
  crl.next_update = s.int64(5);
  crl.last_change_id = s.int64(6);
  crl.der = s.blob(7);
  return crl;
}

BulkJobRecord read_bulk_job(const Statement& s) {
  BulkJobRecord job;
  job.id = s.int64(0);
  job.tenant_id = s.int64(1);
  job.kind = s.text(2);
  job.query_json = s.text(3);
  job.reason = static_cast<int>(s.int64(4));
  job.state = s.text(5);
  job.cursor = s.int64(6);
  job.processed = s.int64(7);
  job.actor = s.text(8);
  job.request_id = s.text(9);
  job.error = s.text(10);
  job.created_at = s.int64(11);
  job.updated_at = s.int64(12);
  return job;
}

Result<std::optional<CertificateRecord>> find_certificate(SqliteConnection& conn,
                                                          std::int64_t tenant_id,
                                                          std::string_view serial_hex) {
  FLEETPKI_TRY(Statement s,
               Statement::prepare(conn, std::string("SELECT ") + kCertificateColumns +
                                            " FROM certificates WHERE " +
                                            kFindCertificateBySerialWhere));
  s.bind(1, tenant_id);
  s.bind(2, serial_hex);
  FLEETPKI_TRY(bool row, s.step());
  if (!row) {
    return std::optional<CertificateRecord>();
  }
  return std::optional<CertificateRecord>(read_certificate(s));
}

}  // namespace fleetpki::store::sqlite_rows
