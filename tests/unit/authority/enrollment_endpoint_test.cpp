// EndpointSpec JSON (issue #5): defaults, round trip, refusal of every bad field, labels.
#include "authority/enrollment_endpoint.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "authority_fixture.h"
#include "pki/pem.h"
#include "support/csr_factory.h"

namespace fleetpki::authority {
namespace {

// The definition migration 0008 inserts for the label "default" (and add_default_enrollment_endpoint).
constexpr const char* kMigrationDefault =
    R"({"approval":"automatic","auth":["idevid","ldevid","otp"],"linking":"optional","profile":"ldevid",)"
    R"("retry_after":60,"server_keygen":true,"trusted_cas":["manufacturing"],"unknown_devices":"reject"})";

TEST(EndpointSpec, AcceptsTheMigrationDefaultAndWritesItBackByteForByte) {
  auto spec = EndpointSpec::from_json(kMigrationDefault);
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(spec->profile, "ldevid");
  EXPECT_EQ(spec->trusted_cas, std::vector<std::string>{"manufacturing"});
  EXPECT_TRUE(spec->allows(EstAuthMode::Idevid));
  EXPECT_TRUE(spec->allows(EstAuthMode::Ldevid));
  EXPECT_TRUE(spec->allows(EstAuthMode::Otp));
  EXPECT_EQ(spec->approval, EstApproval::Automatic);
  EXPECT_EQ(spec->unknown_devices, EstUnknownDevices::Reject);
  EXPECT_EQ(spec->linking, EstLinking::Optional);
  EXPECT_TRUE(spec->server_keygen);
  EXPECT_EQ(spec->retry_after_seconds, 60);
  EXPECT_FALSE(spec->device_type);
  EXPECT_EQ(spec->to_json(), kMigrationDefault);
}

TEST(EndpointSpec, EmptyObjectGivesTheStructDefaults) {
  auto spec = EndpointSpec::from_json("{}");
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(*spec, EndpointSpec{});
  EXPECT_FALSE(spec->allows(EstAuthMode::Otp));
}

TEST(EndpointSpec, RoundTripsEveryField) {
  EndpointSpec spec;
  spec.profile = "tls-client";
  spec.trusted_cas = {"manufacturing", "mfg-2"};
  spec.device_type = "meter.v2";
  spec.auth = {EstAuthMode::Otp, EstAuthMode::Ldevid};
  spec.approval = EstApproval::Manual;
  spec.unknown_devices = EstUnknownDevices::Manual;
  spec.linking = EstLinking::Required;
  spec.server_keygen = true;
  spec.retry_after_seconds = 86400;
  const std::string text = spec.to_json();
  auto back = EndpointSpec::from_json(text);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, spec);
  EXPECT_EQ(back->to_json(), text);  // deterministic
  EXPECT_LT(text.find("\"approval\""), text.find("\"auth\""));  // sorted keys
  EXPECT_LT(text.find("\"device_type\""), text.find("\"linking\""));
}

TEST(EndpointSpec, NullDeviceTypeMeansNone) {
  auto spec = EndpointSpec::from_json(R"({"device_type":null})");
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_FALSE(spec->device_type);
}

struct BadCase {
  const char* name;
  const char* json;
  const char* field;  // must appear in the message
};

class EndpointSpecBadField : public ::testing::TestWithParam<BadCase> {};

TEST_P(EndpointSpecBadField, IsRefusedNamingTheField) {
  const BadCase& c = GetParam();
  auto spec = EndpointSpec::from_json(c.json);
  ASSERT_FALSE(spec) << c.name;
  EXPECT_EQ(spec.error().code, Errc::InvalidArgument) << c.name;
  EXPECT_NE(spec.error().message.find(c.field), std::string::npos) << c.name << ": " << spec.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Table, EndpointSpecBadField,
    ::testing::Values(
        BadCase{"not_json", "{", "JSON object"}, BadCase{"array", "[]", "JSON object"},
        BadCase{"unknown_field", R"({"profile":"ldevid","issuer":"x"})", "'issuer'"},
        BadCase{"camel_case_field", R"({"retryAfter":5})", "'retryAfter'"},
        BadCase{"profile_number", R"({"profile":1})", "'profile'"},
        BadCase{"profile_upper", R"({"profile":"LDevID"})", "'profile'"},
        BadCase{"profile_empty", R"({"profile":""})", "'profile'"},
        BadCase{"trusted_cas_string", R"({"trusted_cas":"manufacturing"})", "'trusted_cas'"},
        BadCase{"trusted_cas_bad_name", R"({"trusted_cas":["Manufacturing"]})", "'trusted_cas'"},
        BadCase{"trusted_cas_duplicate", R"({"trusted_cas":["a","a"]})", "'trusted_cas'"},
        BadCase{"trusted_cas_too_many",
                R"({"trusted_cas":["a1","a2","a3","a4","a5","a6","a7","a8","a9","b1","b2","b3","b4","b5","b6","b7","b8"]})",
                "'trusted_cas'"},
        BadCase{"trusted_cas_empty_with_idevid", R"({"trusted_cas":[]})", "'trusted_cas'"},
        BadCase{"trust_anchors_number", R"({"trust_anchors_pem":5})", "'trust_anchors_pem'"},
        BadCase{"trust_anchors_garbage", R"({"trust_anchors_pem":"hello"})", "'trust_anchors_pem'"},
        BadCase{"trust_anchors_bad_base64",
                R"({"trust_anchors_pem":"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"})",
                "'trust_anchors_pem'"},
        BadCase{"trust_anchors_not_a_certificate",
                R"({"trust_anchors_pem":"-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n"})",
                "'trust_anchors_pem'"},
        BadCase{"device_type_number", R"({"device_type":7})", "'device_type'"},
        BadCase{"device_type_space", R"({"device_type":"a b"})", "'device_type'"},
        BadCase{"auth_empty", R"({"auth":[]})", "'auth'"},
        BadCase{"auth_string", R"({"auth":"idevid"})", "'auth'"},
        BadCase{"auth_unknown", R"({"auth":["password"]})", "'auth'"},
        BadCase{"auth_duplicate", R"({"auth":["otp","otp"]})", "'auth'"},
        BadCase{"auth_upper", R"({"auth":["IDevID"]})", "'auth'"},
        BadCase{"approval_unknown", R"({"approval":"auto"})", "'approval'"},
        BadCase{"approval_bool", R"({"approval":true})", "'approval'"},
        BadCase{"unknown_devices_unknown", R"({"unknown_devices":"accept"})", "'unknown_devices'"},
        BadCase{"linking_unknown", R"({"linking":"on"})", "'linking'"},
        BadCase{"linking_bool", R"({"linking":false})", "'linking'"},
        BadCase{"server_keygen_string", R"({"server_keygen":"true"})", "'server_keygen'"},
        BadCase{"server_keygen_number", R"({"server_keygen":1})", "'server_keygen'"},
        BadCase{"retry_after_zero", R"({"retry_after":0})", "'retry_after'"},
        BadCase{"retry_after_too_big", R"({"retry_after":86401})", "'retry_after'"},
        BadCase{"retry_after_fraction", R"({"retry_after":1.5})", "'retry_after'"},
        BadCase{"retry_after_string", R"({"retry_after":"60"})", "'retry_after'"},
        BadCase{"retry_after_negative", R"({"retry_after":-1})", "'retry_after'"}),
    [](const ::testing::TestParamInfo<BadCase>& param) { return std::string(param.param.name); });

TEST(EndpointSpec, RefusesOversizedDefinitions) {
  std::string json = R"({"profile":"ldevid","trust_anchors_pem":")" + std::string(kMaxEndpointJson, 'A') + "\"}";
  auto spec = EndpointSpec::from_json(json);
  ASSERT_FALSE(spec);
  EXPECT_EQ(spec.error().code, Errc::InvalidArgument);
}

TEST(EndpointSpec, OtpOnlyEndpointNeedsNoTrustedCa) {
  auto spec = EndpointSpec::from_json(R"({"auth":["otp"],"trusted_cas":[]})");
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_TRUE(spec->trusted_cas.empty());
}

TEST(EnrollmentLabel, FollowsTheSlugSyntaxAndRefusesOperationNames) {
  for (const char* good : {"default", "meters", "a", "factory-2", "0x"}) {
    EXPECT_TRUE(is_valid_enrollment_label(good)) << good;
  }
  for (const char* bad : {"", "-x", "Meters", "a_b", "a/b", "a.b", "cacerts", "simpleenroll", "simplereenroll",
                          "csrattrs", "serverkeygen", "fullcmc"}) {
    EXPECT_FALSE(is_valid_enrollment_label(bad)) << bad;
  }
  EXPECT_TRUE(is_valid_enrollment_label(std::string(63, 'a')));
  EXPECT_FALSE(is_valid_enrollment_label(std::string(64, 'a')));
}

TEST(EnrollmentNames, AreTheJsonValues) {
  EXPECT_EQ(est_auth_mode_name(EstAuthMode::Idevid), "idevid");
  EXPECT_EQ(est_auth_mode_name(EstAuthMode::Ldevid), "ldevid");
  EXPECT_EQ(est_auth_mode_name(EstAuthMode::Otp), "otp");
  EXPECT_EQ(est_linking_name(EstLinking::Off), "off");
  EXPECT_EQ(est_linking_name(EstLinking::Optional), "optional");
  EXPECT_EQ(est_linking_name(EstLinking::Required), "required");
  EXPECT_EQ(est_approval_name(EstApproval::Manual), "manual");
  EXPECT_EQ(est_unknown_devices_name(EstUnknownDevices::Manual), "manual");
}

// ---- trust anchors: real certificates from a tenant's CAs ---------------------------------------

class EndpointTrustAnchors : public AuthorityTest {
 protected:
  static std::string with_anchors(const std::string& pem) {
    return nlohmann::json{{"trust_anchors_pem", pem}}.dump();
  }
};

TEST_F(EndpointTrustAnchors, AcceptsCaCertificatesAndKeepsThemCanonical) {
  auto chain = authority_->ca_chain_pem("default", "manufacturing");  // manufacturing CA, then root
  ASSERT_TRUE(chain) << chain.error().message;
  // CRLF line ends and blank lines between blocks are tolerated, and normalized away.
  std::string messy;
  for (char c : *chain) {
    if (c == '\n') messy += "\r";
    messy += c;
  }
  messy = "\n" + messy + "\n\n";
  auto spec = EndpointSpec::from_json(with_anchors(messy));
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(spec->trust_anchors_pem, *chain);
  auto back = EndpointSpec::from_json(spec->to_json());
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, *spec);
  // Trust anchors alone satisfy idevid.
  auto only_anchors = EndpointSpec::from_json(
      nlohmann::json{{"trust_anchors_pem", *chain}, {"trusted_cas", nlohmann::json::array()}}.dump());
  EXPECT_TRUE(only_anchors) << only_anchors.error().message;
}

TEST_F(EndpointTrustAnchors, RefusesALeafCertificate) {
  auto issued = authority_->issue(platform_admin_,
                                  {"default", "tls-client", testing::make_csr_pem({.subject = {{"CN", "leaf"}}})},
                                  {"r"});
  ASSERT_TRUE(issued) << issued.error().message;
  auto chain = authority_->ca_chain_pem("default", "manufacturing");
  ASSERT_TRUE(chain);
  auto spec = EndpointSpec::from_json(with_anchors(*chain + issued->certificate_pem));
  ASSERT_FALSE(spec);
  EXPECT_EQ(spec.error().code, Errc::InvalidArgument);
  EXPECT_NE(spec.error().message.find("certificate 3"), std::string::npos) << spec.error().message;
  EXPECT_NE(spec.error().message.find("not a CA certificate"), std::string::npos) << spec.error().message;
}

TEST_F(EndpointTrustAnchors, RefusesOtherPemBlocksDuplicatesAndTooMany) {
  auto chain = authority_->ca_chain_pem("default", "manufacturing");
  ASSERT_TRUE(chain);
  const std::string key_block = "-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n";
  auto with_key = EndpointSpec::from_json(with_anchors(*chain + key_block));
  ASSERT_FALSE(with_key);
  EXPECT_NE(with_key.error().message.find("only CERTIFICATE"), std::string::npos) << with_key.error().message;

  auto root = authority_->ca_chain_pem("default", "root");
  ASSERT_TRUE(root);
  auto duplicate = EndpointSpec::from_json(with_anchors(*root + *root));
  ASSERT_FALSE(duplicate);
  EXPECT_NE(duplicate.error().message.find("duplicate"), std::string::npos) << duplicate.error().message;

  std::string many;
  for (std::size_t i = 0; i <= kMaxEndpointTrustAnchors; ++i) many += *root;
  auto too_many = EndpointSpec::from_json(with_anchors(many));
  ASSERT_FALSE(too_many);
  EXPECT_NE(too_many.error().message.find("'trust_anchors_pem'"), std::string::npos);

  std::string huge = *root;
  while (huge.size() <= kMaxEndpointTrustAnchorsPem) huge += "\n";
  auto oversized = EndpointSpec::from_json(with_anchors(huge));
  ASSERT_FALSE(oversized);
  EXPECT_NE(oversized.error().message.find("exceeds"), std::string::npos) << oversized.error().message;
}

}  // namespace
}  // namespace fleetpki::authority
