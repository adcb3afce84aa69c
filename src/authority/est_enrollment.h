// EST enrollment (RFC 7030 as corrected by RFC 8951) as the Authority sees it (issue #5): the
// transport (server/est) decodes bodies and hands over what it knows of the caller; this service
// resolves the endpoint, authenticates the device, applies the endpoint's policy and issues
// through the profile. A service of the Authority (Authority::est()).
//
// Errors map to EST statuses: InvalidArgument 400 (bad CSR, failed linking, policy), Unauthenticated
// 401 (no or bad credential), PermissionDenied 403 (authenticated but not allowed: unknown or
// suspended device, outside the renewal window, rejected by an operator), NotFound 404 (unknown
// or disabled label), Unavailable 503.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "authority/authority.h"
#include "common/bytes.h"

namespace fleetpki::authority {

/// What the transport knows about the caller.
struct EstClient {
  std::vector<Bytes> certificate_chain;   // TLS client certificates, leaf first; NOT yet verified
  std::optional<std::string> basic_user;  // HTTP Basic credentials, when sent
  std::optional<std::string> basic_password;
  int tls_version = 0;                    // 0x0303 TLS 1.2, 0x0304 TLS 1.3
  Bytes channel_binding;                  // tls-unique (1.2) or tls-exporter (1.3)
};

struct EstResult {
  /// Issued: the new certificate (DER). Pending: nothing issued yet; retry after the delay.
  bool pending = false;
  int retry_after_seconds = 0;
  Bytes certificate_der;
  std::string serial_hex;
  /// serverkeygen only: the generated private key, PKCS#8 PrivateKeyInfo DER.
  SecureBytes private_key_pkcs8;
};

class EstEnrollment final {
 public:
  explicit EstEnrollment(Authority& authority);
  ~EstEnrollment();
  EstEnrollment(const EstEnrollment&) = delete;
  EstEnrollment& operator=(const EstEnrollment&) = delete;

  // `label` "" means kDefaultEnrollmentLabel. Unknown or disabled labels: NotFound.

  /// RFC 7030 §4.1: DER of a certs-only PKCS#7 with the chain of the endpoint profile's CA.
  Result<Bytes> cacerts(std::string_view label);
  /// RFC 7030 §4.5 / RFC 8951: DER of CsrAttrs with what the endpoint's profile needs (key type
  /// and curve, signature hash, challengePassword when linking is on, required attributes).
  Result<Bytes> csrattrs(std::string_view label);
  /// RFC 7030 §4.2.1: `csr_der` is the decoded PKCS#10.
  Result<EstResult> simpleenroll(std::string_view label, const EstClient& client, ByteView csr_der,
                                 const CallContext& call);
  /// RFC 7030 §4.2.2: authenticated by the current LDevID; subject and SAN must not change.
  Result<EstResult> simplereenroll(std::string_view label, const EstClient& client, ByteView csr_der,
                                   const CallContext& call);
  /// RFC 7030 §4.4: the CSR names the subject; the key is made here (never stored).
  Result<EstResult> serverkeygen(std::string_view label, const EstClient& client, ByteView csr_der,
                                 const CallContext& call);

  /// Forgets cached endpoint state (policy, trust anchors) of one label, or of all ("").
  void invalidate(std::string_view label = "");

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fleetpki::authority
