// Administration of EST enrollment (issue #5): enrollment endpoints per tenant, enrollments held
// for approval, one-time passwords for devices without a birth certificate, and operator grants
// for a renewal outside the profile's renewal window. A service of the Authority
// (Authority::enrollment_admin()); every entry point authorizes the principal first and every
// change writes its audit event in the same transaction.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "authority/authority.h"
#include "authority/enrollment_endpoint.h"
#include "store/records.h"

namespace fleetpki::authority {

struct EndpointView {
  store::EnrollmentEndpointRecord record;
  EndpointSpec spec;
};

struct CreatedOtp {
  std::string otp;  // shown once: the HTTP Basic password of the device's enrollment
  store::EnrollmentOtpRecord record;
};

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
  Result<EndpointView> set_endpoint_disabled(const Principal& who, std::string_view tenant, std::string_view label,
                                             bool disabled, const CallContext& call);
  Result<EndpointView> get_endpoint(const Principal& who, std::string_view tenant, std::string_view label);
  Result<store::Page<EndpointView>> list_endpoints(const Principal& who, std::string_view tenant,
                                                   std::int64_t after, int limit);

  // ---- held enrollments (reads EnrollmentRead; decisions EnrollmentApprove) --------------------
  Result<store::Page<store::EnrollmentRequestRecord>> list_requests(const Principal& who, std::string_view tenant,
                                                                    std::optional<std::string> state,
                                                                    std::int64_t after, int limit);
  Result<store::EnrollmentRequestRecord> get_request(const Principal& who, std::string_view tenant, std::int64_t id);
  /// Issues the held CSR through the endpoint's profile for the device (registering an unknown
  /// device first, with the endpoint's device type) and records the certificate on the request:
  /// the device's identical retry then receives it. FailedPrecondition unless pending.
  Result<store::EnrollmentRequestRecord> approve_request(const Principal& who, std::string_view tenant,
                                                         std::int64_t id, const CallContext& call);
  Result<store::EnrollmentRequestRecord> reject_request(const Principal& who, std::string_view tenant,
                                                        std::int64_t id, std::string_view reason,
                                                        const CallContext& call);

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
};

/// Adds the endpoint "default" (idevid + ldevid + otp, automatic approval, server key generation
/// on) to a new tenant named "default" (Authority::create_tenant's transaction).
Status add_default_enrollment_endpoint(store::Transaction& tx, std::int64_t tenant_id, std::int64_t now);

}  // namespace fleetpki::authority
