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

  Result<std::optional<CertificateRecord>> find_certificate(std::int64_t tenant_id,
                                                            std::string_view serial_hex) override;
  Result<std::vector<CertificateRecord>> list_renewals(std::int64_t tenant_id,
                                                       std::int64_t certificate_id) override;
  Result<std::int64_t> append_status_change(const StatusChange& change) override;
  Result<std::int64_t> next_crl_number(std::int64_t ca_id, int partition) override;
  Status insert_crl(const CrlRecord& crl) override;
  Status delete_crls_before(std::int64_t ca_id, int partition,
                            std::int64_t keep_from_number) override;
  Status put_ocsp_responder(const OcspResponderRecord& responder) override;
  Result<std::int64_t> put_bulk_job(const BulkJobRecord& job) override;
  Status set_ca_crl_partitions(std::int64_t ca_id, int partitions) override;
  Status set_ca_key_ref(std::int64_t tenant_id, std::int64_t ca_id, std::string_view key_ref) override;

  // ---- tenancy: tenants, CAs, operator credentials, idempotency keys (defined in sqlite_<slice>.cpp) ----------------
  Status set_tenant_disabled(std::int64_t tenant_id, bool disabled) override;
  Status update_ca(std::int64_t tenant_id, std::int64_t ca_id, ByteView certificate_der,
                   std::string_view status, const std::optional<std::string>& external_chain_pem) override;
  Status revoke_token(std::optional<std::int64_t> tenant_id, std::string_view id) override;
  Status insert_operator_certificate(const OperatorCertificateRecord& record) override;
  Status revoke_operator_certificate(std::optional<std::int64_t> tenant_id,
                                     std::string_view fingerprint) override;
  Status insert_idempotency(const IdempotencyRecord& record) override;
  Status delete_idempotency_before(std::int64_t created_before) override;
  // ---- end tenancy ----

  // ---- devices: device types, devices, certificate links (defined in sqlite_<slice>.cpp) ---------------------------
  Result<std::int64_t> insert_device_type(const DeviceTypeRecord& type) override;
  Result<std::optional<DeviceTypeRecord>> find_device_type(std::int64_t tenant_id, std::string_view name) override;
  Result<std::int64_t> insert_device(const DeviceRecord& device) override;
  Result<std::optional<DeviceRecord>> find_device(std::int64_t tenant_id, std::string_view serial) override;
  Status update_device(const DeviceRecord& device) override;
  Result<std::vector<CertificateRecord>> list_device_certificates(std::int64_t tenant_id,
                                                                  std::string_view serial) override;
  Status hold_device_certificate(std::int64_t device_id, std::int64_t certificate_id) override;
  Result<std::vector<std::int64_t>> release_device_holds(std::int64_t device_id) override;
  // ---- end devices ----

  // ---- audit checkpoints (defined in sqlite_<slice>.cpp) -----------------------------------------------------------
  Result<std::optional<AuditHead>> audit_head() override;
  Result<std::optional<AuditCheckpoint>> latest_audit_checkpoint() override;
  Result<std::int64_t> count_audit_events(std::int64_t after_id, std::int64_t up_to_id) override;
  Status insert_audit_checkpoint(const AuditCheckpoint& checkpoint) override;
  // ---- end audit ----

  // ---- profiles: versions, retirement (defined in sqlite_<slice>.cpp) ----------------------------------------------
  Result<std::vector<ProfileRecord>> list_profile_versions(std::int64_t tenant_id, std::string_view name) override;
  Result<int> retire_profile(std::int64_t tenant_id, std::string_view name, std::optional<int> version) override;
  // ---- end profiles ----

  // ---- enrollment: EST endpoints, held requests, OTPs, renewal grants (defined in sqlite_<slice>.cpp) --------------
  Result<std::int64_t> insert_enrollment_endpoint(const EnrollmentEndpointRecord& endpoint) override;
  Result<std::optional<EnrollmentEndpointRecord>> find_enrollment_endpoint(std::string_view label) override;
  Status update_enrollment_endpoint(const EnrollmentEndpointRecord& endpoint) override;
  Result<std::int64_t> insert_enrollment_request(const EnrollmentRequestRecord& request) override;
  Result<std::optional<EnrollmentRequestRecord>> find_enrollment_request(std::int64_t tenant_id,
                                                                         std::int64_t id) override;
  Status update_enrollment_request(const EnrollmentRequestRecord& request) override;
  Result<std::int64_t> insert_enrollment_otp(const EnrollmentOtpRecord& otp) override;
  Result<std::vector<EnrollmentOtpRecord>> find_usable_enrollment_otps(std::int64_t tenant_id,
                                                                       std::string_view device_serial,
                                                                       std::int64_t now) override;
  Status mark_enrollment_otp_used(std::int64_t tenant_id, std::int64_t id, std::int64_t now) override;
  Result<std::int64_t> insert_renewal_grant(const RenewalGrantRecord& grant) override;
  Result<bool> consume_renewal_grant(std::int64_t tenant_id, std::string_view device_serial,
                                     std::int64_t now) override;
  Result<std::int64_t> purge_spent_enrollment_credentials(std::int64_t tenant_id, std::string_view device_serial,
                                                          std::int64_t before) override;
  Status put_endpoint_crl(const EndpointCrlRecord& crl) override;
  Result<std::optional<EndpointCrlRecord>> find_endpoint_crl(std::int64_t tenant_id, std::int64_t endpoint_id,
                                                             std::string_view issuer_sha256) override;
  Result<std::int64_t> purge_expired_enrollment_credentials(std::int64_t tenant_id, std::int64_t before,
                                                           int limit) override;
  // ---- end enrollment ----

 private:
  std::int64_t last_insert_id() const;

  SqliteConnection& conn_;
  const AuditHasher& hasher_;
};

}  // namespace fleetpki::store
