// Device certificate chains (IEEE 802.1AR IDevIDs presented as TLS client certificates, issue #5):
// verified with OpenSSL's path validation against an EST endpoint's trust anchors, completed from
// the tenant's CA certificates when the device sends its certificate without intermediates.
// Built once per endpoint and shared read-only between threads (X509_STORE is thread-safe for
// verification; every call has its own X509_STORE_CTX).
#pragma once

#include <openssl/x509.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "authority/tenant_runtime.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "common/result.h"
#include "pki/crypto_context.h"

namespace fleetpki::authority {

/// What the endpoint trusts and what completes device chains.
struct DeviceTrust {
  /// Trust anchors (DER): the tenant CAs named by the endpoint and its outside anchors. A chain
  /// may end at any of them (partial chains: an intermediate anchor need not lead to a root).
  std::vector<Bytes> anchors;
  /// The tenant's CAs: untrusted certificates that complete a chain, and the issuers the verdict
  /// names (an IDevID of our own manufacturing CA is checked against our store).
  std::vector<std::shared_ptr<const CaRuntime>> tenant_cas;
  /// Further untrusted certificates (e.g. the issuers of a bring-your-own CA).
  std::vector<Bytes> intermediates;
  /// CRLs (DER) of anchors outside the platform: a leaf signed by such an anchor and listed on
  /// its CRL is refused. A CRL no anchor signed is ignored (its anchor was removed).
  std::vector<Bytes> outside_crls;
  /// A leaf signed by anything but a tenant CA needs a CRL of its issuer, not past nextUpdate.
  bool outside_crl_required = false;
};

/// A device certificate whose chain verified.
struct VerifiedDeviceCertificate {
  Bytes der;               // the leaf (as sent, for the DER overload)
  std::string serial_hex;  // certificate serial, canonical (pki::serial_to_hex)
  /// The device serial: the subject's serialNumber (2.5.4.5), else the hwSerialNum of a
  /// hardwareModuleName otherName SAN (RFC 4108 §5, 1.3.6.1.5.5.7.8.4); nullopt when neither.
  std::optional<std::string> device_serial;
  /// The tenant CA that signed the leaf; null when it chains through an outside anchor.
  std::shared_ptr<const CaRuntime> issuing_ca;
};

class IdevidVerifier final {
 public:
  /// InvalidArgument when a certificate of `trust` cannot be parsed.
  static Result<std::shared_ptr<const IdevidVerifier>> create(const pki::CryptoContext& ctx,
                                                              const DeviceTrust& trust);
  ~IdevidVerifier();
  IdevidVerifier(const IdevidVerifier&) = delete;
  IdevidVerifier& operator=(const IdevidVerifier&) = delete;

  /// Verifies `chain` (leaf first, then whatever the client sent, in any order) at time `at`:
  /// signatures, validity periods, CA flags, path lengths and name constraints up to an anchor
  /// (RFC 5280 §6, purpose any). Unauthenticated with OpenSSL's reason when it does not verify,
  /// when the leaf is a CA certificate, or for more than kMaxChain certificates. PermissionDenied
  /// when an outside issuer's CRL lists the leaf, or (outside_crl_required) when that issuer has
  /// no CRL here or its CRL is past nextUpdate.
  Result<VerifiedDeviceCertificate> verify(const std::vector<Bytes>& chain, TimePoint at) const;
  /// The same for certificates a TLS stack has decoded already: OpenSSL 3.0's d2i_X509 costs
  /// about 0.5 ms per P-256 certificate here (it builds the key's EC group), as much as the rest
  /// of the verification. `leaf` and `sent` are borrowed for the call.
  Result<VerifiedDeviceCertificate> verify(X509* leaf, const std::vector<X509*>& sent,
                                           TimePoint at) const;

  bool has_anchors() const;

  static constexpr std::size_t kMaxChain = 8;

 private:
  struct State;
  explicit IdevidVerifier(std::unique_ptr<State> state);
  Status check_outside_revocation(X509* leaf, X509* issuer, TimePoint at) const;
  std::unique_ptr<State> state_;
};

}  // namespace fleetpki::authority
