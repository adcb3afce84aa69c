#include "pki/csr_attributes.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>

namespace fleetpki::pki {
namespace {

// RFC 4648 §4 decoding of a padded vector (STANDARDS.md §1.4 gives the vectors in base64).
Bytes from_base64(const std::string& b64) {
  Bytes out(b64.size() / 4 * 3);
  const int n = ::EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(b64.data()),
                                  static_cast<int>(b64.size()));
  EXPECT_GT(n, 0);
  std::size_t pad = 0;
  for (auto it = b64.rbegin(); it != b64.rend() && *it == '='; ++it) ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

TEST(CsrAttributes, EncodesTheRfc8951ExampleByteForByte) {
  // RFC 8951's example: challengePassword; ecPublicKey with secp384r1; extensionRequest naming
  // macAddress; ecdsa-with-SHA384.
  auto ec = csr_attribute_of_oids("1.2.840.10045.2.1", {"1.3.132.0.34"});
  auto ext = csr_attribute_of_oids("1.2.840.113549.1.9.14", {"1.3.6.1.1.1.1.22"});
  ASSERT_TRUE(ec && ext);
  auto der = encode_csr_attrs({CsrAttrOrOid::bare("1.2.840.113549.1.9.7"), *ec, *ext,
                               CsrAttrOrOid::bare("1.2.840.10045.4.3.3")});
  ASSERT_TRUE(der) << der.error().message;
  EXPECT_EQ(*der,
            from_base64("MEEGCSqGSIb3DQEJBzASBgcqhkjOPQIBMQcGBSuBBAAiMBYGCSqGSIb3DQEJDjEJBgcrBgEB"
                        "AQEWBggqhkjOPQQDAw=="));
}

TEST(CsrAttributes, EncodesThePopOnlyVector) {
  auto der = encode_csr_attrs({CsrAttrOrOid::bare("1.2.840.113549.1.9.7")});
  ASSERT_TRUE(der);
  EXPECT_EQ(*der, from_base64("MAsGCSqGSIb3DQEJBw=="));
  EXPECT_EQ(*der,
            (Bytes{0x30, 0x0B, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x07}));
}

TEST(CsrAttributes, EmptyMeansNoPreference) {
  auto der = encode_csr_attrs({});
  ASSERT_TRUE(der);
  EXPECT_EQ(*der, (Bytes{0x30, 0x00}));
}

TEST(CsrAttributes, SortsAttributeValuesAsDerSetOf) {
  // Given as SAN, keyUsage: encoded keyUsage (06 03 55 1D 0F) first, SAN (06 03 55 1D 11) second.
  auto attr = csr_attribute_of_oids("1.2.840.113549.1.9.14", {"2.5.29.17", "2.5.29.15"});
  ASSERT_TRUE(attr);
  auto der = encode_csr_attrs({*attr});
  ASSERT_TRUE(der);
  const Bytes want{0x30, 0x19, 0x30, 0x17, 0x06, 0x09, 0x2A, 0x86, 0x48,
                   0x86, 0xF7, 0x0D, 0x01, 0x09, 0x0E, 0x31, 0x0A, 0x06,
                   0x03, 0x55, 0x1D, 0x0F, 0x06, 0x03, 0x55, 0x1D, 0x11};
  EXPECT_EQ(*der, want);
}

TEST(CsrAttributes, RefusesMalformedInput) {
  EXPECT_FALSE(encode_csr_attrs({CsrAttrOrOid::bare("not.an.oid")}));
  EXPECT_FALSE(encode_csr_attrs({CsrAttrOrOid::attribute("1.2.3", {})}));
  EXPECT_FALSE(encode_csr_attrs({CsrAttrOrOid::attribute("1.2.3", {Bytes{0x06, 0x05, 0x2B}})}));
  EXPECT_FALSE(
      encode_csr_attrs({CsrAttrOrOid::attribute("1.2.3", {Bytes{0x05, 0x00, 0x05, 0x00}})}));
  EXPECT_FALSE(csr_attribute_of_oids("1.2.3", {"x"}));
}

}  // namespace
}  // namespace fleetpki::pki
