// AlgorithmIdentifier encodings: RFC 5758 §3.2 (ECDSA, parameters absent), RFC 8410 §3 (Ed25519,
// parameters absent), RFC 4055 §5 (sha256WithRSAEncryption, parameters NULL).
#include "pki/algorithms.h"

namespace fleetpki::pki {

std::string_view key_type_name(KeyType type) {
  switch (type) {
    case KeyType::EcP256: return "EC P-256";
    case KeyType::EcP384: return "EC P-384";
    case KeyType::Ed25519: return "Ed25519";
    case KeyType::Rsa: return "RSA";
  }
  return "unknown";
}

Bytes signature_algorithm_der(SignatureAlgorithm alg) {
  switch (alg) {
    case SignatureAlgorithm::EcdsaSha256:
      return {0x30, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02};
    case SignatureAlgorithm::EcdsaSha384:
      return {0x30, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x03};
    case SignatureAlgorithm::Ed25519:
      return {0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70};
    case SignatureAlgorithm::RsaPkcs1Sha256:
      return {0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7,
              0x0D, 0x01, 0x01, 0x0B, 0x05, 0x00};
  }
  return {};
}

const char* digest_name(SignatureAlgorithm alg) {
  switch (alg) {
    case SignatureAlgorithm::EcdsaSha256:
    case SignatureAlgorithm::RsaPkcs1Sha256:
      return "SHA256";
    case SignatureAlgorithm::EcdsaSha384:
      return "SHA384";
    case SignatureAlgorithm::Ed25519:
      return nullptr;
  }
  return nullptr;
}

}  // namespace fleetpki::pki
