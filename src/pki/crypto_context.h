// One CryptoContext per process: owns the OSSL_LIB_CTX choice and digests fetched once.
#pragma once

#include <openssl/evp.h>

#include <string>

#include "pki/ossl/ptr.h"

namespace fleetpki::pki {

/// Created at start-up and passed by reference. Thread-safe after construction (read-only).
class CryptoContext final {
 public:
  /// Uses the default library context (nullptr) unless `libctx` is given (not owned).
  explicit CryptoContext(OSSL_LIB_CTX* libctx = nullptr, std::string propq = {});

  OSSL_LIB_CTX* libctx() const { return libctx_; }
  const char* propq() const { return propq_.empty() ? nullptr : propq_.c_str(); }
  const EVP_MD* sha1() const { return sha1_.get(); }
  const EVP_MD* sha256() const { return sha256_.get(); }
  const EVP_MD* sha384() const { return sha384_.get(); }
  /// Parameter-only EC keys (group P-256 / P-384) built once: make_verification_key duplicates them
  /// and sets the point, ~4x cheaper in 3.0 than EVP_PKEY_fromdata with a group name (which builds
  /// the EC_GROUP on every call). Read-only after construction.
  EVP_PKEY* p256_template() const { return p256_template_.get(); }
  EVP_PKEY* p384_template() const { return p384_template_.get(); }

 private:
  OSSL_LIB_CTX* libctx_;
  std::string propq_;
  ossl::Ptr<EVP_MD> sha1_, sha256_, sha384_;
  ossl::Ptr<EVP_PKEY> p256_template_, p384_template_;
};

}  // namespace fleetpki::pki
