#include "pki/extensions.h"

#include <gtest/gtest.h>

namespace fleetpki::pki {
namespace {

TEST(Extensions, KeyUsageTrimsTrailingZeroBits) {
  EXPECT_EQ(key_usage_value(kDigitalSignature), (Bytes{0x03, 0x02, 0x07, 0x80}));
  EXPECT_EQ(key_usage_value(kKeyCertSign | kCrlSign), (Bytes{0x03, 0x02, 0x01, 0x06}));
  EXPECT_EQ(key_usage_value(kDigitalSignature | kKeyCertSign | kCrlSign),
            (Bytes{0x03, 0x02, 0x01, 0x86}));
  EXPECT_EQ(key_usage_value(kDigitalSignature | kKeyEncipherment), (Bytes{0x03, 0x02, 0x05, 0xA0}));
  EXPECT_EQ(key_usage_value(kDecipherOnly), (Bytes{0x03, 0x03, 0x07, 0x00, 0x80}));
}

TEST(Extensions, BasicConstraintsDerValues) {
  EXPECT_EQ(basic_constraints_value(false, std::nullopt), (Bytes{0x30, 0x00}));
  EXPECT_EQ(basic_constraints_value(true, std::nullopt), (Bytes{0x30, 0x03, 0x01, 0x01, 0xFF}));
  EXPECT_EQ(basic_constraints_value(true, 0),
            (Bytes{0x30, 0x06, 0x01, 0x01, 0xFF, 0x02, 0x01, 0x00}));
}

TEST(Extensions, NeverWritesCriticalFalse) {
  Bytes v = {0x05, 0x00};
  EXPECT_EQ(encode_extension("2.5.29.19", false, v),
            (Bytes{0x30, 0x09, 0x06, 0x03, 0x55, 0x1D, 0x13, 0x04, 0x02, 0x05, 0x00}));
  EXPECT_EQ(encode_extension("2.5.29.19", true, v),
            (Bytes{0x30, 0x0C, 0x06, 0x03, 0x55, 0x1D, 0x13, 0x01, 0x01, 0xFF, 0x04, 0x02, 0x05,
                   0x00}));
}

TEST(Extensions, ExtKeyUsageRefusesBadOrEmptyLists) {
  auto ok = ext_key_usage_value({oid::kClientAuth});
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, (Bytes{0x30, 0x0A, 0x06, 0x08, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02}));
  EXPECT_FALSE(ext_key_usage_value({}));
  EXPECT_FALSE(ext_key_usage_value({"not-an-oid"}));
}

TEST(Extensions, KeyIdentifiersAndAki) {
  Bytes id = {1, 2, 3};
  EXPECT_EQ(key_identifier_value(id), (Bytes{0x04, 0x03, 1, 2, 3}));
  EXPECT_EQ(authority_key_identifier_value(id), (Bytes{0x30, 0x05, 0x80, 0x03, 1, 2, 3}));
}

}  // namespace
}  // namespace fleetpki::pki
