// Pkcs11Signer: the Signer port over a private key that never leaves its token. Hashing happens
// on the host (EVP), the token signs the digest: CKM_ECDSA (raw r‖s, converted to the DER
// Ecdsa-Sig-Value of X.509, CRLs and OCSP) or CKM_RSA_PKCS over a DigestInfo built here.
// CKM_ECDSA_SHA256 would hash in the token but SoftHSM 2.6.1 refuses it (STANDARDS.md §10).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "keys/pkcs11/pkcs11_session_pool.h"
#include "keys/signer.h"
#include "pki/crypto_context.h"

namespace fleetpki::keys {

namespace p11 {
/// Finds exactly one object matching `attributes` (C_FindObjectsInit/C_FindObjects/Final).
/// kRvObjectNotFound / kRvObjectAmbiguous when none / several match.
ck_rv_t find_one(const Pkcs11Session& session, std::vector<ck_attribute>& attributes,
                 ck_object_handle_t& found, std::string& what);
}  // namespace p11

class Pkcs11Signer final : public Signer {
 public:
  /// `id` is the key's CKA_ID (shared by its public and private objects); `spki` the public key
  /// read from the token. `algorithm` must match the key (EC P-256 → EcdsaSha256, P-384 →
  /// EcdsaSha384, RSA → RsaPkcs1Sha256, Ed25519 → Ed25519); `signature_size` is 2×field size
  /// (64 for Ed25519) or the modulus size.
  Pkcs11Signer(const pki::CryptoContext& ctx, std::shared_ptr<Pkcs11SessionPool> pool, Bytes id,
               pki::SignatureAlgorithm algorithm, Bytes spki, std::size_t signature_size)
      : ctx_(ctx),
        pool_(std::move(pool)),
        id_(std::move(id)),
        algorithm_(algorithm),
        spki_(std::move(spki)),
        signature_size_(signature_size) {}

  pki::SignatureAlgorithm algorithm() const override { return algorithm_; }
  const Bytes& public_key_spki() const override { return spki_; }
  /// X.509 form: DER Ecdsa-Sig-Value for ECDSA, the PKCS#1 v1.5 block for RSA. Thread-safe: each
  /// call borrows its own session from the pool.
  Result<Bytes> sign(ByteView message) const override;
  /// ECDSA: the raw fixed-width r‖s the token returns (the COSE form, RFC 9053 §2.1); Ed25519:
  /// the same 64 bytes as sign().
  Result<Bytes> sign_raw(ByteView message) const;

 private:
  /// Hashes `message` (not for Ed25519) and has the token sign it; the token's own output format.
  Result<Bytes> token_sign(ByteView message) const;
  /// C_SignInit(mechanism) + C_Sign(input) on a pooled session.
  Result<Bytes> token_sign_input(const ck_mechanism& mechanism, ByteView input) const;
  /// The private key's handle in sessions of `session.generation` (found once per generation).
  ck_rv_t key_handle(const Pkcs11Session& session, bool refresh, ck_object_handle_t& handle,
                     std::string& what) const;

  const pki::CryptoContext& ctx_;
  std::shared_ptr<Pkcs11SessionPool> pool_;
  Bytes id_;
  pki::SignatureAlgorithm algorithm_;
  Bytes spki_;
  std::size_t signature_size_;

  mutable std::mutex handle_mutex_;
  mutable bool handle_known_ = false;
  mutable bool ever_found_ = false;  // a later "not found" means the token lost the key
  mutable std::uint64_t handle_generation_ = 0;
  mutable ck_object_handle_t handle_ = 0;
};

/// Raw r‖s (two big-endian halves of equal width) → DER Ecdsa-Sig-Value (RFC 5480 §2.2 /
/// RFC 3279 §2.2.3). InvalidArgument for an odd or empty input.
Result<Bytes> ecdsa_raw_to_der(ByteView raw);

}  // namespace fleetpki::keys
