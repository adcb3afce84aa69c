#include "authority/issuance_policy.h"

#include <gtest/gtest.h>

#include "authority/default_profiles.h"
#include "support/csr_factory.h"

namespace fleetpki::authority {
namespace {

using testing::CsrSpec;

const Profile& profile_named(const std::string& name) {
  static const std::vector<Profile> profiles = default_profiles();
  for (const auto& p : profiles) {
    if (p.name == name) return p;
  }
  throw std::runtime_error("no profile " + name);
}

Result<SubjectDecision> decide(const std::string& profile, const CsrSpec& spec) {
  static const pki::CryptoContext ctx;
  auto csr = pki::Csr::from_pem(ctx, testing::make_csr_pem(spec));
  if (!csr) return fail(csr.error());
  return decide_subject(profile_named(profile), *csr);
}

TEST(IssuancePolicy, DropsSubjectAttributesTheProfileDoesNotAllow) {
  auto d = decide("tls-client", {.subject = {{"C", "DE"}, {"CN", "dev"}, {"L", "Berlin"}, {"O", "Acme"}}});
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->subject_text, "CN=dev,O=Acme");
}

TEST(IssuancePolicy, TlsServerNeedsAHostName) {
  auto from_cn = decide("tls-server", {.subject = {{"CN", "gw.example.com"}}});
  ASSERT_TRUE(from_cn);
  ASSERT_EQ(from_cn->subject_alt_names.size(), 1u);
  EXPECT_EQ(from_cn->subject_alt_names[0].value, "gw.example.com");
  auto none = decide("tls-server", {.subject = {{"CN", "not a host name"}}});
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("subject alternative name"), std::string::npos);
  auto sans = decide("tls-server", {.subject = {{"CN", "gw"}}, .sans = {"DNS:gw.example.com", "IP:10.1.2.3"}});
  ASSERT_TRUE(sans);
  EXPECT_EQ(sans->subject_alt_names.size(), 2u);
}

TEST(IssuancePolicy, RefusesSanFormsTheProfileDoesNotAllow) {
  auto d = decide("code-signing", {.subject = {{"CN", "signer"}}, .sans = {"DNS:evil.example.com"}});
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, Errc::InvalidArgument);
  auto ip = decide("tls-client", {.subject = {{"CN", "c"}}, .sans = {"IP:10.0.0.1"}});
  EXPECT_FALSE(ip);
}

TEST(IssuancePolicy, RefusesInvalidDnsNames) {
  auto d = decide("tls-server", {.subject = {{"CN", "x"}}, .sans = {"DNS:*.example.com"}});
  EXPECT_FALSE(d);
}

TEST(IssuancePolicy, IdevidRequiresTheDeviceSerialNumber) {
  auto missing = decide("idevid", {.subject = {{"CN", "meter"}}});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("serialNumber"), std::string::npos);
  auto present = decide("idevid", {.subject = {{"serialNumber", "SN123"}}});
  ASSERT_TRUE(present);
  EXPECT_EQ(present->subject_text, "serialNumber=SN123");
}

TEST(IssuancePolicy, AllowsAnEkuTheProfileGrants) {
  auto d = decide("tls-client", {.subject = {{"CN", "c"}}, .extensions = {{"extendedKeyUsage", "clientAuth"}}});
  EXPECT_TRUE(d);
}

TEST(DnsNames, ValidatesLdhSyntax) {
  EXPECT_TRUE(is_valid_dns_name("a.example.com"));
  EXPECT_TRUE(is_valid_dns_name("x-1.y"));
  EXPECT_FALSE(is_valid_dns_name(""));
  EXPECT_FALSE(is_valid_dns_name("-a.com"));
  EXPECT_FALSE(is_valid_dns_name("a-.com"));
  EXPECT_FALSE(is_valid_dns_name("a..com"));
  EXPECT_FALSE(is_valid_dns_name("a.com."));
  EXPECT_FALSE(is_valid_dns_name("a_b.com"));
  EXPECT_FALSE(is_valid_dns_name(std::string(64, 'a') + ".com"));
  EXPECT_FALSE(is_valid_dns_name(std::string("a\0b", 3)));
}

}  // namespace
}  // namespace fleetpki::authority
