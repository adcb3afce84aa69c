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

  // ---- lifecycle and revocation (issue #3) ----------------------------------------------------
  // Reads inside a write transaction see the transaction's own writes and are consistent with it
  // (writers are serialized), so read-check-write sequences here are race-free.

  /// The tenant's certificate by serial, read inside this transaction.
  virtual Result<std::optional<CertificateRecord>> find_certificate(std::int64_t tenant_id,
                                                                    std::string_view serial_hex) = 0;
  /// Certificates whose renewal_of is `certificate_id` (direct renewals only).
  virtual Result<std::vector<CertificateRecord>> list_renewals(std::int64_t tenant_id,
                                                               std::int64_t certificate_id) = 0;
  /// Appends to the status change log; returns the new id.
  virtual Result<std::int64_t> append_status_change(const StatusChange& change) = 0;
  /// Allocates the next CRL number of the (CA, partition) scope: 1, 2, 3, … never reused, even
  /// when the CRL that used it is never stored (the allocation commits with the transaction).
  virtual Result<std::int64_t> next_crl_number(std::int64_t ca_id, int partition) = 0;
  /// Stores a signed CRL. AlreadyExists for a duplicate (ca_id, partition, number).
  virtual Status insert_crl(const CrlRecord& crl) = 0;
  /// Deletes stored CRLs of the scope older than `keep_from_number` (housekeeping).
  virtual Status delete_crls_before(std::int64_t ca_id, int partition, std::int64_t keep_from_number) = 0;
  virtual Status put_ocsp_responder(const OcspResponderRecord& responder) = 0;
  /// Inserts (id 0) or updates a bulk job; returns its id.
  virtual Result<std::int64_t> put_bulk_job(const BulkJobRecord& job) = 0;
  virtual Status set_ca_crl_partitions(std::int64_t ca_id, int partitions) = 0;
  /// Points a CA at another vault reference of the same key pair (migration of a software key into
  /// a token). NotFound unless the tenant has the CA.
  virtual Status set_ca_key_ref(std::int64_t tenant_id, std::int64_t ca_id, std::string_view key_ref) {
    (void)tenant_id, (void)ca_id, (void)key_ref;
    return fail(Errc::Unimplemented, "key migration is not supported by this store");
  }

  // ---- tenancy: tenants, CAs, operator credentials, idempotency keys (issue #4) ----------------
  /// Sets the tenant's disabled flag. NotFound when there is no such tenant.
  virtual Status set_tenant_disabled(std::int64_t tenant_id, bool disabled) {
    (void)tenant_id, (void)disabled;
    return fail(Errc::Unimplemented, "tenancy administration is not supported by this store");
  }
  /// Sets a CA's certificate (installing a bring-your-own CA) and status. NotFound unless the
  /// tenant has the CA.
  virtual Status update_ca(std::int64_t tenant_id, std::int64_t ca_id, ByteView certificate_der,
                           std::string_view status, const std::optional<std::string>& external_chain_pem) {
    (void)tenant_id, (void)ca_id, (void)certificate_der, (void)status, (void)external_chain_pem;
    return fail(Errc::Unimplemented, "tenancy administration is not supported by this store");
  }
  /// Marks a token revoked. NotFound unless the token belongs to `tenant_id` (nullopt: any).
  virtual Status revoke_token(std::optional<std::int64_t> tenant_id, std::string_view id) {
    (void)tenant_id, (void)id;
    return fail(Errc::Unimplemented, "tenancy administration is not supported by this store");
  }
  /// AlreadyExists when the certificate is registered already.
  virtual Status insert_operator_certificate(const OperatorCertificateRecord& record) {
    (void)record;
    return fail(Errc::Unimplemented, "tenancy administration is not supported by this store");
  }
  /// NotFound unless the certificate belongs to `tenant_id` (nullopt: any).
  virtual Status revoke_operator_certificate(std::optional<std::int64_t> tenant_id,
                                             std::string_view fingerprint) {
    (void)tenant_id, (void)fingerprint;
    return fail(Errc::Unimplemented, "tenancy administration is not supported by this store");
  }
  /// AlreadyExists when (principal, key) is taken.
  virtual Status insert_idempotency(const IdempotencyRecord& record) {
    (void)record;
    return fail(Errc::Unimplemented, "tenancy administration is not supported by this store");
  }
  /// Forgets idempotency keys created before `created_before` (housekeeping).
  virtual Status delete_idempotency_before(std::int64_t created_before) {
    (void)created_before;
    return fail(Errc::Unimplemented, "tenancy administration is not supported by this store");
  }
  // ---- end tenancy ----

  // ---- devices: device types, devices, certificate links (issue #4) ---------------------------
  /// AlreadyExists when the tenant has a type of that name.
  virtual Result<std::int64_t> insert_device_type(const DeviceTypeRecord& type) {
    (void)type;
    return fail(Errc::Unimplemented, "devices are not supported by this store");
  }
  virtual Result<std::optional<DeviceTypeRecord>> find_device_type(std::int64_t tenant_id, std::string_view name) {
    (void)tenant_id, (void)name;
    return fail(Errc::Unimplemented, "devices are not supported by this store");
  }
  /// AlreadyExists when the tenant has a device of that serial. Returns the new id.
  virtual Result<std::int64_t> insert_device(const DeviceRecord& device) {
    (void)device;
    return fail(Errc::Unimplemented, "devices are not supported by this store");
  }
  /// The tenant's device by serial (with its type name), read inside this transaction.
  virtual Result<std::optional<DeviceRecord>> find_device(std::int64_t tenant_id, std::string_view serial) {
    (void)tenant_id, (void)serial;
    return fail(Errc::Unimplemented, "devices are not supported by this store");
  }
  /// Writes state, updated_at and last_seen_at of the tenant's device `device.id` and bumps its
  /// row_version, only if row_version still equals device.row_version: Aborted otherwise.
  virtual Status update_device(const DeviceRecord& device) {
    (void)device;
    return fail(Errc::Unimplemented, "devices are not supported by this store");
  }
  /// Certificates linked to the tenant's device `serial`, ascending by id.
  virtual Result<std::vector<CertificateRecord>> list_device_certificates(std::int64_t tenant_id,
                                                                          std::string_view serial) {
    (void)tenant_id, (void)serial;
    return fail(Errc::Unimplemented, "devices are not supported by this store");
  }
  /// Remembers that the device's suspension suspended this certificate.
  virtual Status hold_device_certificate(std::int64_t device_id, std::int64_t certificate_id) {
    (void)device_id, (void)certificate_id;
    return fail(Errc::Unimplemented, "devices are not supported by this store");
  }
  /// The certificate ids held by the device's suspension; forgets them.
  virtual Result<std::vector<std::int64_t>> release_device_holds(std::int64_t device_id) {
    (void)device_id;
    return fail(Errc::Unimplemented, "devices are not supported by this store");
  }
  // ---- end devices ----

  // ---- audit checkpoints (issue #4) -----------------------------------------------------------
  // Defaults answer Unimplemented so that test doubles need not implement them.

  /// The newest event (id and hash), nullopt when the log is empty; read inside this transaction.
  virtual Result<std::optional<AuditHead>> audit_head() {
    return fail(Errc::Unimplemented, "audit checkpoints are not supported by this store");
  }
  virtual Result<std::optional<AuditCheckpoint>> latest_audit_checkpoint() {
    return fail(Errc::Unimplemented, "audit checkpoints are not supported by this store");
  }
  /// Number of events with after_id < id <= up_to_id (a range scan on the primary key).
  virtual Result<std::int64_t> count_audit_events(std::int64_t /*after_id*/, std::int64_t /*up_to_id*/) {
    return fail(Errc::Unimplemented, "audit checkpoints are not supported by this store");
  }
  /// Stores a signed checkpoint with its given id. AlreadyExists if the id is taken.
  virtual Status insert_audit_checkpoint(const AuditCheckpoint& /*checkpoint*/) {
    return fail(Errc::Unimplemented, "audit checkpoints are not supported by this store");
  }
  // ---- end audit ----

  // ---- profiles: versions, retirement (issue #4) ----------------------------------------------
  /// Every version of the tenant's profile `name`, ascending, read inside this transaction.
  virtual Result<std::vector<ProfileRecord>> list_profile_versions(std::int64_t tenant_id, std::string_view name) {
    (void)tenant_id, (void)name;
    return fail(Errc::Unimplemented, "profile versions are not supported by this store");
  }
  /// Marks versions of the tenant's profile retired: one version, or all of them (nullopt).
  /// Returns how many rows changed.
  virtual Result<int> retire_profile(std::int64_t tenant_id, std::string_view name, std::optional<int> version) {
    (void)tenant_id, (void)name, (void)version;
    return fail(Errc::Unimplemented, "profile retirement is not supported by this store");
  }
  // ---- end profiles ----
  // ---- enrollment: EST endpoints, pending enrollments, OTPs, renewal grants (issue #5) --------
  /// AlreadyExists when the label is taken (labels are unique platform-wide). Returns the id.
  virtual Result<std::int64_t> insert_enrollment_endpoint(const EnrollmentEndpointRecord& endpoint) {
    (void)endpoint;
    return fail(Errc::Unimplemented, "enrollment is not supported by this store");
  }
  /// The endpoint with this label (any tenant), read inside this transaction.
  virtual Result<std::optional<EnrollmentEndpointRecord>> find_enrollment_endpoint(std::string_view label) {
    (void)label;
    return fail(Errc::Unimplemented, "enrollment is not supported by this store");
  }
  /// Writes definition_json, disabled and updated_at of the tenant's endpoint `endpoint.id` and
  /// bumps row_version, only if row_version still equals endpoint.row_version: Aborted otherwise.
  virtual Status update_enrollment_endpoint(const EnrollmentEndpointRecord& endpoint) {
    (void)endpoint;
    return fail(Errc::Unimplemented, "enrollment is not supported by this store");
  }
  /// AlreadyExists when request_key is taken. Returns the id.
  virtual Result<std::int64_t> insert_enrollment_request(const EnrollmentRequestRecord& request) {
    (void)request;
    return fail(Errc::Unimplemented, "enrollment is not supported by this store");
  }
  virtual Result<std::optional<EnrollmentRequestRecord>> find_enrollment_request(std::int64_t tenant_id,
                                                                                 std::int64_t id) {
    (void)tenant_id, (void)id;
    return fail(Errc::Unimplemented, "enrollment is not supported by this store");
  }
  /// Writes state, certificate_serial, decided_by, reason and decided_at of the tenant's request
  /// `request.id` and bumps row_version, only if it still equals request.row_version: Aborted
  /// otherwise.
  virtual Status update_enrollment_request(const EnrollmentRequestRecord& request) {
    (void)request;
    return fail(Errc::Unimplemented, "enrollment is not supported by this store");
  }
  virtual Result<std::int64_t> insert_enrollment_otp(const EnrollmentOtpRecord& otp) {
    (void)otp;
    return fail(Errc::Unimplemented, "enrollment is not supported by this store");
  }
  /// The device's OTPs that are unused and not expired at `now`, newest first (at most 16).
  virtual Result<std::vector<EnrollmentOtpRecord>> find_usable_enrollment_otps(std::int64_t tenant_id,
                                                                               std::string_view device_serial,
                                                                               std::int64_t now) {
    (void)tenant_id, (void)device_serial, (void)now;
    return fail(Errc::Unimplemented, "enrollment is not supported by this store");
  }
  /// Marks the OTP used; Aborted when it was used already (two racing enrollments: one wins).
  virtual Status mark_enrollment_otp_used(std::int64_t tenant_id, std::int64_t id, std::int64_t now) {
    (void)tenant_id, (void)id, (void)now;
    return fail(Errc::Unimplemented, "enrollment is not supported by this store");
  }
  virtual Result<std::int64_t> insert_renewal_grant(const RenewalGrantRecord& grant) {
    (void)grant;
    return fail(Errc::Unimplemented, "enrollment is not supported by this store");
  }
  /// Marks the device's oldest unused, unexpired grant used; false when there is none.
  virtual Result<bool> consume_renewal_grant(std::int64_t tenant_id, std::string_view device_serial,
                                             std::int64_t now) {
    (void)tenant_id, (void)device_serial, (void)now;
    return fail(Errc::Unimplemented, "enrollment is not supported by this store");
  }
  /// Housekeeping: deletes the device's one-time passwords and renewal grants used or expired
  /// before `before` (the audit log keeps their history). Returns how many rows went.
  virtual Result<std::int64_t> purge_spent_enrollment_credentials(std::int64_t tenant_id,
                                                                  std::string_view device_serial,
                                                                  std::int64_t before) {
    (void)tenant_id, (void)device_serial, (void)before;
    return fail(Errc::Unimplemented, "enrollment is not supported by this store");
  }
  /// Stores `crl` as the CRL of its (endpoint, issuer), replacing the previous one.
  virtual Status put_endpoint_crl(const EndpointCrlRecord& crl) {
    (void)crl;
    return fail(Errc::Unimplemented, "enrollment is not supported by this store");
  }
  /// The stored CRL of one of the endpoint's anchors (the tenant's endpoint only).
  virtual Result<std::optional<EndpointCrlRecord>> find_endpoint_crl(std::int64_t tenant_id, std::int64_t endpoint_id,
                                                                     std::string_view issuer_sha256) {
    (void)tenant_id, (void)endpoint_id, (void)issuer_sha256;
    return fail(Errc::Unimplemented, "enrollment is not supported by this store");
  }
  /// Housekeeping across the tenant's devices: deletes at most `limit` one-time passwords and at
  /// most `limit` renewal grants that expired before `before`, oldest first (bounded work per
  /// call, through an index on the expiry). Returns how many rows went.
  virtual Result<std::int64_t> purge_expired_enrollment_credentials(std::int64_t tenant_id, std::int64_t before,
                                                                    int limit) {
    (void)tenant_id, (void)before, (void)limit;
    return fail(Errc::Unimplemented, "enrollment is not supported by this store");
  }
  // ---- end enrollment ----
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

  // ---- lifecycle and revocation (issue #3) ----------------------------------------------------

  /// Every CA of every tenant (the OCSP responder's issuer index).
  virtual Result<std::vector<CaRecord>> list_all_cas() = 0;
  /// A certificate by issuing CA and serial, whatever its tenant (OCSP lookups).
  virtual Result<std::optional<CertificateRecord>> find_certificate_by_ca(std::int64_t ca_id,
                                                                          std::string_view serial_hex) = 0;
  /// Status changes with id > after_id, ascending, at most `limit`.
  virtual Result<std::vector<StatusChange>> list_status_changes(std::int64_t after_id, int limit) = 0;
  /// The highest status change id (0 when the log is empty).
  virtual Result<std::int64_t> last_status_change_id() = 0;
  /// Streams the revoked and suspended certificates of one CRL scope whose not_after >=
  /// `not_after_from`, in no particular order, without loading them all at once. Stops early and
  /// returns the callback's error if it fails.
  virtual Status for_each_revoked(std::int64_t ca_id, int partition, std::int64_t not_after_from,
                                  const std::function<Status(const RevokedEntry&)>& callback) = 0;
  /// The newest stored complete (delta = false) or delta CRL of the scope.
  virtual Result<std::optional<CrlRecord>> latest_crl(std::int64_t ca_id, int partition, bool delta) = 0;
  virtual Result<std::optional<OcspResponderRecord>> find_ocsp_responder(std::int64_t ca_id) = 0;
  virtual Result<std::optional<BulkJobRecord>> find_bulk_job(std::int64_t tenant_id, std::int64_t id) = 0;
  /// Jobs in state "running" of every tenant (resumed at start).
  virtual Result<std::vector<BulkJobRecord>> list_running_bulk_jobs() = 0;
  /// Certificate counts per tenant and status.
  virtual Result<std::vector<StatusCount>> count_certificates_by_status() = 0;

  // ---- tenancy: tenants, CAs, operator credentials, idempotency keys (issue #4) ----------------
  /// Tenants with id > after_id, ascending.
  virtual Result<Page<TenantRecord>> list_tenants_page(std::int64_t after_id, int limit) {
    (void)after_id, (void)limit;
    return fail(Errc::Unimplemented, "tenancy administration is not supported by this store");
  }
  virtual Result<std::optional<TenantRecord>> find_tenant_by_id(std::int64_t id) {
    (void)id;
    return fail(Errc::Unimplemented, "tenancy administration is not supported by this store");
  }
  /// Tokens of the tenant (nullopt: platform tokens), in creation order, after the cursor.
  virtual Result<Page<TokenRecord>> list_tokens(std::optional<std::int64_t> tenant_id, std::int64_t after,
                                                int limit) {
    (void)tenant_id, (void)after, (void)limit;
    return fail(Errc::Unimplemented, "tenancy administration is not supported by this store");
  }
  virtual Result<std::optional<OperatorCertificateRecord>> find_operator_certificate(
      std::string_view fingerprint) {
    (void)fingerprint;
    return fail(Errc::Unimplemented, "tenancy administration is not supported by this store");
  }
  virtual Result<Page<OperatorCertificateRecord>> list_operator_certificates(
      std::optional<std::int64_t> tenant_id, std::int64_t after, int limit) {
    (void)tenant_id, (void)after, (void)limit;
    return fail(Errc::Unimplemented, "tenancy administration is not supported by this store");
  }
  virtual Result<std::optional<IdempotencyRecord>> find_idempotency(std::string_view principal,
                                                                    std::string_view key) {
    (void)principal, (void)key;
    return fail(Errc::Unimplemented, "tenancy administration is not supported by this store");
  }
  // ---- end tenancy ----

  // ---- devices: device types, devices, certificate links (issue #4) ---------------------------
  virtual Result<std::optional<DeviceTypeRecord>> find_device_type(std::int64_t tenant_id, std::string_view name) {
    (void)tenant_id, (void)name;
    return fail(Errc::Unimplemented, "devices are not supported by this store");
  }
  /// The tenant's device types by id, ascending, after `after_id`, at most `limit` (1..1000).
  virtual Result<DeviceTypePage> list_device_types(std::int64_t tenant_id, std::int64_t after_id, int limit) {
    (void)tenant_id, (void)after_id, (void)limit;
    return fail(Errc::Unimplemented, "devices are not supported by this store");
  }
  virtual Result<std::optional<DeviceRecord>> find_device(std::int64_t tenant_id, std::string_view serial) {
    (void)tenant_id, (void)serial;
    return fail(Errc::Unimplemented, "devices are not supported by this store");
  }
  virtual Result<DevicePage> list_devices(std::int64_t tenant_id, const DeviceFilter& filter) {
    (void)tenant_id, (void)filter;
    return fail(Errc::Unimplemented, "devices are not supported by this store");
  }
  virtual Result<std::vector<CertificateRecord>> list_device_certificates(std::int64_t tenant_id,
                                                                          std::string_view serial) {
    (void)tenant_id, (void)serial;
    return fail(Errc::Unimplemented, "devices are not supported by this store");
  }
  // ---- end devices ----

  // ---- audit checkpoints (issue #4) -----------------------------------------------------------

  /// Events matching `filter` (tenant_id filters by tenant: tenant isolation), ascending by id;
  /// next_after_id is set when the page is full.
  virtual Result<AuditPage> list_audit_page(const AuditFilter& /*filter*/) {
    return fail(Errc::Unimplemented, "audit listing is not supported by this store");
  }
  /// Checkpoints with id > after_id, ascending, at most `limit` (clamped to 1..1000).
  virtual Result<std::vector<AuditCheckpoint>> list_audit_checkpoints(std::int64_t /*after_id*/,
                                                                      int /*limit*/) {
    return fail(Errc::Unimplemented, "audit checkpoints are not supported by this store");
  }
  virtual Result<std::optional<AuditCheckpoint>> latest_audit_checkpoint() {
    return fail(Errc::Unimplemented, "audit checkpoints are not supported by this store");
  }
  /// The newest event (id and hash), nullopt when the log is empty. Cheap (primary key).
  virtual Result<std::optional<AuditHead>> audit_head() {
    return fail(Errc::Unimplemented, "audit checkpoints are not supported by this store");
  }
  // ---- end audit ----

  // ---- profiles: versions, retirement (issue #4) ----------------------------------------------
  /// Every version of the tenant's profile `name`, ascending (empty when unknown).
  virtual Result<std::vector<ProfileRecord>> find_profile_versions(std::int64_t tenant_id, std::string_view name) {
    (void)tenant_id, (void)name;
    return fail(Errc::Unimplemented, "profile versions are not supported by this store");
  }
  /// A page of the tenant's profiles: every version of up to `limit` profile names whose lowest
  /// row id (the profile's id) is > after_id, ordered by that id, then version. `retired`:
  /// nullopt = all, true = only names with every version retired, false = names with a version in
  /// force.
  virtual Result<std::vector<ProfileRecord>> list_profile_page(std::int64_t tenant_id, std::int64_t after_id,
                                                               int limit, std::optional<bool> retired) {
    (void)tenant_id, (void)after_id, (void)limit, (void)retired;
    return fail(Errc::Unimplemented, "profile listing is not supported by this store");
  }
  // ---- end profiles ----
  // ---- enrollment: EST endpoints, pending enrollments (issue #5) ------------------------------
  /// The endpoint with this label (any tenant; the caller checks the tenant), nullopt if none.
  virtual Result<std::optional<EnrollmentEndpointRecord>> find_enrollment_endpoint(std::string_view label) {
    (void)label;
    return fail(Errc::Unimplemented, "enrollment is not supported by this store");
  }
  /// The tenant's endpoints with id > after, ascending.
  virtual Result<Page<EnrollmentEndpointRecord>> list_enrollment_endpoints(std::int64_t tenant_id,
                                                                           std::int64_t after, int limit) {
    (void)tenant_id, (void)after, (void)limit;
    return fail(Errc::Unimplemented, "enrollment is not supported by this store");
  }
  virtual Result<std::optional<EnrollmentRequestRecord>> find_enrollment_request(std::int64_t tenant_id,
                                                                                 std::int64_t id) {
    (void)tenant_id, (void)id;
    return fail(Errc::Unimplemented, "enrollment is not supported by this store");
  }
  /// By request key (any tenant; the key hashes the endpoint id, so it is tenant-bound).
  virtual Result<std::optional<EnrollmentRequestRecord>> find_enrollment_request_by_key(
      std::string_view request_key) {
    (void)request_key;
    return fail(Errc::Unimplemented, "enrollment is not supported by this store");
  }
  /// Whether the device has an unused, unexpired renewal grant (what consume_renewal_grant would
  /// take), read without taking it.
  virtual Result<bool> has_usable_renewal_grant(std::int64_t tenant_id, std::string_view device_serial,
                                                std::int64_t now) {
    (void)tenant_id, (void)device_serial, (void)now;
    return fail(Errc::Unimplemented, "enrollment is not supported by this store");
  }
  /// The tenant's requests (optionally in one state) with id > after, ascending.
  virtual Result<Page<EnrollmentRequestRecord>> list_enrollment_requests(std::int64_t tenant_id,
                                                                         std::optional<std::string> state,
                                                                         std::int64_t after, int limit) {
    (void)tenant_id, (void)state, (void)after, (void)limit;
    return fail(Errc::Unimplemented, "enrollment is not supported by this store");
  }
  /// Every stored outside-anchor CRL of every tenant, without its bytes (for /metrics: alerting
  /// before a CRL that an endpoint requires passes its nextUpdate).
  virtual Result<std::vector<EndpointCrlSummary>> list_endpoint_crl_summaries() {
    return fail(Errc::Unimplemented, "enrollment is not supported by this store");
  }
  /// The CRLs stored for the endpoint's outside anchors (the tenant's endpoint only), by issuer.
  virtual Result<std::vector<EndpointCrlRecord>> list_endpoint_crls(std::int64_t tenant_id, std::int64_t endpoint_id) {
    (void)tenant_id, (void)endpoint_id;
    return fail(Errc::Unimplemented, "enrollment is not supported by this store");
  }
  // ---- end enrollment ----

  // ---- configuration changes: what a running server must reload (cross-process) ---------------
  /// Tenants whose tenant row, CAs, profiles or EST endpoints changed after `after_version`, each
  /// with the version of its latest change, ascending by version. Triggers record the changes
  /// (migration 0009), so changes made by any process on the same database count.
  virtual Result<std::vector<ConfigurationChange>> configuration_changes(std::int64_t after_version) {
    (void)after_version;
    return fail(Errc::Unimplemented, "configuration change tracking is not supported by this store");
  }
  // ---- end configuration changes ----
};

}  // namespace fleetpki::store
