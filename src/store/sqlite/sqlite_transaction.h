// SqliteTransaction: the Transaction port over the writer connection, inside BEGIN IMMEDIATE.
#pragma once

#include "store/audit_chain.h"
#include "store/sqlite/sqlite_connection.h"
#include "store/store.h"

namespace fleetpki::store {

/// Lives only for the duration of one SqliteStore::write(); the store begins and ends the
/// transaction, this class only issues the statements.
class SqliteTransaction final : public Transaction {
 public:
  SqliteTransaction(SqliteConnection& conn, const AuditHasher& hasher)
      : conn_(conn), hasher_(hasher) {}

  Result<TenantRecord> insert_tenant(std::string_view name, std::int64_t now) override;
  Result<std::int64_t> insert_ca(const CaRecord& ca) override;
  Result<std::int64_t> insert_profile(const ProfileRecord& profile) override;
  Result<std::int64_t> insert_certificate(const CertificateRecord& cert) override;
  Status insert_token(const TokenRecord& token) override;
  Status append_audit(const AuditEvent& event) override;
  Status put_setting(std::string_view key, std::string_view value) override;
  Status update_certificate_status(std::int64_t tenant_id, std::int64_t certificate_id,
                                   std::string_view status, std::optional<std::int64_t> revoked_at,
                                   std::optional<int> revocation_reason,
                                   int expected_row_version) override;

 private:
  std::int64_t last_insert_id() const;

  SqliteConnection& conn_;
  const AuditHasher& hasher_;
};

}  // namespace fleetpki::store
