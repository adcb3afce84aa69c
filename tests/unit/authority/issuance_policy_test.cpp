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

Result<SubjectDecision> decide_with(const Profile& profile, const CsrSpec& spec, const DeviceContext* device = nullptr) {
  static const pki::CryptoContext ctx;
  auto csr = pki::Csr::from_pem(ctx, testing::make_csr_pem(spec));
  if (!csr) return fail(csr.error());
  return decide_subject(profile, *csr, device);
}

TEST(IssuancePolicy, DeviceSerialComesFromTheRegistry) {
  const DeviceContext device{"SN-42", "sensor"};
  auto from_registry = decide_with(profile_named("idevid"), {.subject = {{"CN", "meter"}}}, &device);
  ASSERT_TRUE(from_registry) << from_registry.error().message;
  EXPECT_EQ(from_registry->subject_text, "CN=meter,serialNumber=SN-42");
  auto same = decide_with(profile_named("idevid"), {.subject = {{"serialNumber", "SN-42"}}}, &device);
  EXPECT_TRUE(same);
  auto conflict = decide_with(profile_named("idevid"), {.subject = {{"serialNumber", "SN-99"}}}, &device);
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().code, Errc::InvalidArgument);
  EXPECT_NE(conflict.error().message.find("differs from the device record"), std::string::npos);
}

TEST(IssuancePolicy, DeviceSourcesWithoutFallbackNeedADevice) {
  auto p = Profile::from_json(R"({"name":"x","ca":"issuing","subject":[{"attribute":"CN"},)"
                              R"({"attribute":"serialNumber","source":"device.serial","required":true},)"
                              R"({"attribute":"OU","source":"device.type"}]})");
  ASSERT_TRUE(p) << p.error().message;
  auto none = decide_with(*p, {.subject = {{"CN", "a"}, {"serialNumber", "SN-1"}}});
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("name a registered device"), std::string::npos);
  const DeviceContext device{"SN-1", "gateway"};
  auto with = decide_with(*p, {.subject = {{"CN", "a"}, {"OU", "gateway"}}}, &device);
  ASSERT_TRUE(with) << with.error().message;
  EXPECT_EQ(with->subject_text, "CN=a,serialNumber=SN-1,OU=gateway");
  auto wrong_type = decide_with(*p, {.subject = {{"CN", "a"}, {"OU", "camera"}}}, &device);
  EXPECT_FALSE(wrong_type);
}

TEST(IssuancePolicy, FixedValuesOverrideTheCsr) {
  auto p = Profile::from_json(R"({"name":"x","ca":"issuing","subject":[{"attribute":"CN"},)"
                              R"({"attribute":"O","source":"fixed","value":"Acme Devices"}]})");
  ASSERT_TRUE(p);
  auto d = decide_with(*p, {.subject = {{"CN", "a"}, {"O", "Evil Corp"}}});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->subject_text, "CN=a,O=Acme Devices");
}

TEST(IssuancePolicy, HardwareModuleNameFromTheDeviceRecord) {
  auto p = Profile::from_json(R"({"name":"x","ca":"manufacturing","validity":"none","subject":[)"
                              R"({"attribute":"serialNumber","source":"device.serial","required":true}],)"
                              R"("san":{"hardware_module_name":{"hw_type":"1.3.6.1.4.1.99999.1"}}})");
  ASSERT_TRUE(p) << p.error().message;
  const DeviceContext device{"SN-7", "default"};
  auto d = decide_with(*p, {.subject = {{"CN", "x"}}}, &device);
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->subject_alt_names.size(), 1u);
  EXPECT_EQ(d->subject_alt_names[0].type, pki::GeneralNameType::OtherName);
  EXPECT_EQ(d->subject_alt_names[0].value, pki::kHardwareModuleNameOid);
  // A0 { OID 1.3.6.1.5.5.7.8.4, A0 { SEQUENCE { OID hwType, OCTET STRING "SN-7" } } }
  const Bytes& der = d->subject_alt_names[0].der;
  ASSERT_GE(der.size(), 6u);
  EXPECT_EQ(der[0], 0xA0);
  EXPECT_EQ(Bytes(der.end() - 6, der.end()), (Bytes{0x04, 0x04, 'S', 'N', '-', '7'}));
  EXPECT_FALSE(decide_with(*p, {.subject = {{"serialNumber", "SN-7"}}}));  // no device, no fallback
}

TEST(IssuancePolicy, MatterVendorAndProductIds) {
  const Profile dac = *builtin_template("matter-dac");
  auto good = decide_with(dac, {.subject = {{"CN", "DAC"}, {kMatterVidOid, "FFF1"}, {kMatterPidOid, "8000"}}});
  ASSERT_TRUE(good) << good.error().message;
  EXPECT_EQ(good->subject_text, std::string("CN=DAC,") + kMatterVidOid + "=FFF1," + kMatterPidOid + "=8000");
  for (const char* bad : {"fff1", "FFF", "FFF12", "FFG1"}) {
    auto d = decide_with(dac, {.subject = {{"CN", "DAC"}, {kMatterVidOid, bad}, {kMatterPidOid, "8000"}}});
    ASSERT_FALSE(d) << bad;
    EXPECT_NE(d.error().message.find("4 uppercase hex"), std::string::npos) << d.error().message;
  }
  auto no_pid = decide_with(dac, {.subject = {{"CN", "DAC"}, {kMatterVidOid, "FFF1"}}});
  EXPECT_FALSE(no_pid);
  const Profile pai = *builtin_template("matter-pai");
  EXPECT_TRUE(decide_with(pai, {.subject = {{"CN", "PAI"}, {kMatterVidOid, "FFF1"}}}));  // PID optional
  // A CA profile accepts a CSR that asks for a CA certificate; an end-entity profile does not.
  EXPECT_TRUE(decide_with(pai, {.subject = {{"CN", "PAI"}, {kMatterVidOid, "FFF1"}},
                                .extensions = {{"basicConstraints", "critical,CA:TRUE"}}}));
  EXPECT_FALSE(decide_with(dac, {.subject = {{"CN", "DAC"}, {kMatterVidOid, "FFF1"}, {kMatterPidOid, "8000"}},
                                 .extensions = {{"basicConstraints", "critical,CA:TRUE"}}}));
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
