// The KeyVault port: creates and finds keys by reference. Adapters: software/, later pkcs11/.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "keys/signer.h"
#include "pki/ossl/ptr.h"

namespace fleetpki::keys {

enum class KeyAlgorithm { EcP256, EcP384, Ed25519, Rsa2048, Rsa3072, Rsa4096 };

/// "ec-p256", "ec-p384", "ed25519", "rsa-2048", "rsa-3072", "rsa-4096" (the names the CLI and config use).
std::string_view key_algorithm_name(KeyAlgorithm algorithm);
/// The inverse of key_algorithm_name(); also accepts "p256", "p384", "rsa2048", "rsa3072", "rsa4096" and any
/// letter case. InvalidArgument for anything else.
Result<KeyAlgorithm> parse_key_algorithm(std::string_view name);

class KeyVault {
 public:
  virtual ~KeyVault() = default;
  /// Generates a key inside the vault. Returns its reference (e.g. "software:issuing-ca"), which
  /// is what the store keeps. AlreadyExists if `label` is taken.
  virtual Result<std::string> generate(KeyAlgorithm algorithm, std::string_view label) = 0;
  /// Opens a signer for a reference returned by generate(). NotFound if unknown.
  virtual Result<SignerPtr> open_signer(std::string_view key_ref) = 0;
  /// The private key as an EVP_PKEY for the TLS stack (server certificate only). Unimplemented
  /// where keys cannot leave the vault (then TLS uses the token through its own mechanism).
  virtual Result<pki::ossl::Ptr<EVP_PKEY>> tls_private_key(std::string_view key_ref) = 0;
};

}  // namespace fleetpki::keys
