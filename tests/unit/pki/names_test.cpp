#include "pki/names.h"

#include <gtest/gtest.h>
#include <openssl/x509.h>

#include "pki/ossl/ptr.h"

namespace fleetpki::pki {
namespace {

Bytes openssl_name(const std::vector<std::pair<std::string, std::string>>& parts) {
  ossl::Ptr<X509_NAME> name(::X509_NAME_new());
  for (const auto& [k, v] : parts) {
    ::X509_NAME_add_entry_by_txt(name.get(), k.c_str(), MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(v.c_str()), -1, -1, 0);
  }
  unsigned char* out = nullptr;
  int len = ::i2d_X509_NAME(name.get(), &out);
  Bytes b(out, out + len);
  ::OPENSSL_free(out);
  return b;
}

TEST(Names, EncodeNameMatchesOpenSsl) {
  std::vector<std::pair<std::string, std::string>> parts = {
      {"C", "DE"}, {"O", "Acme GmbH"}, {"OU", "Fleet"}, {"CN", "dev-1"}};
  auto enc = encode_name(parts);
  ASSERT_TRUE(enc) << enc.error().message;
  EXPECT_EQ(*enc, openssl_name(parts));
}

TEST(Names, CountryAndSerialNumberArePrintableString) {
  auto enc = encode_name({{"C", "US"}, {"serialNumber", "SN-0001"}});
  ASSERT_TRUE(enc);
  auto attrs = decode_name(*enc);
  ASSERT_TRUE(attrs);
  ASSERT_EQ(attrs->size(), 2u);
  EXPECT_EQ((*attrs)[0].der[(*attrs)[0].der.size() - 4], 0x13);  // 13 02 'U' 'S'
  EXPECT_EQ((*attrs)[1].short_name, "serialNumber");
  EXPECT_EQ((*attrs)[1].value, "SN-0001");
}

TEST(Names, RejectsCharactersOutsidePrintableString) {
  EXPECT_FALSE(encode_name({{"serialNumber", "a@b"}}));
  EXPECT_FALSE(encode_name({{"serialNumber", "a_b"}}));
  EXPECT_FALSE(encode_name({{"C", "USA"}}));
  EXPECT_FALSE(encode_name({{"XX", "value"}}));
  EXPECT_FALSE(encode_name({{"CN", ""}}));
  EXPECT_FALSE(encode_name({{"CN", "\xC3\x28"}}));  // invalid UTF-8
}

TEST(Names, DecodesUtf8AndRendersMostSpecificFirst) {
  auto enc = encode_name({{"O", "Acme"}, {"CN", "Gr\xC3\xBC\xC3\x9F" "e, dev"}});
  ASSERT_TRUE(enc);
  auto attrs = decode_name(*enc);
  ASSERT_TRUE(attrs);
  EXPECT_EQ((*attrs)[1].value, "Gr\xC3\xBC\xC3\x9F" "e, dev");
  EXPECT_EQ(name_to_string(*attrs), "CN=Gr\xC3\xBC\xC3\x9F" "e\\, dev,O=Acme");
}

TEST(Names, DottedOidAttributesAreAccepted) {
  auto enc = encode_name({{"1.3.6.1.4.1.37244.2.1", "FFF1"}, {"CN", "x"}});
  ASSERT_TRUE(enc);
  auto attrs = decode_name(*enc);
  ASSERT_TRUE(attrs);
  EXPECT_EQ((*attrs)[0].short_name, "1.3.6.1.4.1.37244.2.1");
  EXPECT_EQ((*attrs)[0].value, "FFF1");
}

TEST(Names, DecodeRefusesMalformedNames) {
  EXPECT_FALSE(decode_name(Bytes{0x30, 0x02, 0x31, 0x00}));        // empty RDN
  EXPECT_FALSE(decode_name(Bytes{0x30, 0x00, 0x00}));              // trailing byte
  EXPECT_TRUE(decode_name(Bytes{0x30, 0x00}));                     // empty Name is valid
}

TEST(Names, GeneralNameEncodersUseTheRightTags) {
  EXPECT_EQ(dns_name("a.b").der, (Bytes{0x82, 0x03, 'a', '.', 'b'}));
  EXPECT_EQ(uri_name("urn:x").der[0], 0x86);
  EXPECT_EQ(email_name("a@b").der[0], 0x81);
  auto v4 = ip_name("10.0.0.1");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->der, (Bytes{0x87, 0x04, 10, 0, 0, 1}));
  auto v6 = ip_name("2001:DB8::1");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->der.size(), 18u);
  EXPECT_EQ(v6->value, "2001:db8::1");
  EXPECT_FALSE(ip_name("10.0.0"));
  EXPECT_FALSE(ip_name("dev.example"));
}

TEST(Names, DecodeGeneralNamesRoundTripsAllForms) {
  std::vector<GeneralName> in = {dns_name("dev.example"), uri_name("urn:dev:ops:1"),
                                 email_name("ops@example.com"), *ip_name("192.0.2.7"),
                                 *ip_name("::1")};
  Bytes seq;
  for (const auto& g : in) {
    seq.insert(seq.end(), g.der.begin(), g.der.end());
  }
  Bytes der = {0x30, static_cast<std::uint8_t>(seq.size())};
  der.insert(der.end(), seq.begin(), seq.end());
  auto out = decode_general_names(der);
  ASSERT_TRUE(out) << out.error().message;
  ASSERT_EQ(out->size(), in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ((*out)[i].type, in[i].type);
    EXPECT_EQ((*out)[i].value, in[i].value);
    EXPECT_EQ((*out)[i].der, in[i].der);
  }
}

TEST(Names, DecodeGeneralNamesHandlesOtherNameAndRefusesBadIp) {
  // otherName { 1.3.6.1.5.5.7.8.4, [0] { SEQUENCE {} } }
  Bytes other = {0x30, 0x10, 0xA0, 0x0E, 0x06, 0x08, 0x2B, 0x06, 0x01,
                 0x05, 0x05, 0x07, 0x08, 0x04, 0xA0, 0x02, 0x30, 0x00};
  auto out = decode_general_names(other);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ((*out)[0].type, GeneralNameType::OtherName);
  EXPECT_EQ((*out)[0].value, "1.3.6.1.5.5.7.8.4");
  EXPECT_FALSE(decode_general_names(Bytes{0x30, 0x05, 0x87, 0x03, 1, 2, 3}));
  EXPECT_FALSE(decode_general_names(Bytes{0x30, 0x00}));
}

}  // namespace
}  // namespace fleetpki::pki
