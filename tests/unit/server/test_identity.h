// Test helper: a P-256 key and a self-signed certificate made with the OpenSSL X509 API.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace fleetpki::server::testing {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { ::EVP_PKEY_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

struct TestIdentity {
  PkeyPtr key;
  std::string cert_pem;  // empty on failure
};

/// A fresh P-256 key and a CN=`common_name` certificate valid for an hour, self-signed, or signed
/// by `issuer` (its key, its subject as the issuer name) when given.
inline TestIdentity make_identity(const std::string& common_name = "localhost",
                                  const TestIdentity* issuer = nullptr) {
  TestIdentity out;
  out.key.reset(::EVP_EC_gen("P-256"));
  if (!out.key) {
    return out;
  }
  std::unique_ptr<X509, decltype(&::X509_free)> cert(::X509_new(), &::X509_free);
  std::unique_ptr<BIO, decltype(&::BIO_free_all)> bio(::BIO_new(::BIO_s_mem()), &::BIO_free_all);
  if (!cert || !bio) {
    return out;
  }
  X509_NAME* name = ::X509_get_subject_name(cert.get());
  std::unique_ptr<X509, decltype(&::X509_free)> issuer_cert(nullptr, &::X509_free);
  if (issuer != nullptr) {
    std::unique_ptr<BIO, decltype(&::BIO_free_all)> in(
        ::BIO_new_mem_buf(issuer->cert_pem.data(), static_cast<int>(issuer->cert_pem.size())), &::BIO_free_all);
    if (!in) return out;
    issuer_cert.reset(::PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
    if (!issuer_cert) return out;
  }
  const bool ok =
      ::X509_set_version(cert.get(), X509_VERSION_3) == 1 &&
      ::ASN1_INTEGER_set(::X509_get_serialNumber(cert.get()), 4242) == 1 &&
      ::X509_gmtime_adj(::X509_getm_notBefore(cert.get()), -60) != nullptr &&
      ::X509_gmtime_adj(::X509_getm_notAfter(cert.get()), 3600) != nullptr &&
      ::X509_set_pubkey(cert.get(), out.key.get()) == 1 &&
      ::X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                   -1, 0) == 1 &&
      ::X509_set_issuer_name(cert.get(), issuer_cert ? ::X509_get_subject_name(issuer_cert.get()) : name) == 1 &&
      ::X509_sign(cert.get(), issuer != nullptr ? issuer->key.get() : out.key.get(), ::EVP_sha256()) > 0 &&
      ::PEM_write_bio_X509(bio.get(), cert.get()) == 1;
  if (!ok) {
    return out;
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  if (size > 0 && data != nullptr) {
    out.cert_pem.assign(data, static_cast<std::size_t>(size));
  }
  return out;
}

}  // namespace fleetpki::server::testing
