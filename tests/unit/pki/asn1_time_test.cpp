#include "pki/asn1_time.h"

#include <gtest/gtest.h>

namespace fleetpki::pki {
namespace {

using namespace std::chrono;

TimePoint at(int y, unsigned m, unsigned d, int hh = 0, int mm = 0, int ss = 0) {
  return TimePoint(sys_days(year(y) / month(m) / day(d))) + hours(hh) + minutes(mm) + seconds(ss);
}

Bytes text_element(std::uint8_t tag, std::string_view s) {
  Bytes b;
  b.reserve(s.size() + 2);
  b.push_back(tag);
  b.push_back(static_cast<std::uint8_t>(s.size()));
  for (char c : s) {
    b.push_back(static_cast<std::uint8_t>(c));
  }
  return b;
}

TEST(Time, Year2049IsUtcTime) {
  auto enc = encode_time(at(2049, 12, 31, 23, 59, 59));
  ASSERT_TRUE(enc);
  EXPECT_EQ(*enc, text_element(0x17, "491231235959Z"));
}

TEST(Time, Year2050IsGeneralizedTime) {
  auto enc = encode_time(at(2050, 1, 1));
  ASSERT_TRUE(enc);
  EXPECT_EQ(*enc, text_element(0x18, "20500101000000Z"));
}

TEST(Time, NoExpiryEncodesAsNines) {
  auto enc = encode_time(from_unix(kNoExpiryUnix));
  ASSERT_TRUE(enc);
  EXPECT_EQ(*enc, (Bytes{0x18, 0x0F, 0x39, 0x39, 0x39, 0x39, 0x31, 0x32, 0x33, 0x31, 0x32, 0x33,
                         0x35, 0x39, 0x35, 0x39, 0x5A}));
  EXPECT_EQ(at(9999, 12, 31, 23, 59, 59), from_unix(kNoExpiryUnix));
}

TEST(Time, Year1950IsUtcTimeAndEarlierRefused) {
  EXPECT_EQ(*encode_time(at(1950, 1, 1)), text_element(0x17, "500101000000Z"));
  EXPECT_FALSE(encode_time(at(1949, 12, 31, 23, 59, 59)));
  EXPECT_FALSE(encode_time(from_unix(kNoExpiryUnix + 1)));
}

TEST(Time, DecodesBothFormsAndRoundTrips) {
  for (TimePoint t : {at(1950, 1, 1), at(1999, 12, 31, 23, 59, 59), at(2000, 2, 29, 12, 0, 1),
                      at(2026, 7, 4, 8, 9, 10), at(2049, 12, 31, 23, 59, 59), at(2050, 1, 1),
                      from_unix(kNoExpiryUnix)}) {
    auto enc = encode_time(t);
    ASSERT_TRUE(enc);
    auto dec = decode_time(*enc);
    ASSERT_TRUE(dec) << dec.error().message;
    EXPECT_EQ(*dec, t);
  }
  EXPECT_EQ(*decode_time(text_element(0x18, "20300101000000Z")), at(2030, 1, 1));
}

TEST(Time, DecodeRefusesMalformedTimes) {
  EXPECT_FALSE(decode_time(text_element(0x17, "4912312359Z")));      // no seconds
  EXPECT_FALSE(decode_time(text_element(0x17, "491231235959+0100")));
  EXPECT_FALSE(decode_time(text_element(0x18, "20500101000000.5Z")));
  EXPECT_FALSE(decode_time(text_element(0x17, "491331235959Z")));     // month 13
  EXPECT_FALSE(decode_time(text_element(0x17, "490230235959Z")));     // Feb 30
  EXPECT_FALSE(decode_time(text_element(0x17, "491231245959Z")));     // hour 24
  EXPECT_FALSE(decode_time(text_element(0x04, "491231235959Z")));     // wrong tag
  Bytes trailing = text_element(0x17, "491231235959Z");
  trailing.push_back(0);
  EXPECT_FALSE(decode_time(trailing));
}

}  // namespace
}  // namespace fleetpki::pki
