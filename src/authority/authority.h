// The domain facade used by server/ and cli/: tenants, tokens, issuance through profiles, lookups.
//
//   auto authority = Authority::create(deps, {.public_base_url = "http://127.0.0.1:8080"});
//   FLEETPKI_TRY(auto who, authority->authenticate(bearer));
//   FLEETPKI_TRY(auto issued, authority->issue(who, {.tenant = "default", .profile = "tls-client",
//                                                    .csr_pem = pem}, ctx));
//
// Every entry point authorizes the principal first (deny by default; another tenant's objects are
// NotFound, not PermissionDenied, so that their existence does not leak) and every change writes
// its audit event in the same transaction as the change.
#pragma once

#include <atomic>
#include <functional>
#include <future>
#include <vector>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>

#include "authority/access.h"
#include "authority/tenant_runtime.h"
#include "common/clock.h"
#include "common/result.h"
#include "keys/key_vault.h"
#include "pki/crl.h"
#include "pki/crypto_context.h"
#include "pki/csr.h"
#include "store/group_commit.h"
#include "store/store.h"

namespace fleetpki::authority {

struct DeviceContext;  // issuance_policy.h

class TenantAdmin;
class DeviceRegistry;
class ProfileCatalog;
class AuditLog;
class EnrollmentAdmin;
class EstEnrollment;

struct AuthorityDeps {
  store::Store& store;
  keys::KeyVault& vault;
  const pki::CryptoContext& crypto;
  const Clock& clock;
};

struct AuthorityOptions {
  /// Base URL of the plain-HTTP listener as relying parties reach it; CRL DP and OCSP/caIssuers
  /// AIA URLs of issued certificates are built from it.
  std::string public_base_url = "http://127.0.0.1:8080";
};

/// Per-call context for the audit trail.
struct CallContext {
  std::string request_id;
  /// Added to the details of every audit event of the call (e.g. the EST endpoint, the
  /// authentication mode and the birth certificate of an enrollment). Never secrets.
  std::vector<std::pair<std::string, std::string>> audit_details;
  /// Database work that commits with the certificate of this call or not at all: EST spends a
  /// one-time password here, so an issuance that fails after authentication does not use it up.
  /// Runs inside the issuance transaction of issue_parsed(), issue() and renew_or_rekey_as()
  /// (not issue_many()); it may run more than once (a retried transaction), so it must only touch
  /// the database. Its error fails the issuance.
  std::function<Status(store::Transaction&)> in_commit;
};

struct IssueRequest {
  std::string tenant;
  std::string profile;
  std::string csr_pem;
  /// Serial number of a registered device of the tenant: the certificate is linked to it (and
  /// profiles may take subject values from the device record). Issue #4, DeviceRegistry.
  std::optional<std::string> device;
};

/// Counters for /metrics (monotonic since start).
struct AuthorityCounters {
  std::atomic<std::uint64_t> issued{0};
  std::atomic<std::uint64_t> revoked{0};
  std::atomic<std::uint64_t> suspended{0};
  std::atomic<std::uint64_t> reactivated{0};
  std::atomic<std::uint64_t> renewed{0};
  std::atomic<std::uint64_t> rekeyed{0};
};

/// Selection of a revoke-by-query bulk job; at least one criterion is required.
struct BulkRevokeQuery {
  std::optional<std::string> profile;
  std::optional<std::string> ca;                // CA name
  std::optional<std::int64_t> issued_from;      // Unix seconds, inclusive
  std::optional<std::int64_t> issued_to;        // Unix seconds, exclusive
};

struct IssuedCertificate {
  store::CertificateRecord record;
  std::string certificate_pem;
  std::string chain_pem;
};

class Authority final {
 public:
  static Result<std::unique_ptr<Authority>> create(AuthorityDeps deps, AuthorityOptions options);
  ~Authority();

  /// Creates a tenant with a development root CA (P-384), an issuing and a manufacturing CA
  /// (P-256) and the default profiles, in one transaction. AlreadyExists if the name is taken.
  Status create_tenant(const Principal& who, std::string_view name, const CallContext& call);

  /// Resolves a bearer token; Unauthenticated for unknown, malformed, expired or revoked tokens
  /// (one message for all, compared in constant time).
  Result<Principal> authenticate(std::string_view bearer_token);

  /// Creates a token for `tenant` (nullopt = platform scope, platform admins only).
  Result<std::string> create_token(const Principal& who, std::optional<std::string> tenant, Role role,
                                   const CallContext& call);

  /// Issues a certificate from a CSR through a profile. Returns only after the certificate and its
  /// audit event are committed.
  Result<IssuedCertificate> issue(const Principal& who, const IssueRequest& request, const CallContext& call);

  /// Factory batch: issues one certificate per CSR through one profile. Each CSR succeeds or fails
  /// on its own (the result at index i belongs to csr_pems[i]). Signing of later CSRs overlaps the
  /// group commit of earlier ones; every certificate returned has been committed with its audit
  /// event. With `link_devices`, each certificate is linked to the registered device that its
  /// CSR's subject serialNumber names (IEEE 802.1AR), exactly as IssueRequest::device links it
  /// (same checks, linked in the commit); a CSR without a serialNumber fails (InvalidArgument).
  std::vector<Result<IssuedCertificate>> issue_many(const Principal& who, std::string_view tenant,
                                                    std::string_view profile,
                                                    const std::vector<std::string>& csr_pems,
                                                    const CallContext& call, bool link_devices = false);

  /// Issues a certificate for a key held in the vault (the server's own TLS certificate).
  Result<IssuedCertificate> issue_for_key(const Principal& who, std::string_view tenant,
                                          std::string_view profile, const keys::Signer& key,
                                          std::string_view common_name,
                                          const std::vector<std::string>& dns_or_ip_names,
                                          const CallContext& call);

  Result<store::CertificateRecord> get_certificate(const Principal& who, std::string_view tenant,
                                                   std::string_view serial_hex);
  Result<store::CertificatePage> list_certificates(const Principal& who, std::string_view tenant,
                                                   const store::CertificateFilter& filter);

  /// PEM chain of a CA (its certificate, then its parents): for ca-chain.pem and responses.
  Result<std::string> ca_chain_pem(std::string_view tenant, std::string_view ca_name);
  /// DER certificate of a CA (the AIA caIssuers URL).
  Result<Bytes> ca_certificate_der(std::string_view tenant, std::string_view ca_name);

  // ---- lifecycle (issue #3) -------------------------------------------------------------------
  // State machine: valid -> suspended -> valid (reactivate); valid|suspended -> revoked (final).
  // Every transition is version-checked (row_version) inside one transaction with its audit event
  // and its status change log entry; a conflicting concurrent change is retried on fresh data.
  // Unknown serials are NotFound; a transition the state forbids is FailedPrecondition (409).

  /// Revokes with an RFC 5280 reason (not certificateHold or removeFromCRL: use suspend).
  /// Revocation also revokes, in the same transaction, every renewal of the certificate (and their
  /// renewals) that is not revoked yet, so that a revoke racing a renewal never leaves a valid
  /// certificate for the revoked identity.
  Result<store::CertificateRecord> revoke(const Principal& who, std::string_view tenant, std::string_view serial_hex,
                                          pki::CrlReason reason, std::optional<TimePoint> invalidity_date,
                                          const CallContext& call);
  /// valid -> suspended (CRL/OCSP: revoked with reason certificateHold).
  Result<store::CertificateRecord> suspend(const Principal& who, std::string_view tenant, std::string_view serial_hex,
                                           const CallContext& call);
  /// suspended -> valid.
  Result<store::CertificateRecord> reactivate(const Principal& who, std::string_view tenant,
                                              std::string_view serial_hex, const CallContext& call);
  /// A new certificate for the same key, subject and SANs under the profile version in force.
  /// Refused (FailedPrecondition) for revoked, suspended or expired certificates.
  Result<IssuedCertificate> renew(const Principal& who, std::string_view tenant, std::string_view serial_hex,
                                  const CallContext& call);
  /// A new certificate for the key of `csr_pem` (which proves possession), with the subject and
  /// SANs of the old certificate. Refused like renew, and when the CSR carries the same key.
  Result<IssuedCertificate> rekey(const Principal& who, std::string_view tenant, std::string_view serial_hex,
                                  std::string_view csr_pem, const CallContext& call);

  /// Records a revoke-by-query job and returns it (state "running"); run_bulk_jobs() processes
  /// it in chunks, each chunk committed with its cursor so that a restart resumes it.
  Result<store::BulkJobRecord> start_bulk_revoke(const Principal& who, std::string_view tenant,
                                                 const BulkRevokeQuery& query, pki::CrlReason reason,
                                                 const CallContext& call);
  Result<store::BulkJobRecord> get_bulk_job(const Principal& who, std::string_view tenant, std::int64_t id);
  /// Processes every running bulk job to completion (background thread of `serve`, or tests), or
  /// until `*stop` becomes true (checked between chunks; the job resumes at the next call).
  Status run_bulk_jobs(const std::atomic<bool>* stop = nullptr);

  /// Every CA of every enabled tenant (CRL publishing, OCSP issuer index).
  Result<std::vector<std::shared_ptr<const CaRuntime>>> all_cas();
  /// `listener` is called (on the changing thread, after commit) after every status change, so
  /// that OCSP and CRL publishers react at once instead of at their next poll. Register before
  /// serving; listeners must be cheap and must not call back into the Authority.
  void add_status_listener(std::function<void()> listener);
  /// `listener` is called after a bulk job has been created (wakes the bulk job runner).
  void add_bulk_job_listener(std::function<void()> listener);
  /// Drops the cached state (tenant runtime, EST endpoint state) of every tenant whose tenant
  /// row, CAs, profiles or EST endpoints changed since the last call, whether this process or
  /// another one on the same database (the CLI) made the change; `serve` calls it every
  /// FLEETPKI_CONFIG_POLL_MS. Returns how many tenants were dropped.
  Result<std::size_t> reload_changed_configuration();
  const AuthorityCounters& counters() const { return counters_; }

  /// PEM of a stored certificate record.
  static std::string certificate_pem(const store::CertificateRecord& record);

  const AuthorityOptions& options() const { return options_; }

  // ---- services of issue #4, each in its own files (owned by the Authority) --------------------
  /// Tenants, their CAs, tokens and operator client certificates.
  TenantAdmin& tenant_admin() { return *tenant_admin_; }
  /// Device types and devices.
  DeviceRegistry& devices() { return *devices_; }
  /// Certificate profiles as data: versions, templates, retirement.
  ProfileCatalog& profiles() { return *profiles_; }
  /// The tamper-evident audit log: listing, export, checkpoints, verification.
  AuditLog& audit() { return *audit_; }
  // ---- services of issue #5 --------------------------------------------------------------------
  /// EST enrollment endpoints, held enrollments, device OTPs, renewal grants.
  EnrollmentAdmin& enrollment_admin() { return *enrollment_admin_; }
  /// The EST protocol operations (cacerts, csrattrs, simpleenroll, simplereenroll, serverkeygen).
  EstEnrollment& est() { return *est_; }

  // ---- for the authority's own services (not for server/ or cli/) ------------------------------
  /// The tenant's runtime, loaded and cached on first use. NotFound if absent or disabled.
  Result<std::shared_ptr<const TenantRuntime>> tenant_runtime(std::string_view name);
  /// Authorizes `who` for `permission` on the tenant named `tenant`; loads it. Another tenant's
  /// objects are NotFound; a role without the permission is PermissionDenied.
  Result<std::shared_ptr<const TenantRuntime>> authorize(const Principal& who, std::string_view tenant,
                                                         Permission permission);
  /// Drops the cached runtime of a tenant (its CAs or profiles changed): the next use reloads it.
  /// Call after the change has committed.
  void invalidate_tenant(std::string_view name);
  store::Store& store() { return deps_.store; }
  keys::KeyVault& vault() { return deps_.vault; }
  const pki::CryptoContext& crypto() const { return deps_.crypto; }
  const Clock& clock() const { return deps_.clock; }
  /// issue() for the authority's services, with a parsed CSR: authorizes `permission` (EST:
  /// DeviceEnroll for a device enrolling itself) instead of CertificateIssue; with `key_override`
  /// the certificate is for that key instead of the CSR's (EST serverkeygen, where the CSR only
  /// names the subject).
  Result<IssuedCertificate> issue_parsed(const Principal& who, Permission permission, std::string_view tenant,
                                         std::string_view profile, const pki::Csr& csr,
                                         const std::optional<std::string>& device_serial,
                                         const pki::PublicKeyInfo* key_override, const CallContext& call);
  /// renew() (csr null) or rekey() for the authority's services: authorizes `permission`.
  Result<IssuedCertificate> renew_or_rekey_as(const Principal& who, Permission permission, std::string_view tenant,
                                              std::string_view serial_hex, const pki::Csr* csr,
                                              const CallContext& call);
  /// Wakes the CRL and OCSP publishers after certificate status changes committed by a service.
  void notify_status_listeners();

 private:
  Authority(AuthorityDeps deps, AuthorityOptions options);

  Result<std::shared_ptr<const TenantRuntime>> load_tenant(std::string_view name);
  /// A signed certificate and its audit event, ready to be committed.
  struct Prepared {
    std::shared_ptr<IssuedCertificate> issued;
    store::AuditEvent event;
  };
  /// Before signing for a registered device: it exists in the tenant, is neither suspended nor
  /// decommissioned, and the CSR names no other serialNumber. Checked again at link time.
  Result<DeviceContext> check_issuance_device(const TenantRuntime& tenant, const std::string& serial,
                                              const pki::Csr& csr);
  Result<Prepared> sign(const Principal& who, const TenantRuntime& tenant, const ProfileRuntime& profile,
                        const pki::PublicKeyInfo& key, const struct SubjectDecision& subject,
                        const CallContext& call);
  /// Queues the certificate and its audit event (and `in_commit`, when set) for the group commit.
  std::future<Status> commit_async(const Prepared& prepared,
                                   std::function<Status(store::Transaction&)> in_commit = {});
  /// sign + commit, drawing a new serial on the (2^-126) chance of a collision.
  Result<IssuedCertificate> sign_and_record(const Principal& who, const TenantRuntime& tenant,
                                            const ProfileRuntime& profile,
                                            const pki::PublicKeyInfo& key,
                                            const struct SubjectDecision& subject,
                                            const CallContext& call);

  /// One version-checked status transition of one certificate (and its renewals for revoke).
  Result<store::CertificateRecord> change_status(const Principal& who, std::string_view tenant,
                                                 std::string_view serial_hex, std::string_view action,
                                                 std::optional<pki::CrlReason> reason,
                                                 std::optional<TimePoint> invalidity_date, const CallContext& call);
  Result<IssuedCertificate> renew_or_rekey(const Principal& who, std::string_view tenant, std::string_view serial_hex,
                                           std::optional<std::string_view> csr_pem, const CallContext& call);
  /// Runs one bulk job chunk by chunk until done.
  Status run_bulk_job(store::BulkJobRecord job, const std::atomic<bool>* stop);
  void notify_bulk_listeners();

  AuthorityDeps deps_;
  AuthorityOptions options_;
  AuthorityCounters counters_;
  std::mutex listeners_mutex_;
  std::vector<std::function<void()>> status_listeners_;
  std::vector<std::function<void()>> bulk_listeners_;
  std::mutex bulk_mutex_;  // one run_bulk_jobs() at a time
  store::GroupCommitter committer_;
  std::shared_mutex tenants_mutex_;
  std::map<std::string, std::shared_ptr<const TenantRuntime>, std::less<>> tenants_;
  std::atomic<std::uint64_t> tenants_generation_{0};  // bumped by invalidate_tenant
  std::mutex configuration_mutex_;         // one reload_changed_configuration() at a time
  std::int64_t configuration_seen_ = 0;    // highest configuration change version applied
  std::unique_ptr<TenantAdmin> tenant_admin_;
  std::unique_ptr<DeviceRegistry> devices_;
  std::unique_ptr<ProfileCatalog> profiles_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<EnrollmentAdmin> enrollment_admin_;
  std::unique_ptr<EstEnrollment> est_;
};

/// Tenant names: 1..63 of [a-z0-9-], starting with a letter or digit.
bool is_valid_tenant_name(std::string_view name);

}  // namespace fleetpki::authority
