// RFC 7512 pkcs11: URI parser: a table of accepted and refused URIs, and format/parse round trips.
#include "keys/pkcs11/pkcs11_uri.h"

#include <gtest/gtest.h>

namespace fleetpki::keys {
namespace {

TEST(Pkcs11Uri, ParsesGoodUris) {
  struct Case {
    const char* text;
    Pkcs11Uri expected;
  };
  const Case cases[] = {
      {"pkcs11:", {}},
      {"pkcs11:token=fleet-ca", {.token = "fleet-ca"}},
      {"PKCS11:token=fleet-ca", {.token = "fleet-ca"}},
      {"pkcs11:token=fleet-ca;object=issuing-ca;type=private",
       {.token = "fleet-ca", .object = "issuing-ca", .type = "private"}},
      {"pkcs11:id=%01%a2%FF", {.id = Bytes{0x01, 0xa2, 0xff}}},
      {"pkcs11:object=my%20key", {.object = "my key"}},
      {"pkcs11:object=a:b@c!$'()*+,=&d", {.object = "a:b@c!$'()*+,=&d"}},
      {"pkcs11:type=cert;token=t", {.token = "t", .type = "cert"}},
      {"pkcs11:token=%e2%82%ac", {.token = "\xe2\x82\xac"}},  // UTF-8 label
      // RFC 7512 §3 example (without its query part).
      {"pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;"
       "object=my-certificate;type=cert",
       {.token = "The Software PKCS#11 Softtoken", .object = "my-certificate", .type = "cert"}},
  };
  for (const Case& c : cases) {
    auto parsed = parse_pkcs11_uri(c.text);
    ASSERT_TRUE(parsed) << c.text << ": " << parsed.error().message;
    EXPECT_EQ(*parsed, c.expected) << c.text;
  }
}

TEST(Pkcs11Uri, RefusesBadUris) {
  const char* cases[] = {
      "",
      "pkcs11",
      "pkcs12:token=a",
      "file:token=a",
      "pkcs11:token",                                    // no value
      "pkcs11:=a",                                       // no name
      "pkcs11:token=",                                   // empty value
      "pkcs11:token=a;",                                 // trailing separator
      "pkcs11:;token=a",                                 // empty attribute
      "pkcs11:token=a;token=b",                          // duplicate
      "pkcs11:id=%01;id=%02",                            // duplicate id
      "pkcs11:serial=1234",                              // not honoured: refused, not ignored
      "pkcs11:slot-id=1",                                //
      "pkcs11:x-vendor=1",                               //
      "pkcs11:type=secret",                              // unknown type
      "pkcs11:type=PRIVATE",                             // types are lower case
      "pkcs11:object=a%2",                               // truncated escape
      "pkcs11:object=a%",                                //
      "pkcs11:object=%zz",                               // bad escape
      "pkcs11:object=a b",                               // space must be %20
      "pkcs11:object=a/b",                               // '/' is not a p11-pchar
      "pkcs11:object=a\"b",                              //
      "pkcs11:token=a?pin-value=1234",                   // a PIN never travels in a reference
      "pkcs11:token=a?module-path=/x.so",                //
      "pkcs11:token=a#frag",                             //
      "pkcs11:token=123456789012345678901234567890123",  // 33-byte token label
      "pkcs11:object=%00%00x;object=y",                  //
  };
  for (const char* text : cases) {
    auto parsed = parse_pkcs11_uri(text);
    EXPECT_FALSE(parsed) << text;
    if (!parsed) {
      EXPECT_EQ(parsed.error().code, Errc::InvalidArgument) << text;
    }
  }
  EXPECT_FALSE(parse_pkcs11_uri("pkcs11:object=" + std::string(5000, 'a')));
}

TEST(Pkcs11Uri, PinValueNeverEchoed) {
  auto parsed = parse_pkcs11_uri("pkcs11:token=a?pin-value=s3cret-pin");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message.find("s3cret"), std::string::npos);
}

TEST(Pkcs11Uri, FormatIsCanonicalAndRoundTrips) {
  Pkcs11Uri uri{.token = "fleet ca",
                .object = "issuing-ca;1",
                .id = Bytes{0x00, 0x41, 0xfe},
                .type = "private"};
  const std::string text = format_pkcs11_uri(uri);
  EXPECT_EQ(text, "pkcs11:token=fleet%20ca;object=issuing-ca%3b1;id=%00%41%fe;type=private");
  auto parsed = parse_pkcs11_uri(text);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, uri);
  EXPECT_EQ(format_pkcs11_uri({}), "pkcs11:");
}

}  // namespace
}  // namespace fleetpki::keys
