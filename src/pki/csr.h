// PKCS#10 certification requests (RFC 2986), parsed strictly and verified at parse time.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "pki/crypto_context.h"
#include "pki/names.h"
#include "pki/public_key.h"

namespace fleetpki::pki {

/// Largest CSR accepted (DER octets; PEM text may be up to twice this). Checked before parsing.
inline constexpr std::size_t kMaxCsrBytes = 64 * 1024;

/// What a CSR asked for in its extensionRequest attribute. Recorded so policy can refuse it with a
/// reason; never copied into a certificate.
struct RequestedExtensions {
  bool basic_constraints_ca = false;    // asked for cA TRUE
  bool key_cert_sign = false;           // keyUsage with keyCertSign or cRLSign
  std::optional<std::uint16_t> key_usage;  // the keyUsage bits if present (see KeyUsage)
  std::vector<std::string> ext_key_usages;  // dotted OIDs
  bool name_constraints = false;
  bool crl_distribution_points = false;
  bool authority_info_access = false;
  std::vector<GeneralName> subject_alt_names;
  std::vector<std::string> other_oids;  // any other extension asked for
};

/// An immutable parsed and signature-checked CSR.
class Csr final {
 public:
  /// Strict PEM ("CERTIFICATE REQUEST" or "NEW CERTIFICATE REQUEST"), then from_der.
  static Result<Csr> from_pem(const CryptoContext& ctx, std::string_view pem);
  /// Strict DER (trailing bytes refused), version 0, key policy applied, signature verified with
  /// the request's own key. InvalidArgument with a client-safe reason on any failure.
  static Result<Csr> from_der(const CryptoContext& ctx, ByteView der);

  const Bytes& der() const { return der_; }
  const Bytes& subject_der() const { return subject_der_; }
  const std::vector<NameAttribute>& subject() const { return subject_; }
  const PublicKeyInfo& public_key() const { return public_key_; }
  const RequestedExtensions& requested_extensions() const { return requested_; }
  /// PKCS#9 challengePassword if present (EST tls-unique linking).
  const std::optional<std::string>& challenge_password() const { return challenge_password_; }

 private:
  Csr() = default;
  Bytes der_;
  Bytes subject_der_;
  std::vector<NameAttribute> subject_;
  PublicKeyInfo public_key_;
  RequestedExtensions requested_;
  std::optional<std::string> challenge_password_;
};

}  // namespace fleetpki::pki
