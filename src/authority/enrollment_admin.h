// Administration of EST enrollment (issue #5): enrollment endpoints per tenant, enrollments held
// for approval, one-time passwords for devices without a birth certificate, and operator grants
// for a renewal outside the profile's renewal window. A service of the Authority
// (Authority::enrollment_admin()); every entry point authorizes the principal first and every
// change writes its audit event in the same transaction.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "authority/authority.h"
#include "authority/enrollment_endpoint.h"
#include "common/bytes.h"
#include "store/records.h"

namespace fleetpki::authority {

struct EndpointView {
  store::EnrollmentEndpointRecord record;
  EndpointSpec spec;
};

/// A CRL stored for one of an endpoint's outside trust anchors.
struct EndpointCrlView {
  store::EndpointCrlRecord record;
  std::string issuer_subject;  // RFC 2253
  /// False when the anchor that signed it is no longer among the endpoint's trust anchors (the
  /// CRL is then not used).
  bool in_use = true;
  /// False when an upload found this very CRL already stored (nothing was written).
  bool changed = true;
};

struct CreatedOtp {
  /// Shown once: the HTTP Basic password of the device's enrollment (user = device serial).
  /// 32 random bytes as unpadded base64url (RFC 4648 §5): 43 characters of A-Z a-z 0-9 - _.
  std::string otp;
  store::EnrollmentOtpRecord record;
};

/// Longest validity of a one-time password and of a renewal grant.
inline constexpr std::chrono::seconds kMaxEnrollmentCredentialTtl = std::chrono::hours(24 * 30);
/// Longest rejection reason (bytes); control characters are refused.
inline constexpr std::size_t kMaxRejectionReason = 512;

/// SHA-256 of a one-time password as the device sends it (the octets of the HTTP Basic password,
/// not its base64url decoding): what EnrollmentOtpRecord::secret_hash holds. Compare the stored
/// hash with constant_time_equal.
Bytes hash_enrollment_otp(std::string_view otp);

class EnrollmentAdmin final {
 public:
  explicit EnrollmentAdmin(Authority& authority) : authority_(authority) {}
  EnrollmentAdmin(const EnrollmentAdmin&) = delete;
  EnrollmentAdmin& operator=(const EnrollmentAdmin&) = delete;

  // ---- endpoints (Permission::EnrollmentManage; reads EnrollmentRead) -------------------------
  /// InvalidArgument for a bad label, an unknown profile/CA/device type or bad trust anchors;
  /// AlreadyExists when the label is taken (platform-wide).
  Result<EndpointView> create_endpoint(const Principal& who, std::string_view tenant, std::string_view label,
                                       const EndpointSpec& spec, const CallContext& call);
  /// Replaces the endpoint's policy.
  Result<EndpointView> update_endpoint(const Principal& who, std::string_view tenant, std::string_view label,
                                       const EndpointSpec& spec, const CallContext& call);
  /// Disabled endpoints answer 404 on the EST path. Idempotent: setting the state it already has
  /// changes nothing and writes no audit event.
  Result<EndpointView> set_endpoint_disabled(const Principal& who, std::string_view tenant, std::string_view label,
                                             bool disabled, const CallContext& call);
  Result<EndpointView> get_endpoint(const Principal& who, std::string_view tenant, std::string_view label);
  Result<store::Page<EndpointView>> list_endpoints(const Principal& who, std::string_view tenant,
                                                   std::int64_t after, int limit);

  // ---- CRLs of outside trust anchors (EnrollmentManage; reads EnrollmentRead) ---------------
  /// Stores `crl` (DER, or PEM "X509 CRL") as the CRL of the endpoint anchor that signed it,
  /// replacing that anchor's previous one; the EST service checks outside IDevIDs against it from
  /// the next request (ADR 0017). InvalidArgument when it is no CRL or no anchor of
  /// trust_anchors_pem signed it, or its thisUpdate is in the future; FailedPrecondition when the
  /// endpoint has no outside anchor, or the CRL is older than the stored one (a lower cRLNumber,
  /// else an earlier thisUpdate): replaying an old CRL must not un-revoke a device.
  Result<EndpointCrlView> put_endpoint_crl(const Principal& who, std::string_view tenant, std::string_view label,
                                           ByteView crl, const CallContext& call);
  Result<std::vector<EndpointCrlView>> list_endpoint_crls(const Principal& who, std::string_view tenant,
                                                          std::string_view label);

  // ---- held enrollments (reads EnrollmentRead; decisions EnrollmentApprove) --------------------
  Result<store::Page<store::EnrollmentRequestRecord>> list_requests(const Principal& who, std::string_view tenant,
                                                                    std::optional<std::string> state,
                                                                    std::int64_t after, int limit);
  Result<store::EnrollmentRequestRecord> get_request(const Principal& who, std::string_view tenant, std::int64_t id);
  /// Issues the held CSR through the endpoint's profile for the device (registering an unknown
  /// device first, with the endpoint's device type) and records the certificate on the request:
  /// the device's identical retry then receives it. FailedPrecondition unless pending, when the
  /// device is unknown and the endpoint does not register unknown devices, when the device is of
  /// another type than the endpoint's, or suspended/decommissioned. Needs CertificateIssue too
  /// (and DeviceManage to register a device). Approvals are serialized in this process; should
  /// another process decide the request meanwhile, the certificate just issued is revoked
  /// (superseded) and the call fails.
  Result<store::EnrollmentRequestRecord> approve_request(const Principal& who, std::string_view tenant,
                                                         std::int64_t id, const CallContext& call);
  Result<store::EnrollmentRequestRecord> reject_request(const Principal& who, std::string_view tenant,
                                                        std::int64_t id, std::string_view reason,
                                                        const CallContext& call);
  // `state` of list_requests: nullopt (all), "pending", "issued" or "rejected"; limit 1..1000.
  // `reason` of reject_request: at most kMaxRejectionReason bytes, may be empty.

  // ---- device credentials (EnrollmentApprove) ------------------------------------------------
  /// A one-time password for the registered device (valid `ttl`, 1 s .. 30 days; used once).
  Result<CreatedOtp> create_otp(const Principal& who, std::string_view tenant, std::string_view device_serial,
                                std::chrono::seconds ttl, const CallContext& call);
  /// Allows the device one re-enroll outside its profile's renewal window within `ttl`.
  Result<store::RenewalGrantRecord> grant_renewal(const Principal& who, std::string_view tenant,
                                                  std::string_view device_serial, std::chrono::seconds ttl,
                                                  const CallContext& call);

 private:
  Authority& authority_;
  std::mutex approve_mutex_;  // one approval at a time: a request is issued once
};

/// The definition of the endpoint "default": profile ldevid, trusted CA manufacturing, idevid +
/// ldevid + otp, automatic approval, unknown devices rejected, linking optional, server key
/// generation on, Retry-After 60 s (the same JSON as migration 0008 inserts).
EndpointSpec default_enrollment_endpoint_spec();

/// Adds the endpoint "default" to a new tenant named "default" (Authority::create_tenant's
/// transaction) unless the label is taken; no audit event of its own (tenant.create covers it).
/// A store without enrollment support (Unimplemented) is left without it.
Status add_default_enrollment_endpoint(store::Transaction& tx, std::int64_t tenant_id, std::int64_t now);

}  // namespace fleetpki::authority
