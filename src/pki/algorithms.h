// Key types and signature algorithms fleetpki accepts, with their DER AlgorithmIdentifiers.
#pragma once

#include <string_view>

#include "common/bytes.h"

namespace fleetpki::pki {

/// Subject key types accepted in CSRs. Anything else (P-224, secp256k1, RSA < 2048, DSA…) is refused.
enum class KeyType { EcP256, EcP384, Ed25519, Rsa };

std::string_view key_type_name(KeyType type);  // "EC P-256", "EC P-384", "Ed25519", "RSA"

/// Signature algorithms a CA key signs with (RFC 5758, RFC 8410, RFC 4055).
enum class SignatureAlgorithm { EcdsaSha256, EcdsaSha384, Ed25519, RsaPkcs1Sha256 };

/// The digest name for EVP_Digest{Sign,Verify}Init_ex: "SHA256", "SHA384", or nullptr for Ed25519
/// (PureEdDSA hashes internally).
const char* digest_name(SignatureAlgorithm alg);

/// The DER AlgorithmIdentifier SEQUENCE: ECDSA and Ed25519 without parameters, RSA with NULL.
Bytes signature_algorithm_der(SignatureAlgorithm alg);

}  // namespace fleetpki::pki
