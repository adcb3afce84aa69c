// Test helper: keys and CSRs made with OpenSSL's own X509_REQ API (an independent encoder).
#pragma once

#include <openssl/evp.h>

#include <string>
#include <utility>
#include <vector>

#include "pki/ossl/ptr.h"

namespace fleetpki::testing {

/// "P-256", "P-384", "secp256k1", "ED25519", "RSA:1024", "RSA:2048".
pki::ossl::Ptr<EVP_PKEY> make_key(const std::string& spec);

struct CsrSpec {
  std::vector<std::pair<std::string, std::string>> subject;  // {"CN","dev1"}, {"serialNumber","A1"}
  std::vector<std::string> sans;                             // "DNS:x", "IP:1.2.3.4", "URI:…", "email:…"
  std::vector<std::pair<std::string, std::string>> extensions;  // extra v3 extensions, e.g. {"basicConstraints","critical,CA:TRUE"}
  std::string key = "P-256";
};

/// PEM CSR signed with `key` (or a new key from spec.key when null).
std::string make_csr_pem(const CsrSpec& spec, EVP_PKEY* key = nullptr);

}  // namespace fleetpki::testing
