#include "pki/serial_number.h"

#include <gtest/gtest.h>

#include <set>

namespace fleetpki::pki {
namespace {

TEST(Serial, HasSixteenOctetsPositiveAndMinimal) {
  for (int i = 0; i < 200; ++i) {
    auto s = generate_serial();
    ASSERT_TRUE(s);
    ASSERT_EQ(s->size(), 16u);
    EXPECT_GE((*s)[0], 0x40);  // non-zero top octet: minimal DER, no 00 sign octet needed
    EXPECT_LE((*s)[0], 0x7F);  // bit 7 clear: positive
  }
}

TEST(Serial, DiffersAcrossCalls) {
  std::set<Bytes> seen;
  for (int i = 0; i < 100; ++i) {
    seen.insert(*generate_serial());
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(Serial, HexRoundTrips) {
  Bytes s = *generate_serial();
  std::string hex = serial_to_hex(s);
  EXPECT_EQ(hex.size(), 32u);
  EXPECT_EQ(*serial_from_hex(hex), s);
  std::string upper = hex;
  for (char& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  EXPECT_EQ(*serial_from_hex(upper), s);
}

TEST(Serial, FromHexRefusesBadInput) {
  EXPECT_FALSE(serial_from_hex(""));
  EXPECT_FALSE(serial_from_hex("abc"));
  EXPECT_FALSE(serial_from_hex("zz"));
  EXPECT_FALSE(serial_from_hex(std::string(42, 'a')));
  EXPECT_TRUE(serial_from_hex(std::string(40, 'a')));
}

}  // namespace
}  // namespace fleetpki::pki
