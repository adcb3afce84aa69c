// EST wire encodings: RFC 8951 base64 bodies, media types, HTTP Basic credentials.
#include "server/est/est_codec.h"

#include <gtest/gtest.h>

#include <string>

namespace fleetpki::server::est {
namespace {

// The codec does not parse the DER: any octets do.
const Bytes kSample = {0x30, 0x82, 0x01, 0x0a, 0x00, 0xff, 0x10, 0x20, 0x7f, 0x80, 0xfe};

TEST(EstBase64Body, DecodesWhatTheEncoderWrites) {
  for (std::size_t n = 1; n <= kSample.size(); ++n) {
    const Bytes data(kSample.begin(), kSample.begin() + static_cast<std::ptrdiff_t>(n));
    auto decoded = decode_base64_body(encode_base64_body(data));
    ASSERT_TRUE(decoded) << n << ": " << decoded.error().message;
    EXPECT_EQ(*decoded, data);
  }
}

TEST(EstBase64Body, EncoderWrites64ColumnLinesEndingWithLf) {
  const Bytes data(100, 0xAB);
  const std::string text = encode_base64_body(data);
  EXPECT_EQ(text.substr(64, 1), "\n");
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find('\r'), std::string::npos);
}

TEST(EstBase64Body, AcceptsCrLfSpaceAndTabAnywhere) {
  // RFC 8951 §3.2. "MIIBCg==" is 30 82 01 0a.
  for (const char* body : {"MIIBCg==", "MIIBCg==\r\n", "\r\n MIIB\tCg==", "M I I B C g = =",
                           "MI\r\nIB\nCg\t=\r=\n", "\n\n\nMIIBCg==\n\n"}) {
    auto der = decode_base64_body(body);
    ASSERT_TRUE(der) << body << ": " << der.error().message;
    EXPECT_EQ(*der, (Bytes{0x30, 0x82, 0x01, 0x0a})) << body;
  }
}

TEST(EstBase64Body, RefusesPemWithAClearMessage) {
  const std::string pem =
      "-----BEGIN CERTIFICATE REQUEST-----\nMIIBCg==\n-----END CERTIFICATE REQUEST-----\n";
  for (const std::string& body : {pem, "\r\n" + pem, std::string("MIIBCg==\n-----END X-----")}) {
    auto der = decode_base64_body(body);
    ASSERT_FALSE(der);
    EXPECT_EQ(der.error().code, Errc::InvalidArgument);
    EXPECT_NE(der.error().message.find("PEM"), std::string::npos) << der.error().message;
    EXPECT_NE(der.error().message.find("BEGIN/END"), std::string::npos) << der.error().message;
  }
}

TEST(EstBase64Body, RefusesRawDerSayingSo) {
  auto der = decode_base64_body(std::string("\x30\x82\x01\x0a", 4));
  ASSERT_FALSE(der);
  EXPECT_EQ(der.error().code, Errc::InvalidArgument);
  EXPECT_NE(der.error().message.find("binary DER"), std::string::npos);
}

TEST(EstBase64Body, RefusesMalformedBase64) {
  struct Case {
    const char* name;
    std::string body;
  };
  const Case cases[] = {
      {"empty", ""},
      {"only whitespace", " \r\n\t"},
      {"url-safe alphabet", "MII-Cg__"},
      {"missing padding", "MIIBCg"},
      {"one sextet left", "MIIBC"},
      {"three pads", "MI==="},
      {"lone pad quantum", "MIIB===="},
      {"data after padding", "MIIBCg==MIIB"},
      {"pad inside", "MI=BCg=="},
      {"other whitespace (VT)", "MIIB\vCg=="},
      {"NUL", std::string("MIIB\0Cg==", 9)},
      {"non-ASCII", "MIIB\xc3\xa9g=="},
      {"dot", "MIIB.g=="},
  };
  for (const auto& c : cases) {
    auto der = decode_base64_body(c.body);
    ASSERT_FALSE(der) << c.name;
    EXPECT_EQ(der.error().code, Errc::InvalidArgument) << c.name;
  }
}

TEST(EstMediaType, MatchesTypeWhateverTheCaseAndParameters) {
  for (const char* value : {"application/pkcs10", "Application/PKCS10", "application/pkcs10;",
                            "application/pkcs10; charset=us-ascii", " application/pkcs10 ",
                            "application/pkcs10\t;name=x"}) {
    EXPECT_TRUE(is_media_type(std::string(value), "application/pkcs10")) << value;
  }
  EXPECT_FALSE(is_media_type(std::nullopt, "application/pkcs10"));
  for (const char* value : {"", ";", "application/pkcs10x", "application/pkcs", "text/plain",
                            "application/pkcs7-mime", "application/ pkcs10", "*/*"}) {
    EXPECT_FALSE(is_media_type(std::string(value), "application/pkcs10")) << value;
  }
}

TEST(EstMediaType, AcceptListsTheTypeUnlessRefusedWithQZero) {
  const std::string_view type = "application/problem+json";
  EXPECT_TRUE(accepts_media_type(std::string("application/problem+json"), type));
  EXPECT_TRUE(accepts_media_type(std::string("text/plain, Application/Problem+JSON;q=0.5"), type));
  EXPECT_TRUE(accepts_media_type(std::string("application/problem+json; q=1"), type));
  EXPECT_FALSE(accepts_media_type(std::nullopt, type));
  EXPECT_FALSE(accepts_media_type(std::string("*/*"), type));
  EXPECT_FALSE(accepts_media_type(std::string("application/*"), type));
  EXPECT_FALSE(accepts_media_type(std::string("application/json"), type));
  EXPECT_FALSE(accepts_media_type(std::string("application/problem+json;q=0"), type));
  EXPECT_FALSE(accepts_media_type(std::string("application/problem+json; Q=0.000"), type));
}

TEST(EstBasicAuthorization, ParsesUserAndPassword) {
  // base64("dev-0001:s3cr:et") = ZGV2LTAwMDE6czNjcjpldA==
  auto c = parse_basic_authorization("Basic ZGV2LTAwMDE6czNjcjpldA==");
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->has_value());
  EXPECT_EQ((*c)->user, "dev-0001");
  EXPECT_EQ((*c)->password, "s3cr:et");  // RFC 7617 §2: only the first ':' separates

  auto lower = parse_basic_authorization("  basic   ZGV2LTAwMDE6czNjcjpldA==  ");
  ASSERT_TRUE(lower && lower->has_value());
  EXPECT_EQ((*lower)->user, "dev-0001");

  // RFC 7030 §3.2.3: an empty user (OTP schemes) and an empty password are allowed.
  auto empty = parse_basic_authorization("Basic Og==");  // ":"
  ASSERT_TRUE(empty && empty->has_value());
  EXPECT_EQ((*empty)->user, "");
  EXPECT_EQ((*empty)->password, "");
}

TEST(EstBasicAuthorization, OtherSchemesAreNotBasic) {
  for (const char* value : {"Bearer fpk_0123", "Digest username=\"x\"", "Basically", "", "Basi"}) {
    auto c = parse_basic_authorization(value);
    ASSERT_TRUE(c) << value;
    EXPECT_FALSE(c->has_value()) << value;
  }
}

TEST(EstBasicAuthorization, MalformedBasicIsInvalidArgument) {
  for (const char* value : {"Basic", "Basic ", "Basic !!!!", "Basic ZGV2", "Basic ZGV2LTAwMDE=",
                            "Basic ZGV2LTAwMDE6czNjcjpldA", "Basic ZGV2CjpwYXNz"}) {
    // "ZGV2LTAwMDE=" has no ':'; "ZGV2CjpwYXNz" = "dev\n:pass" (a control character).
    auto c = parse_basic_authorization(value);
    ASSERT_FALSE(c) << value;
    EXPECT_EQ(c.error().code, Errc::InvalidArgument) << value;
  }
}

}  // namespace
}  // namespace fleetpki::server::est
