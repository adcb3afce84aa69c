// The policy of an EST enrollment endpoint as data (issue #5): which profile it issues, whose
// birth certificates (IDevIDs) it trusts, how devices authenticate, when enrollments need an
// operator's approval and whether the CSR must be linked to the TLS session.
//
// JSON form (every field optional except where noted; unknown fields are refused):
//   {"profile": "ldevid", "trusted_cas": ["manufacturing"], "trust_anchors_pem": "-----BEGIN…",
//    "device_type": "meter", "auth": ["idevid", "ldevid", "otp"], "approval": "automatic",
//    "unknown_devices": "reject", "linking": "optional", "server_keygen": false,
//    "retry_after": 60, "outside_crl": "optional"}
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace fleetpki::authority {

/// The label of the endpoint answering the label-less path `/.well-known/est/<operation>`.
inline constexpr const char* kDefaultEnrollmentLabel = "default";

enum class EstAuthMode {
  Idevid,  // simpleenroll/serverkeygen with the factory birth certificate as TLS client certificate
  Ldevid,  // simplereenroll with the current operational certificate as TLS client certificate
  Otp,     // simpleenroll/serverkeygen with HTTP Basic: user = device serial, password = an OTP
};
enum class EstApproval {
  Automatic,  // a registered device in the right state is issued at once
  Manual,     // every enrollment waits for an operator (202 + Retry-After)
};
enum class EstUnknownDevices {
  Reject,  // a serial the registry does not know: 403
  Manual,  // held for an operator, who registers the device by approving
};
enum class EstLinking {
  Off,       // challengePassword is not interpreted
  Optional,  // when present it must equal the channel binding
  Required,  // it must be present and equal the channel binding
};

enum class EstOutsideCrl {
  Optional,  // an outside IDevID is checked against its issuer's uploaded CRL when there is one
  Required,  // ... and refused unless a CRL of its issuer is uploaded and not past its nextUpdate
};

struct EndpointSpec {
  std::string profile = "ldevid";
  /// Names of the tenant's CAs whose IDevIDs are trusted (their own chain up to the tenant's
  /// root completes a device's chain).
  std::vector<std::string> trusted_cas = {"manufacturing"};
  /// Further trust anchors: certificates of manufacturing CAs outside the platform (a contract
  /// manufacturer's PKI), PEM. Their IDevIDs' revocation comes from the CRLs an operator uploads
  /// for the endpoint (EnrollmentAdmin::put_endpoint_crl), by `outside_crl`.
  std::string trust_anchors_pem;
  /// Whether an IDevID of an outside anchor needs a current CRL of its issuer. JSON
  /// "outside_crl": "optional" (default) | "required" (only with trust_anchors_pem).
  EstOutsideCrl outside_crl = EstOutsideCrl::Optional;
  /// When set, only devices of this type enroll here; devices registered by approving an unknown
  /// device get this type (else the tenant's default type).
  std::optional<std::string> device_type;
  std::vector<EstAuthMode> auth = {EstAuthMode::Idevid, EstAuthMode::Ldevid};
  EstApproval approval = EstApproval::Automatic;
  EstUnknownDevices unknown_devices = EstUnknownDevices::Reject;
  EstLinking linking = EstLinking::Optional;
  bool server_keygen = false;
  int retry_after_seconds = 60;  // 1..86400, sent with 202

  /// Parses and validates the JSON form (names only: whether the profile, CAs and device type
  /// exist in the tenant is checked by EnrollmentAdmin). InvalidArgument naming the bad field.
  /// Rules beyond the syntax: `auth` is non-empty without duplicates; "idevid" needs a trusted CA
  /// or trust anchor; trust_anchors_pem holds only CERTIFICATE blocks (at most
  /// kMaxEndpointTrustAnchors, kMaxEndpointTrustAnchorsPem bytes), each a CA certificate
  /// (basicConstraints cA TRUE), and is kept re-encoded (pki::pem_encode, in the given order).
  static Result<EndpointSpec> from_json(std::string_view json);
  /// Compact JSON with sorted keys; trust_anchors_pem and device_type only when set. For every
  /// spec s returned by from_json: from_json(s.to_json()) == s.
  std::string to_json() const;
  bool allows(EstAuthMode mode) const;

  bool operator==(const EndpointSpec&) const = default;
};

/// Limits of EndpointSpec::from_json.
inline constexpr std::size_t kMaxEndpointJson = 128 * 1024;
inline constexpr std::size_t kMaxEndpointTrustAnchors = 16;
inline constexpr std::size_t kMaxEndpointTrustAnchorsPem = 64 * 1024;
inline constexpr std::size_t kMaxEndpointTrustedCas = 16;

/// Labels: like profile names ([a-z0-9-], 1..63, starting with a letter or digit) and not one of
/// the EST operation names (cacerts, simpleenroll, simplereenroll, csrattrs, serverkeygen, fullcmc).
bool is_valid_enrollment_label(std::string_view label);

/// "idevid", "ldevid", "otp".
std::string_view est_auth_mode_name(EstAuthMode mode);
/// "off", "optional", "required".
std::string_view est_linking_name(EstLinking linking);
/// "automatic", "manual".
std::string_view est_approval_name(EstApproval approval);
/// "reject", "manual".
std::string_view est_unknown_devices_name(EstUnknownDevices policy);
/// "optional", "required".
std::string_view est_outside_crl_name(EstOutsideCrl policy);

}  // namespace fleetpki::authority
