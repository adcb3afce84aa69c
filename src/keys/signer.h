// The Signer port: "sign these bytes with key K". CA code never sees a private key.
#pragma once

#include <memory>

#include "common/bytes.h"
#include "common/result.h"
#include "pki/algorithms.h"

namespace fleetpki::keys {

class Signer {
 public:
  virtual ~Signer() = default;
  /// The algorithm this key signs with (fixed by the key type: P-256 → ECDSA-SHA256, P-384 →
  /// ECDSA-SHA384, Ed25519, RSA → sha256WithRSAEncryption).
  virtual pki::SignatureAlgorithm algorithm() const = 0;
  /// The DER SubjectPublicKeyInfo of the key.
  virtual const Bytes& public_key_spki() const = 0;
  /// Hashes and signs `message`; returns the X.509 form (DER Ecdsa-Sig-Value for ECDSA).
  /// Thread-safe: many threads may sign with one Signer at once.
  virtual Result<Bytes> sign(ByteView message) const = 0;
};

using SignerPtr = std::shared_ptr<const Signer>;

}  // namespace fleetpki::keys
