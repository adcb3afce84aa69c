#include "authority/profile.h"

#include <gtest/gtest.h>

#include "authority/default_profiles.h"
#include "pki/extensions.h"

namespace fleetpki::authority {
namespace {

TEST(Profile, DefaultProfilesRoundTripThroughJson) {
  for (const Profile& p : builtin_templates()) {
    auto back = Profile::from_json(p.to_json());
    ASSERT_TRUE(back) << p.name << ": " << back.error().message;
    EXPECT_EQ(back->to_json(), p.to_json());
  }
}

TEST(Profile, DefaultSetMatchesTheContract) {
  std::vector<std::string> names;
  for (const Profile& p : default_profiles()) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"tls-server", "tls-client", "code-signing", "ldevid", "idevid"}));
  std::vector<std::string> templates;
  for (const Profile& p : builtin_templates()) templates.push_back(p.name);
  EXPECT_EQ(templates, (std::vector<std::string>{"tls-server", "tls-client", "code-signing", "ldevid", "idevid",
                                                 "ocsp-signing", "matter-paa", "matter-pai", "matter-dac"}));
}

TEST(Profile, RsaTlsServerAddsKeyEncipherment) {
  const Profile tls = default_profiles()[0];
  EXPECT_EQ(*tls.key_usage_bits(false), pki::kDigitalSignature);
  EXPECT_EQ(*tls.key_usage_bits(true), pki::kDigitalSignature | pki::kKeyEncipherment);
}

// Legacy stored definitions (written before profiles became data) still load unchanged.
TEST(Profile, LegacyDefinitionLoads) {
  auto p = Profile::from_json(
      R"({"name":"idevid","version":1,"ca":"manufacturing","validity_days":null,"key_usage":["digitalSignature"],)"
      R"("rsa_key_encipherment":false,"ext_key_usage":[],"subject_key_id":false,"subject_allowed":["CN","serialNumber"],)"
      R"("subject_required":["serialNumber"],"san":{"dns":false,"ip":false,"uri":true,"email":false,"required":false,"cn_as_dns":false}})");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_FALSE(p->validity_days);
  ASSERT_EQ(p->subject.size(), 2u);
  EXPECT_EQ(p->subject[1].attribute, "serialNumber");
  EXPECT_TRUE(p->subject[1].required);
  EXPECT_FALSE(p->subject[0].required);
}

struct BadCase {
  const char* json;
  const char* field;  // the message must name it
};

class ProfileRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(ProfileRejects, NamingTheField) {
  auto p = Profile::from_json(GetParam().json);
  ASSERT_FALSE(p) << GetParam().json;
  EXPECT_EQ(p.error().code, Errc::InvalidArgument);
  EXPECT_NE(p.error().message.find(GetParam().field), std::string::npos) << p.error().message;
}

#define BASE R"("name":"x","ca":"issuing")"
INSTANTIATE_TEST_SUITE_P(
    EveryField, ProfileRejects,
    ::testing::Values(
        BadCase{R"(["not an object"])", "JSON object"}, BadCase{"{", "JSON object"},
        BadCase{R"({"ca":"issuing"})", "name"}, BadCase{R"({"name":"Bad Name","ca":"issuing"})", "name"},
        BadCase{R"({"name":"x"})", "'ca'"}, BadCase{R"({"name":"x","ca":7})", "'ca'"},
        BadCase{"{" BASE R"(,"colour":"red"})", "unknown profile field 'colour'"},
        BadCase{"{" BASE R"(,"key_types":[]})", "key_types"},
        BadCase{"{" BASE R"(,"key_types":["dsa-1024"]})", "key_types"},
        BadCase{"{" BASE R"(,"key_types":"ec-p256"})", "key_types"},
        BadCase{"{" BASE R"(,"validity":0})", "validity"}, BadCase{"{" BASE R"(,"validity":"forever"})", "validity"},
        BadCase{"{" BASE R"(,"validity":36501})", "validity"},
        BadCase{"{" BASE R"(,"validity":"none","ext_key_usage":["serverAuth"]})", "validity"},
        BadCase{"{" BASE R"(,"validity":30,"validity_days":30})", "validity"},
        BadCase{"{" BASE R"(,"validity_days":0})", "validity_days"},
        BadCase{"{" BASE R"(,"key_usage":["keyCertSign"]})", "key_usage"},
        BadCase{"{" BASE R"(,"key_usage":["fly"]})", "key_usage"},
        BadCase{"{" BASE R"(,"ext_key_usage":["anyExtendedKeyUsage"]})", "ext_key_usage"},
        BadCase{"{" BASE R"(,"ext_key_usage":["2.5.29.37.0"]})", "ext_key_usage"},
        BadCase{"{" BASE R"(,"rsa_key_encipherment":"yes"})", "rsa_key_encipherment"},
        BadCase{"{" BASE R"(,"subject_key_id":1})", "subject_key_id"},
        BadCase{"{" BASE R"(,"basic_constraints":{"ca":true,"path_len":0}})", "key_usage"},
        BadCase{"{" BASE R"(,"basic_constraints":{"ca":false,"path_len":0}})", "path_len"},
        BadCase{"{" BASE R"(,"basic_constraints":{"ca":true,"path_len":-1,"key_usage":["keyCertSign"]}})", "basic_constraints"},
        BadCase{"{" BASE R"(,"basic_constraints":true})", "basic_constraints"},
        BadCase{"{" BASE R"(,"subject_allowed":["emailAddress"]})", "emailAddress"},
        BadCase{"{" BASE R"(,"subject_required":["CN"]})", "subject_required"},
        BadCase{"{" BASE R"(,"subject":[{"attribute":"CN"}],"subject_allowed":["CN"]})", "subject"},
        BadCase{"{" BASE R"(,"subject":{"attribute":"CN"}})", "subject"},
        BadCase{"{" BASE R"(,"subject":[{"source":"csr"}]})", "subject[0].attribute"},
        BadCase{"{" BASE R"(,"subject":[{"attribute":"CN","source":"dns"}]})", "subject[0].source"},
        BadCase{"{" BASE R"(,"subject":[{"attribute":"CN"},{"attribute":"CN"}]})", "twice"},
        BadCase{"{" BASE R"(,"subject":[{"attribute":"O","source":"fixed"}]})", "subject[0].value"},
        BadCase{"{" BASE R"(,"subject":[{"attribute":"O","value":"Acme"}]})", "subject[0].value"},
        BadCase{"{" BASE R"(,"subject":[{"attribute":"CN","csr_fallback":true}]})", "csr_fallback"},
        BadCase{"{" BASE R"(,"subject":[{"attribute":"CN","colour":1}]})", "subject[0].colour"},
        BadCase{"{" BASE R"(,"subject":[{"attribute":"matter-vid","source":"fixed","value":"fff1"}]})", "4 uppercase hex"},
        BadCase{"{" BASE R"(,"subject":[{"attribute":"matter-vid","source":"fixed","value":"FFF"}]})", "4 uppercase hex"},
        BadCase{"{" BASE R"(,"subject":[{"attribute":"matter-pid","source":"fixed","value":"FFF12"}]})", "4 uppercase hex"},
        BadCase{"{" BASE R"(,"subject":[{"attribute":"matter-pid","source":"fixed","value":"FFG1"}]})", "4 uppercase hex"},
        BadCase{"{" BASE R"(,"san":[]})", "san"}, BadCase{"{" BASE R"(,"san":{"dns":"yes"}})", "san.dns"},
        BadCase{"{" BASE R"(,"san":{"wildcards":true}})", "san.wildcards"},
        BadCase{"{" BASE R"(,"san":{"hardware_module_name":{"hw_type":"not.an.oid"}}})", "hw_type"},
        BadCase{"{" BASE R"(,"extra_extensions":{}})", "extra_extensions"},
        BadCase{"{" BASE R"(,"extra_extensions":[{"oid":"2.5.29.19","value":"MAA="}]})", "only the CA controls"},
        BadCase{"{" BASE R"(,"extra_extensions":[{"oid":"2.5.29.17","value":"MAA="}]})", "only the CA controls"},
        BadCase{"{" BASE R"(,"extra_extensions":[{"oid":"2.5.29.14","value":"BAA="}]})", "only the CA controls"},
        BadCase{"{" BASE R"(,"extra_extensions":[{"oid":"1.2.3.x","value":"MAA="}]})", "extra_extensions[0].oid"},
        BadCase{"{" BASE R"(,"extra_extensions":[{"oid":"1.2.3.4","value":"%%%"}]})", "extra_extensions[0].value"},
        BadCase{"{" BASE R"(,"extra_extensions":[{"oid":"1.2.3.4","value":"MAAwAA=="}]})", "one DER element"},
        BadCase{"{" BASE R"(,"extra_extensions":[{"oid":"1.2.3.4","value":"MAA="},{"oid":"1.2.3.4","value":"MAA="}]})", "twice"},
        BadCase{"{" BASE R"(,"renewal_window_days":0})", "renewal_window_days"},
        BadCase{"{" BASE R"(,"ocsp_no_check":true})", "ocsp_no_check"}));
#undef BASE

TEST(Profile, FullDefinitionRoundTrips) {
  auto p = Profile::from_json(R"({"name":"dac","ca":"issuing","key_types":["ec-p256"],"validity":"none",)"
                              R"("key_usage":["digitalSignature"],"subject":[{"attribute":"CN","required":true},)"
                              R"({"attribute":"matter-vid","source":"fixed","value":"FFF1"},)"
                              R"({"attribute":"serialNumber","source":"device.serial","csr_fallback":true}],)"
                              R"("san":{"hardware_module_name":{"hw_type":"1.3.6.1.4.1.99999.1"}},)"
                              R"("extra_extensions":[{"oid":"1.3.6.1.4.1.99999.2","critical":true,"value":"DAJoaQ=="}],)"
                              R"("renewal_window_days":30})");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->subject[1].attribute, kMatterVidOid);
  EXPECT_EQ(p->subject[1].source, SubjectSource::Fixed);
  EXPECT_TRUE(p->subject[1].required);  // fixed values are always written
  EXPECT_EQ(p->subject[2].source, SubjectSource::DeviceSerial);
  EXPECT_EQ(p->san.hardware_module_type, "1.3.6.1.4.1.99999.1");
  ASSERT_EQ(p->extra_extensions.size(), 1u);
  EXPECT_EQ(p->extra_extensions[0].value, (Bytes{0x0C, 0x02, 'h', 'i'}));
  EXPECT_EQ(p->renewal_window_days, 30);
  auto back = Profile::from_json(p->to_json());
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->to_json(), p->to_json());
}

TEST(Profile, KeyTypesAreEnforced) {
  const Profile dac = *builtin_template("matter-dac");
  EXPECT_TRUE(dac.check_key_type(pki::KeyType::EcP256, 256));
  auto rsa = dac.check_key_type(pki::KeyType::Rsa, 2048);
  ASSERT_FALSE(rsa);
  EXPECT_NE(rsa.error().message.find("rsa-2048"), std::string::npos);
  EXPECT_FALSE(dac.check_key_type(pki::KeyType::EcP384, 384));
  EXPECT_FALSE(dac.check_key_type(pki::KeyType::Ed25519, 255));
  EXPECT_TRUE(default_profiles()[0].check_key_type(pki::KeyType::Rsa, 4096));  // no list = any
}

TEST(Profile, MatterIds) {
  EXPECT_TRUE(is_matter_id("FFF1"));
  EXPECT_TRUE(is_matter_id("0000"));
  EXPECT_FALSE(is_matter_id("fff1"));
  EXPECT_FALSE(is_matter_id("FFF"));
  EXPECT_FALSE(is_matter_id("FFF12"));
  EXPECT_FALSE(is_matter_id("FFG1"));
}

TEST(Profile, MatterTemplatesFollowTheSpecification) {
  const Profile paa = *builtin_template("matter-paa");
  EXPECT_TRUE(paa.ca_certificate);
  EXPECT_EQ(paa.path_len, 1);
  EXPECT_EQ(*paa.key_usage_bits(false), pki::kKeyCertSign | pki::kCrlSign);
  const Profile pai = *builtin_template("matter-pai");
  EXPECT_EQ(pai.path_len, 0);
  EXPECT_TRUE(pai.subject[1].required);   // VID
  EXPECT_FALSE(pai.subject[2].required);  // PID optional
  const Profile dac = *builtin_template("matter-dac");
  EXPECT_FALSE(dac.ca_certificate);
  EXPECT_EQ(*dac.key_usage_bits(false), pki::kDigitalSignature);
  EXPECT_TRUE(dac.ext_key_usage.empty());
  EXPECT_TRUE(dac.subject_key_id);
  EXPECT_EQ(dac.key_types, std::vector<std::string>{"ec-p256"});
  const Profile ocsp = *builtin_template("ocsp-signing");
  EXPECT_TRUE(ocsp.ocsp_no_check);
  EXPECT_FALSE(builtin_template("matter-foo"));
}

}  // namespace
}  // namespace fleetpki::authority
