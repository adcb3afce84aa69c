#include "pki/der.h"

#include <gtest/gtest.h>

namespace fleetpki::pki::der {
namespace {

Result<Element> read_one(const Bytes& b) {
  Reader r(b);
  return r.next();
}

TEST(Der, ReadsShortAndLongFormLengths) {
  Bytes content(300, 0xAB);
  Bytes enc = tlv(tag::kOctetString, content);
  ASSERT_EQ(enc.size(), 304u);
  EXPECT_EQ(enc[1], 0x82);
  EXPECT_EQ(enc[2], 0x01);
  EXPECT_EQ(enc[3], 0x2C);
  auto e = read_one(enc);
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->tag, tag::kOctetString);
  EXPECT_EQ(e->content.size(), 300u);
  EXPECT_EQ(e->encoded.size(), 304u);
}

TEST(Der, WritesMinimalLengthAt127And128) {
  EXPECT_EQ(tlv(tag::kOctetString, Bytes(127))[1], 0x7F);
  Bytes b = tlv(tag::kOctetString, Bytes(128));
  EXPECT_EQ(b[1], 0x81);
  EXPECT_EQ(b[2], 0x80);
}

TEST(Der, RejectsIndefiniteLength) {
  EXPECT_FALSE(read_one({0x30, 0x80, 0x00, 0x00}));
}

TEST(Der, RejectsNonMinimalLengths) {
  EXPECT_FALSE(read_one({0x04, 0x81, 0x05, 1, 2, 3, 4, 5}));        // fits short form
  EXPECT_FALSE(read_one({0x04, 0x82, 0x00, 0x81, 1}));              // leading zero octet
}

TEST(Der, RejectsHighTagNumberForm) { EXPECT_FALSE(read_one({0x1F, 0x20, 0x00})); }

TEST(Der, RejectsLengthBeyondInput) {
  EXPECT_FALSE(read_one({0x04, 0x05, 1, 2}));
  EXPECT_FALSE(read_one({0x04, 0x84, 0xFF, 0xFF, 0xFF, 0xFF}));
  EXPECT_FALSE(read_one({0x04}));
  EXPECT_FALSE(read_one({}));
}

TEST(Der, ExpectRefusesOtherTagWithoutConsuming) {
  Bytes b = {0x05, 0x00};
  Reader r(b);
  auto e = r.expect(tag::kInteger);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("expected tag 0x02"), std::string::npos);
  EXPECT_TRUE(r.expect(tag::kNull));
  EXPECT_TRUE(r.empty());
}

TEST(Der, ParseSingleRefusesTrailingBytes) {
  EXPECT_TRUE(parse_single(Bytes{0x30, 0x00}, tag::kSequence));
  EXPECT_FALSE(parse_single(Bytes{0x30, 0x00, 0x00}, tag::kSequence));
}

TEST(Der, OidRoundTrips) {
  for (const char* dotted : {"2.5.29.19", "1.2.840.10045.4.3.2", "1.3.6.1.5.5.7.48.1.5",
                             "0.9.2342.19200300.100.1.25", "2.999.3"}) {
    auto enc = oid(dotted);
    ASSERT_TRUE(enc) << dotted;
    auto e = parse_single(*enc, tag::kOid);
    ASSERT_TRUE(e);
    EXPECT_EQ(oid_to_string(e->content), dotted);
  }
  EXPECT_EQ(*oid("1.2.840.10045.4.3.2"),
            (Bytes{0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02}));
}

TEST(Der, OidRejectsMalformedText) {
  for (const char* bad : {"", "1", "1..2", "3.1", "1.40", "1.2.x", "1.02", ".1.2", "1.2."}) {
    EXPECT_FALSE(oid(bad)) << bad;
  }
}

TEST(Der, DecodeOidRejectsNonMinimalAndTruncated) {
  EXPECT_FALSE(decode_oid(Bytes{0x2A, 0x80, 0x01}));
  EXPECT_FALSE(decode_oid(Bytes{0x2A, 0x86}));
  EXPECT_FALSE(decode_oid(Bytes{}));
}

TEST(Der, IntegerEncodingIsMinimal) {
  EXPECT_EQ(integer_content(0), Bytes{0x00});
  EXPECT_EQ(integer_content(127), Bytes{0x7F});
  EXPECT_EQ(integer_content(128), (Bytes{0x00, 0x80}));
  EXPECT_EQ(integer_content(65537), (Bytes{0x01, 0x00, 0x01}));
  EXPECT_EQ(unsigned_integer_content(Bytes{0x00, 0x00, 0xFF}), (Bytes{0x00, 0xFF}));
}

TEST(Der, PositiveIntegerMagnitudeRejectsNonMinimalNegativeAndZero) {
  EXPECT_FALSE(positive_integer_magnitude(Bytes{0x00, 0x7F}));
  EXPECT_FALSE(positive_integer_magnitude(Bytes{0xFF, 0x80}));
  EXPECT_FALSE(positive_integer_magnitude(Bytes{0x80}));
  EXPECT_FALSE(positive_integer_magnitude(Bytes{0x00}));
  EXPECT_FALSE(positive_integer_magnitude(Bytes{}));
  auto m = positive_integer_magnitude(Bytes{0x00, 0x80});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->size(), 1u);
}

TEST(Der, BooleanMustBeDer) {
  EXPECT_TRUE(*decode_boolean(Bytes{0xFF}));
  EXPECT_FALSE(*decode_boolean(Bytes{0x00}));
  EXPECT_FALSE(decode_boolean(Bytes{0x01}));
  EXPECT_FALSE(decode_boolean(Bytes{0xFF, 0xFF}));
}

}  // namespace
}  // namespace fleetpki::pki::der
