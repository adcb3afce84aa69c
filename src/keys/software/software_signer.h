// SoftwareSigner: the Signer port over an in-memory EVP_PKEY (software vault keys, tests).
#pragma once

#include "keys/signer.h"
#include "pki/crypto_context.h"
#include "pki/ossl/ptr.h"

namespace fleetpki::keys {

/// Immutable after create(); sign() uses a fresh EVP_MD_CTX per call, so any number of threads
/// may sign at once (OpenSSL 3 allows concurrent signing with one EVP_PKEY). The fresh context is
/// copied (EVP_MD_CTX_copy_ex) from one initialised at creation, which only reads the template:
/// about 30% faster than EVP_DigestSignInit_ex per call (P-256: 46 vs 66 us/signature measured).
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
                 pki::SignatureAlgorithm algorithm, const char* digest, Bytes spki,
                 pki::ossl::Ptr<EVP_MD_CTX> initialised)
      : ctx_(ctx),
        key_(std::move(key)),
        algorithm_(algorithm),
        digest_(digest),
        spki_(std::move(spki)),
        initialised_(std::move(initialised)) {}

  /// A context ready for EVP_DigestSign: a copy of initialised_, or a fresh init if that fails.
  Result<pki::ossl::Ptr<EVP_MD_CTX>> new_sign_context() const;

  const pki::CryptoContext& ctx_;
  pki::ossl::Ptr<EVP_PKEY> key_;
  pki::SignatureAlgorithm algorithm_;
  const char* digest_;  // "SHA256", "SHA384", or nullptr for Ed25519 (PureEdDSA)
  Bytes spki_;
  pki::ossl::Ptr<EVP_MD_CTX> initialised_;  // template only: never used to sign, only copied
};

}  // namespace fleetpki::keys
