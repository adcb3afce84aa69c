// Unit tests of the key algorithm names of the KeyVault port.
#include "keys/key_vault.h"

#include <gtest/gtest.h>

namespace fleetpki::keys {
namespace {

TEST(KeyAlgorithm, NamesRoundTrip) {
  for (auto a : {KeyAlgorithm::EcP256, KeyAlgorithm::EcP384, KeyAlgorithm::Ed25519,
                 KeyAlgorithm::Rsa2048, KeyAlgorithm::Rsa3072, KeyAlgorithm::Rsa4096}) {
    auto parsed = parse_key_algorithm(key_algorithm_name(a));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, a);
  }
  EXPECT_EQ(*parse_key_algorithm("P256"), KeyAlgorithm::EcP256);
}

TEST(KeyAlgorithm, UnknownNameIsInvalidArgument) {
  auto parsed = parse_key_algorithm("dsa-1024");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, Errc::InvalidArgument);
}

}  // namespace
}  // namespace fleetpki::keys
