#include "common/time_format.h"

#include <gtest/gtest.h>

namespace fleetpki {
namespace {

TEST(TimeFormat, FormatsUtcSeconds) {
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(253402300799), "9999-12-31T23:59:59Z");
  EXPECT_EQ(format_rfc3339(2524607999), "2049-12-31T23:59:59Z");
}

TEST(TimeFormat, ParsesRfc3339AndUnixSeconds) {
  EXPECT_EQ(parse_timestamp("2049-12-31T23:59:59Z"), 2524607999);
  EXPECT_EQ(parse_timestamp("2049-12-31T23:59:59.250Z"), 2524607999);
  EXPECT_EQ(parse_timestamp("2050-01-01T01:00:00+01:00"), 2524608000);
  EXPECT_EQ(parse_timestamp("1700000000"), 1700000000);
}

TEST(TimeFormat, RejectsMalformedTimestamps) {
  for (const char* bad : {"", "2049-13-01T00:00:00Z", "2049-02-30T00:00:00Z", "yesterday",
                          "2049-12-31 23:59:59Z", "2049-12-31T23:59:59", "2049-12-31T23:59:59Zjunk",
                          "-5", "1e9"}) {
    EXPECT_FALSE(parse_timestamp(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace fleetpki
