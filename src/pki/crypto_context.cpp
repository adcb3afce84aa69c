// CryptoContext: the library context choice plus digests fetched once (OpenSSL 3 "fetch once").
#include "pki/crypto_context.h"

#include <openssl/core_names.h>

#include "common/check.h"

namespace fleetpki::pki {
namespace {

ossl::Ptr<EVP_PKEY> ec_group_template(OSSL_LIB_CTX* libctx, const char* propq, const char* group) {
  ossl::Ptr<EVP_PKEY_CTX> pctx(::EVP_PKEY_CTX_new_from_name(libctx, "EC", propq));
  if (!pctx || ::EVP_PKEY_fromdata_init(pctx.get()) != 1) {
    return nullptr;
  }
  OSSL_PARAM params[] = {
      ::OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(group), 0),
      ::OSSL_PARAM_construct_end()};
  EVP_PKEY* raw = nullptr;
  if (::EVP_PKEY_fromdata(pctx.get(), &raw, EVP_PKEY_KEY_PARAMETERS, params) != 1) {
    return nullptr;
  }
  return ossl::Ptr<EVP_PKEY>(raw);
}

}  // namespace

CryptoContext::CryptoContext(OSSL_LIB_CTX* libctx, std::string propq)
    : libctx_(libctx), propq_(std::move(propq)) {
  sha1_.reset(::EVP_MD_fetch(libctx_, "SHA1", this->propq()));
  sha256_.reset(::EVP_MD_fetch(libctx_, "SHA2-256", this->propq()));
  sha384_.reset(::EVP_MD_fetch(libctx_, "SHA2-384", this->propq()));
  // Without these digests no certificate can be issued or verified: an unusable installation.
  FLEETPKI_CHECK(sha1_ && sha256_ && sha384_, "EVP_MD_fetch of SHA1/SHA2-256/SHA2-384 failed");
  p256_template_ = ec_group_template(libctx_, this->propq(), "P-256");
  p384_template_ = ec_group_template(libctx_, this->propq(), "P-384");
  FLEETPKI_CHECK(p256_template_ && p384_template_, "the provider must offer EC P-256 and P-384");
}

}  // namespace fleetpki::pki
