// The software root key of a ceremony: an encrypted PKCS#8 file (PBES2, PBKDF2-HMAC-SHA256 with a
// high iteration count, AES-256-CBC) under a passphrase the operators hold, and the compact secret
// that Shamir shares protect (the private scalar, not the PKCS#8 file: 33-49 bytes instead of
// ~140, so a share fits on one sheet).
#pragma once

#include <filesystem>
#include <string>

#include "common/bytes.h"
#include "common/result.h"
#include "keys/key_vault.h"
#include "pki/certificate.h"
#include "pki/crypto_context.h"
#include "pki/ossl/ptr.h"

namespace fleetpki::ceremony {

/// PBKDF2 iterations for a key file protected by a human passphrase (OWASP 2023 for
/// PBKDF2-HMAC-SHA256). Opening the file costs ~0.5 s, once per ceremony step.
inline constexpr int kDefaultKdfIterations = 600000;
/// Shortest passphrase accepted for a root key file.
inline constexpr std::size_t kMinPassphraseBytes = 12;

/// Generates a key (EC P-256/P-384, Ed25519, RSA) in memory.
Result<pki::ossl::Ptr<EVP_PKEY>> generate_root_key(const pki::CryptoContext& ctx,
                                                   keys::KeyAlgorithm algorithm);

/// PEM "ENCRYPTED PRIVATE KEY" of `key` under `passphrase` (openssl pkey -passin reads it).
Result<std::string> encrypt_key(const pki::CryptoContext& ctx, EVP_PKEY* key,
                                const SecureBytes& passphrase, int kdf_iterations);
/// Decrypts a file made by encrypt_key. FailedPrecondition for a wrong passphrase.
Result<pki::ossl::Ptr<EVP_PKEY>> decrypt_key(const pki::CryptoContext& ctx, std::string_view pem,
                                             const SecureBytes& passphrase);

/// The secret Shamir shares hold: one type octet (1 = EC P-256, 2 = EC P-384, 3 = Ed25519) and
/// the private key (the scalar, big endian, fixed width; the raw Ed25519 key). Unimplemented for
/// RSA (a paper share would need ~1,000 words: keep RSA roots in a token or use EC).
Result<SecureBytes> key_secret(EVP_PKEY* key);
/// Rebuilds the key from key_secret() and the root certificate (its public key completes an EC
/// key) and checks that it is the certificate's key by signing and verifying a test message.
/// FailedPrecondition when it is not.
Result<pki::ossl::Ptr<EVP_PKEY>> key_from_secret(const pki::CryptoContext& ctx, ByteView secret,
                                                 const pki::Certificate& root);

/// True when `signer`'s public key is the certificate's.
bool same_public_key(const Bytes& spki_der, const pki::Certificate& certificate);

}  // namespace fleetpki::ceremony
