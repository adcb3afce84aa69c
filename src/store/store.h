// The persistence port. Adapters: sqlite/ (embedded default), later postgres/.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "store/records.h"

namespace fleetpki::store {

/// Writes inside one transaction. Obtained only through Store::write().
class Transaction {
 public:
  virtual ~Transaction() = default;
  /// AlreadyExists when the name is taken.
  virtual Result<TenantRecord> insert_tenant(std::string_view name, std::int64_t now) = 0;
  virtual Result<std::int64_t> insert_ca(const CaRecord& ca) = 0;
  /// AlreadyExists for a duplicate (tenant, name, version).
  virtual Result<std::int64_t> insert_profile(const ProfileRecord& profile) = 0;
  /// AlreadyExists for a duplicate (ca_id, serial_hex).
  virtual Result<std::int64_t> insert_certificate(const CertificateRecord& cert) = 0;
  virtual Status insert_token(const TokenRecord& token) = 0;
  /// Fills prev_hash/hash from the chain and appends the event.
  virtual Status append_audit(const AuditEvent& event) = 0;
  virtual Status put_setting(std::string_view key, std::string_view value) = 0;

  /// Lifecycle change (revoke, suspend, reinstate) with optimistic concurrency: sets status,
  /// revoked_at and revocation_reason of the tenant's certificate `certificate_id` and bumps its
  /// row_version, only if row_version still equals `expected_row_version`. NotFound when the tenant
  /// has no such certificate; Aborted when it changed meanwhile (re-read and retry).
  /// Adapters that do not support it return Unimplemented.
  virtual Status update_certificate_status(std::int64_t tenant_id, std::int64_t certificate_id,
                                           std::string_view status,
                                           std::optional<std::int64_t> revoked_at,
                                           std::optional<int> revocation_reason,
                                           int expected_row_version) {
    (void)tenant_id, (void)certificate_id, (void)status, (void)revoked_at, (void)revocation_reason,
        (void)expected_row_version;
    return fail(Errc::Unimplemented, "certificate status updates are not supported by this store");
  }
};

class Store {
 public:
  virtual ~Store() = default;

  /// Runs `body` in one write transaction (serialized with other writers). Commits iff `body`
  /// returns ok and the commit succeeds; otherwise rolls back and returns the error. Data written
  /// in `body` is visible to other readers only after this returns ok.
  virtual Status write(const std::function<Status(Transaction&)>& body) = 0;

  virtual Result<std::optional<TenantRecord>> find_tenant(std::string_view name) = 0;
  virtual Result<std::vector<TenantRecord>> list_tenants() = 0;
  virtual Result<std::vector<CaRecord>> list_cas(std::int64_t tenant_id) = 0;
  /// Every version of every profile of the tenant.
  virtual Result<std::vector<ProfileRecord>> list_profiles(std::int64_t tenant_id) = 0;
  virtual Result<std::optional<CertificateRecord>> find_certificate(std::int64_t tenant_id,
                                                                    std::string_view serial_hex) = 0;
  virtual Result<CertificatePage> list_certificates(std::int64_t tenant_id,
                                                    const CertificateFilter& filter) = 0;
  virtual Result<std::optional<TokenRecord>> find_token(std::string_view id) = 0;
  /// Events with id > after_id, ascending; tenant_id nullopt = all tenants.
  virtual Result<std::vector<AuditEvent>> list_audit(std::optional<std::int64_t> tenant_id,
                                                     std::int64_t after_id, int limit) = 0;
  virtual Result<std::optional<std::string>> get_setting(std::string_view key) = 0;
};

}  // namespace fleetpki::store
