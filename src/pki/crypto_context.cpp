// CryptoContext: the library context choice plus digests fetched once (OpenSSL 3 "fetch once").
#include "pki/crypto_context.h"

#include "common/check.h"

namespace fleetpki::pki {

CryptoContext::CryptoContext(OSSL_LIB_CTX* libctx, std::string propq)
    : libctx_(libctx), propq_(std::move(propq)) {
  sha1_.reset(::EVP_MD_fetch(libctx_, "SHA1", this->propq()));
  sha256_.reset(::EVP_MD_fetch(libctx_, "SHA2-256", this->propq()));
  sha384_.reset(::EVP_MD_fetch(libctx_, "SHA2-384", this->propq()));
  // Without these digests no certificate can be issued or verified: an unusable installation.
  FLEETPKI_CHECK(sha1_ && sha256_ && sha384_, "EVP_MD_fetch of SHA1/SHA2-256/SHA2-384 failed");
}

}  // namespace fleetpki::pki
