#include "authority/profile.h"

#include <gtest/gtest.h>

#include "authority/default_profiles.h"
#include "pki/extensions.h"

namespace fleetpki::authority {
namespace {

TEST(Profile, DefaultProfilesRoundTripThroughJson) {
  for (const Profile& p : default_profiles()) {
    auto back = Profile::from_json(p.to_json());
    ASSERT_TRUE(back) << p.name << ": " << back.error().message;
    EXPECT_EQ(back->to_json(), p.to_json());
  }
}

TEST(Profile, DefaultSetMatchesTheContract) {
  std::vector<std::string> names;
  for (const Profile& p : default_profiles()) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"tls-server", "tls-client", "code-signing", "ldevid", "idevid"}));
}

TEST(Profile, RsaTlsServerAddsKeyEncipherment) {
  const Profile tls = default_profiles()[0];
  EXPECT_EQ(*tls.key_usage_bits(false), pki::kDigitalSignature);
  EXPECT_EQ(*tls.key_usage_bits(true), pki::kDigitalSignature | pki::kKeyEncipherment);
}

TEST(Profile, RejectsCaKeyUsagesAndUnknownNames) {
  EXPECT_FALSE(Profile::from_json(R"({"name":"x","ca":"issuing","key_usage":["keyCertSign"]})"));
  EXPECT_FALSE(Profile::from_json(R"({"name":"x","ca":"issuing","ext_key_usage":["anyExtendedKeyUsage"]})"));
  EXPECT_FALSE(Profile::from_json(R"({"name":"x","ca":"issuing","subject_allowed":["emailAddress"]})"));
  EXPECT_FALSE(Profile::from_json(R"({"name":"x","ca":"issuing","subject_required":["CN"]})"));
  EXPECT_FALSE(Profile::from_json(R"({"name":"x","ca":"issuing","validity_days":0})"));
  EXPECT_FALSE(Profile::from_json(R"(["not an object"])"));
  EXPECT_FALSE(Profile::from_json("{"));
}

}  // namespace
}  // namespace fleetpki::authority
