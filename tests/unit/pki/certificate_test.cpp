#include "pki/certificate.h"

#include <gtest/gtest.h>

#include "pki/pem.h"
#include "test_util.h"

namespace fleetpki::pki {
namespace {

TEST(Certificate, ParsesOpensslCliRootCertificate) {
  CryptoContext ctx;
  Bytes der = test::read_data_file("cert_p256_root.der");
  ASSERT_FALSE(der.empty());
  auto cert = Certificate::from_der(ctx, der);
  ASSERT_TRUE(cert) << cert.error().message;
  const unsigned char* p = der.data();
  ossl::Ptr<X509> x(::d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  ASSERT_TRUE(x);
  EXPECT_TRUE(cert->is_ca());
  EXPECT_EQ(cert->subject_string(), "CN=cli-root,O=Acme,C=DE");
  EXPECT_EQ(cert->subject_der(), cert->issuer_der());
  const ASN1_OCTET_STRING* ski = ::X509_get0_subject_key_id(x.get());
  ASSERT_NE(ski, nullptr);
  EXPECT_EQ(cert->subject_key_id(), Bytes(ski->data, ski->data + ski->length));
  EXPECT_EQ(cert->subject_key_id(), key_identifier(ctx, cert->public_key()));
  const ASN1_INTEGER* serial = ::X509_get0_serialNumber(x.get());
  EXPECT_EQ(cert->serial(), Bytes(serial->data, serial->data + serial->length));
  EXPECT_EQ(cert->public_key().type, KeyType::EcP256);
  EXPECT_EQ(cert->not_after() - cert->not_before(), std::chrono::days(3650));
  EXPECT_EQ(::X509_cmp_time(::X509_get0_notBefore(x.get()), nullptr), -1);
}

TEST(Certificate, PemRoundTrips) {
  CryptoContext ctx;
  Bytes der = test::read_data_file("cert_p256_root.der");
  auto cert = Certificate::from_pem(ctx, pem_encode(der, "CERTIFICATE"));
  ASSERT_TRUE(cert);
  EXPECT_EQ(cert->pem(), pem_encode(der, "CERTIFICATE"));
  EXPECT_FALSE(Certificate::from_pem(ctx, pem_encode(der, "X509 CRL")));
}

TEST(Certificate, RefusesTruncatedAndTrailingData) {
  CryptoContext ctx;
  Bytes der = test::read_data_file("cert_p256_root.der");
  for (std::size_t n = 0; n < der.size(); n += 7) {
    EXPECT_FALSE(Certificate::from_der(ctx, ByteView(der.data(), n))) << n;
  }
  der.push_back(0);
  EXPECT_FALSE(Certificate::from_der(ctx, der));
}

}  // namespace
}  // namespace fleetpki::pki
