// Records of the store: EST enrollment endpoints, pending enrollments, one-time passwords and
// operator renewal grants (issue #5).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/bytes.h"

namespace fleetpki::store {

/// An EST enrollment endpoint: `/.well-known/est/<label>/…`. Labels are unique platform-wide
/// (they are URL segments without a tenant); the label-less path is the endpoint labelled
/// "default". The policy is data (authority/enrollment_endpoint.h parses it).
struct EnrollmentEndpointRecord {
  std::int64_t id = 0;
  std::int64_t tenant_id = 0;
  std::string label;
  std::string definition_json;  // EndpointSpec::to_json()
  bool disabled = false;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  int row_version = 1;
};

/// Pending-enrollment states.
inline constexpr const char* kEnrollmentPending = "pending";
inline constexpr const char* kEnrollmentIssued = "issued";     // approved and issued
inline constexpr const char* kEnrollmentRejected = "rejected";

/// An enrollment held for manual approval (EST 202 + Retry-After). The client's identical retry
/// finds it by `request_key` (SHA-256 of endpoint id, authenticated identity and CSR DER).
struct EnrollmentRequestRecord {
  std::int64_t id = 0;
  std::int64_t tenant_id = 0;
  std::int64_t endpoint_id = 0;
  std::string request_key;       // hex SHA-256, unique
  std::string device_serial;     // as claimed by the authenticated credential
  std::string auth_mode;         // "idevid" | "otp"
  std::string identity;          // e.g. hex SHA-256 of the IDevID, for the operator to see
  Bytes csr_der;
  std::string state = kEnrollmentPending;
  std::optional<std::string> certificate_serial;  // hex, set when issued
  std::optional<std::string> decided_by;       // principal id
  std::optional<std::string> reason;           // rejection reason
  std::int64_t created_at = 0;
  std::optional<std::int64_t> decided_at;
  int row_version = 1;
  std::string endpoint_label;  // read with the request (the endpoint's label); never written
};

/// A CRL an operator uploaded for one of an EST endpoint's outside trust anchors (migration
/// 0011): the latest one per (endpoint, anchor). Its signature was verified with that anchor.
struct EndpointCrlRecord {
  std::int64_t id = 0;
  std::int64_t tenant_id = 0;
  std::int64_t endpoint_id = 0;
  std::string issuer_sha256;  // hex SHA-256 of the anchor certificate (DER) that signed the CRL
  Bytes crl_der;
  std::optional<std::string> crl_number;  // hex of the cRLNumber extension, when present
  std::int64_t this_update = 0;
  std::optional<std::int64_t> next_update;
  std::int64_t revoked_count = 0;
  std::int64_t created_at = 0;
};

/// What /metrics shows of a stored outside-anchor CRL (Store::list_endpoint_crl_summaries).
struct EndpointCrlSummary {
  std::string tenant;    // tenant name
  std::string endpoint;  // endpoint label
  std::string issuer_sha256;
  std::int64_t this_update = 0;
  std::optional<std::int64_t> next_update;
  std::int64_t revoked_count = 0;
};

/// A one-time password for EST enrollment over HTTP Basic of a device without a birth
/// certificate. Only the SHA-256 of the secret is stored.
struct EnrollmentOtpRecord {
  std::int64_t id = 0;
  std::int64_t tenant_id = 0;
  std::string device_serial;
  Bytes secret_hash;             // SHA-256 of the secret
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
  std::optional<std::int64_t> used_at;
  std::string created_by;
};

/// An operator's permission for one re-enroll outside the profile's renewal window.
struct RenewalGrantRecord {
  std::int64_t id = 0;
  std::int64_t tenant_id = 0;
  std::string device_serial;
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
  std::optional<std::int64_t> used_at;
  std::string created_by;
};

}  // namespace fleetpki::store
