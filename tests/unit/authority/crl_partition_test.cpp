#include "authority/crl_partition.h"

#include <gtest/gtest.h>

namespace fleetpki::authority {
namespace {

TEST(CrlPartition, OnePartitionIsAlwaysZero) {
  const Bytes serial = {0xff, 0x01};
  EXPECT_EQ(crl_partition_for_serial(serial, 1), 0);
  EXPECT_EQ(crl_partition_for_serial(serial, 0), 0);
}

TEST(CrlPartition, SpreadsByFirstSerialOctet) {
  EXPECT_EQ(crl_partition_for_serial(Bytes{0x07, 0x00}, 4), 3);
  EXPECT_EQ(crl_partition_for_serial(Bytes{0x08}, 4), 0);
}

TEST(CrlPartition, PathsKeepPartitionZeroUnpartitioned) {
  EXPECT_EQ(crl_path("default", "issuing", 0, false), "/crl/default/issuing.crl");
  EXPECT_EQ(crl_path("default", "issuing", 0, true), "/crl/default/issuing.delta.crl");
  EXPECT_EQ(crl_path("acme", "issuing", 3, false), "/crl/acme/issuing.p3.crl");
  EXPECT_EQ(crl_path("acme", "issuing", 3, true), "/crl/acme/issuing.p3.delta.crl");
}

TEST(CrlPartition, ParsesWhatItWrites) {
  for (int partition : {0, 1, 17, kMaxCrlPartitions - 1}) {
    for (bool delta : {false, true}) {
      const std::string path = crl_path("t", "my-ca", partition, delta);
      auto parsed = parse_crl_file_name(path.substr(path.rfind('/') + 1));
      ASSERT_TRUE(parsed) << path;
      EXPECT_EQ(parsed->ca, "my-ca");
      EXPECT_EQ(parsed->partition, partition);
      EXPECT_EQ(parsed->delta, delta);
    }
  }
}

TEST(CrlPartition, RefusesMalformedNames) {
  for (const char* bad : {"", ".crl", "issuing", "issuing.pem", "issuing.p0.crl", "issuing.p01.crl",
                          "issuing.p256.crl", "issuing.p-1.crl", "issuing.delta.p1.crl", "Issuing.crl",
                          "issuing.x.crl", "issuing.p1.delta.delta.crl", "a/b.crl", "issuing.p.crl"}) {
    EXPECT_FALSE(parse_crl_file_name(bad)) << bad;
  }
}

}  // namespace
}  // namespace fleetpki::authority
