// Parsed X.509 certificates (not on the hot path): CA certificates, lookups, the get endpoint.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/result.h"
#include "pki/crypto_context.h"
#include "pki/names.h"
#include "pki/public_key.h"

namespace fleetpki::pki {

/// An immutable, parsed certificate. Share as CertificatePtr.
class Certificate final {
 public:
  static Result<Certificate> from_der(const CryptoContext& ctx, ByteView der);
  static Result<Certificate> from_pem(const CryptoContext& ctx, std::string_view pem);

  const Bytes& der() const { return der_; }
  std::string pem() const;
  const Bytes& serial() const { return serial_; }          // content octets
  const Bytes& subject_der() const { return subject_der_; }
  const Bytes& issuer_der() const { return issuer_der_; }
  std::string subject_string() const;                       // "CN=…,O=…"
  TimePoint not_before() const { return not_before_; }
  TimePoint not_after() const { return not_after_; }
  const PublicKeyInfo& public_key() const { return public_key_; }
  const Bytes& subject_key_id() const { return subject_key_id_; }  // empty if absent
  const std::vector<GeneralName>& subject_alt_names() const { return subject_alt_names_; }
  bool is_ca() const { return is_ca_; }

 private:
  Certificate() = default;
  Bytes der_, serial_, subject_der_, issuer_der_, subject_key_id_;
  std::vector<NameAttribute> subject_;
  std::vector<GeneralName> subject_alt_names_;
  TimePoint not_before_{}, not_after_{};
  PublicKeyInfo public_key_;
  bool is_ca_ = false;
};

using CertificatePtr = std::shared_ptr<const Certificate>;

}  // namespace fleetpki::pki
