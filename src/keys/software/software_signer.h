// SoftwareSigner: the Signer port over an in-memory EVP_PKEY (software vault keys, tests).
#pragma once

#include "keys/signer.h"
#include "pki/crypto_context.h"
#include "pki/ossl/ptr.h"

namespace fleetpki::keys {

/// Immutable after create(); sign() uses a fresh EVP_MD_CTX per call, so any number of threads
/// may sign at once (OpenSSL 3 allows concurrent signing with one EVP_PKEY).
class SoftwareSigner final : public Signer {
 public:
  /// Accepts EC P-256, EC P-384, Ed25519 and RSA >= 2048 bits; InvalidArgument otherwise.
  static Result<std::shared_ptr<const SoftwareSigner>> create(const pki::CryptoContext& ctx,
                                                              pki::ossl::Ptr<EVP_PKEY> key);

  pki::SignatureAlgorithm algorithm() const override { return algorithm_; }
  const Bytes& public_key_spki() const override { return spki_; }
  Result<Bytes> sign(ByteView message) const override;

  /// The key, for callers that need it for something other than signing (e.g. TLS). Not owned.
  EVP_PKEY* key() const { return key_.get(); }

 private:
  SoftwareSigner(const pki::CryptoContext& ctx, pki::ossl::Ptr<EVP_PKEY> key,
                 pki::SignatureAlgorithm algorithm, const char* digest, Bytes spki)
      : ctx_(ctx),
        key_(std::move(key)),
        algorithm_(algorithm),
        digest_(digest),
        spki_(std::move(spki)) {}

  const pki::CryptoContext& ctx_;
  pki::ossl::Ptr<EVP_PKEY> key_;
  pki::SignatureAlgorithm algorithm_;
  const char* digest_;  // "SHA256", "SHA384", or nullptr for Ed25519 (PureEdDSA)
  Bytes spki_;
};

}  // namespace fleetpki::keys
