#include "common/bytes.h"

#include <gtest/gtest.h>

namespace fleetpki {
namespace {

TEST(Hex, RoundTripsBytes) {
  Bytes in{0x00, 0x7f, 0x80, 0xff};
  EXPECT_EQ(to_hex(in), "007f80ff");
  Bytes out;
  ASSERT_TRUE(from_hex("007F80ff", out));
  EXPECT_EQ(out, in);
}

TEST(Hex, RejectsOddLengthAndNonHex) {
  Bytes out{1};
  EXPECT_FALSE(from_hex("abc", out));
  EXPECT_FALSE(from_hex("zz", out));
  EXPECT_EQ(out, Bytes{1});  // untouched on failure
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  Bytes a{1, 2, 3}, b{1, 2, 3}, c{1, 2, 4}, d{1, 2};
  EXPECT_TRUE(constant_time_equal(a, b));
  EXPECT_FALSE(constant_time_equal(a, c));
  EXPECT_FALSE(constant_time_equal(a, d));
}

TEST(SecureBytes, WipeEmptiesTheBuffer) {
  SecureBytes s(Bytes{9, 9, 9});
  EXPECT_EQ(s.size(), 3u);
  s.wipe();
  EXPECT_TRUE(s.empty());
  SecureBytes moved(Bytes{1});
  SecureBytes target = std::move(moved);
  EXPECT_EQ(target.size(), 1u);
  EXPECT_TRUE(moved.empty());  // NOLINT(bugprone-use-after-move): moved-from must be empty
}

}  // namespace
}  // namespace fleetpki
