// ossl::Ptr<T>: unique ownership of OpenSSL objects with stateless deleters (BoringSSL pattern).
// The only place raw OpenSSL handles are owned.
#pragma once

#include <openssl/bio.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/ocsp.h>
#include <openssl/param_build.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace fleetpki::pki::ossl {

template <class T>
struct Deleter;

#define FLEETPKI_OSSL_DELETER(type, fn) \
  template <>                           \
  struct Deleter<type> {                \
    void operator()(type* p) const { ::fn(p); } \
  }

FLEETPKI_OSSL_DELETER(BIO, BIO_free_all);
FLEETPKI_OSSL_DELETER(EVP_PKEY, EVP_PKEY_free);
FLEETPKI_OSSL_DELETER(EVP_PKEY_CTX, EVP_PKEY_CTX_free);
FLEETPKI_OSSL_DELETER(EVP_MD_CTX, EVP_MD_CTX_free);
FLEETPKI_OSSL_DELETER(EVP_MD, EVP_MD_free);
FLEETPKI_OSSL_DELETER(EVP_CIPHER, EVP_CIPHER_free);
FLEETPKI_OSSL_DELETER(X509, X509_free);
FLEETPKI_OSSL_DELETER(X509_REQ, X509_REQ_free);
FLEETPKI_OSSL_DELETER(X509_CRL, X509_CRL_free);
FLEETPKI_OSSL_DELETER(X509_NAME, X509_NAME_free);
FLEETPKI_OSSL_DELETER(X509_STORE, X509_STORE_free);
FLEETPKI_OSSL_DELETER(X509_STORE_CTX, X509_STORE_CTX_free);
// ASN1_TIME, ASN1_INTEGER, ASN1_OCTET_STRING… are all typedefs of ASN1_STRING: one deleter serves
// Ptr<ASN1_TIME> and Ptr<ASN1_INTEGER> (two specializations would be a redefinition).
FLEETPKI_OSSL_DELETER(ASN1_STRING, ASN1_STRING_free);
FLEETPKI_OSSL_DELETER(BIGNUM, BN_clear_free);
FLEETPKI_OSSL_DELETER(OSSL_PARAM_BLD, OSSL_PARAM_BLD_free);
FLEETPKI_OSSL_DELETER(OSSL_PARAM, OSSL_PARAM_free);
FLEETPKI_OSSL_DELETER(OSSL_LIB_CTX, OSSL_LIB_CTX_free);
FLEETPKI_OSSL_DELETER(SSL_CTX, SSL_CTX_free);
FLEETPKI_OSSL_DELETER(OSSL_ENCODER_CTX, OSSL_ENCODER_CTX_free);
FLEETPKI_OSSL_DELETER(OSSL_DECODER_CTX, OSSL_DECODER_CTX_free);
FLEETPKI_OSSL_DELETER(EVP_KDF, EVP_KDF_free);
FLEETPKI_OSSL_DELETER(EVP_KDF_CTX, EVP_KDF_CTX_free);
FLEETPKI_OSSL_DELETER(OCSP_REQUEST, OCSP_REQUEST_free);
FLEETPKI_OSSL_DELETER(OCSP_RESPONSE, OCSP_RESPONSE_free);
#undef FLEETPKI_OSSL_DELETER

template <>
struct Deleter<STACK_OF(X509)> {
  void operator()(STACK_OF(X509) * s) const { ::sk_X509_pop_free(s, ::X509_free); }
};

template <class T>
using Ptr = std::unique_ptr<T, Deleter<T>>;

static_assert(sizeof(Ptr<X509>) == sizeof(X509*), "deleters must be stateless");

}  // namespace fleetpki::pki::ossl
