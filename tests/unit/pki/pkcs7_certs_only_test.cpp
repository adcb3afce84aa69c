#include "pki/pkcs7_certs_only.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "pki/ossl/ptr.h"

namespace fleetpki::pki {
namespace {

Bytes self_signed_der(const char* cn) {
  ossl::Ptr<EVP_PKEY> key(::EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  ossl::Ptr<X509> x(::X509_new());
  ::X509_set_version(x.get(), 2);
  ::ASN1_INTEGER_set(::X509_get_serialNumber(x.get()), 1);
  ::X509_NAME_add_entry_by_txt(::X509_get_subject_name(x.get()), "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  ::X509_set_issuer_name(x.get(), ::X509_get_subject_name(x.get()));
  ::X509_gmtime_adj(::X509_getm_notBefore(x.get()), 0);
  ::X509_gmtime_adj(::X509_getm_notAfter(x.get()), 3600);
  ::X509_set_pubkey(x.get(), key.get());
  ossl::Ptr<EVP_MD> md(::EVP_MD_fetch(nullptr, "SHA256", nullptr));
  ::X509_sign(x.get(), key.get(), md.get());
  unsigned char* out = nullptr;
  int len = ::i2d_X509(x.get(), &out);
  Bytes der(out, out + len);
  ::OPENSSL_free(out);
  return der;
}

TEST(Pkcs7CertsOnly, OpenSslReadsEveryCertificateAndReencodesIdentically) {
  std::vector<Bytes> certs = {self_signed_der("issuing"), self_signed_der("root")};
  Bytes p7der = encode_certs_only(certs);
  const unsigned char* p = p7der.data();
  PKCS7* p7 = ::d2i_PKCS7(nullptr, &p, static_cast<long>(p7der.size()));
  ASSERT_NE(p7, nullptr);
  EXPECT_EQ(p, p7der.data() + p7der.size());
  ASSERT_EQ(::OBJ_obj2nid(p7->type), NID_pkcs7_signed);
  STACK_OF(X509)* inside = p7->d.sign->cert;
  ASSERT_EQ(sk_X509_num(inside), 2);
  unsigned char* again = nullptr;
  int len = ::i2d_PKCS7(p7, &again);
  EXPECT_EQ(Bytes(again, again + len), p7der);  // our DER is canonical (SET OF sorted)
  ::OPENSSL_free(again);
  ::PKCS7_free(p7);
}

TEST(Pkcs7CertsOnly, Base64LinesAreAtMost64Characters) {
  Bytes data(100, 0xAB);
  std::string b64 = base64_lines(data);
  EXPECT_EQ(b64.find('\n'), 64u);
  EXPECT_EQ(b64.back(), '\n');
  EXPECT_EQ(b64.size(), 136u + 3);  // 4*ceil(100/3) = 136 characters in 3 lines
}

}  // namespace
}  // namespace fleetpki::pki
