#include "authority/profile_catalog.h"

#include <gtest/gtest.h>

#include "authority_fixture.h"
#include <algorithm>

#include "pki/asn1_time.h"
#include "pki/certificate.h"
#include "support/csr_factory.h"

namespace fleetpki::authority {
namespace {

class ProfileCatalogTest : public AuthorityTest {
 protected:
  ProfileCatalog& catalog() { return authority_->profiles(); }

  Result<IssuedCertificate> issue(const std::string& profile, const testing::CsrSpec& spec) {
    return authority_->issue(platform_admin_, {.tenant = "default", .profile = profile,
                                               .csr_pem = testing::make_csr_pem(spec), .device = std::nullopt},
                             {"t"});
  }

  std::vector<std::string> audit_actions() {
    std::vector<std::string> out;
    auto events = store_->list_audit(std::nullopt, 0, 1000);
    if (events) {
      for (const auto& e : *events) out.push_back(e.action);
    }
    return out;
  }
};

TEST_F(ProfileCatalogTest, NewVersionIsInForceForTheNextIssuance) {
  auto created = catalog().create(platform_admin_, "default",
                                  R"({"name":"sensor","ca":"issuing","validity":30,"subject":[{"attribute":"CN","required":true}]})",
                                  {"r1"});
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(created->version_in_force, 1);
  auto v1 = issue("sensor", {.subject = {{"CN", "s1"}}});
  ASSERT_TRUE(v1) << v1.error().message;
  EXPECT_EQ(v1->record.profile_version, 1);
  EXPECT_EQ(v1->record.not_after - v1->record.created_at, 30 * 86400);

  auto v2 = catalog().add_version(platform_admin_, "default", "sensor",
                                  R"({"ca":"issuing","validity":90,"subject":[{"attribute":"CN","required":true}]})", {"r2"});
  ASSERT_TRUE(v2) << v2.error().message;
  EXPECT_EQ(v2->version, 2);
  auto issued = issue("sensor", {.subject = {{"CN", "s2"}}});
  ASSERT_TRUE(issued) << issued.error().message;
  EXPECT_EQ(issued->record.profile_version, 2);
  EXPECT_EQ(issued->record.not_after - issued->record.created_at, 90 * 86400);

  auto got = catalog().get(platform_admin_, "default", "sensor");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->version_in_force, 2);
  EXPECT_EQ(got->versions.size(), 2u);
  auto one = catalog().get_version(platform_admin_, "default", "sensor", 1);
  ASSERT_TRUE(one);
  EXPECT_NE(one->definition_json.find("\"validity\":30"), std::string::npos);
  EXPECT_EQ(catalog().get_version(platform_admin_, "default", "sensor", 3).error().code, Errc::NotFound);
  auto actions = audit_actions();
  EXPECT_NE(std::find(actions.begin(), actions.end(), "profile.create"), actions.end());
  EXPECT_NE(std::find(actions.begin(), actions.end(), "profile.version"), actions.end());
}

TEST_F(ProfileCatalogTest, RetiringAVersionFallsBackAndRetiringAllRefusesIssuance) {
  ASSERT_TRUE(catalog().create(platform_admin_, "default", R"({"name":"r","ca":"issuing","subject":[{"attribute":"CN"}]})", {}));
  ASSERT_TRUE(catalog().add_version(platform_admin_, "default", "r",
                                    R"({"ca":"issuing","validity":10,"subject":[{"attribute":"CN"}]})", {}));
  auto first = issue("r", {.subject = {{"CN", "a"}}});
  ASSERT_TRUE(first);
  auto back = catalog().retire(platform_admin_, "default", "r", 2, {});
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->version_in_force, 1);
  auto v1 = issue("r", {.subject = {{"CN", "b"}}});
  ASSERT_TRUE(v1);
  EXPECT_EQ(v1->record.profile_version, 1);

  auto all = catalog().retire(platform_admin_, "default", "r", std::nullopt, {});
  ASSERT_TRUE(all);
  EXPECT_FALSE(all->version_in_force);
  const std::size_t before = stored_certificates();
  auto refused = issue("r", {.subject = {{"CN", "c"}}});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::FailedPrecondition);
  EXPECT_NE(refused.error().message.find("retired"), std::string::npos);
  EXPECT_EQ(stored_certificates(), before);
  // Certificates already issued are untouched.
  auto old = authority_->get_certificate(platform_admin_, "default", first->record.serial_hex);
  ASSERT_TRUE(old);
  EXPECT_EQ(old->status, store::kStatusValid);
  EXPECT_EQ(catalog().retire(platform_admin_, "default", "r", std::nullopt, {}).error().code, Errc::FailedPrecondition);
  EXPECT_EQ(catalog().add_version(platform_admin_, "default", "r", R"({"ca":"issuing"})", {}).error().code,
            Errc::FailedPrecondition);
  EXPECT_EQ(catalog().retire(platform_admin_, "default", "nope", std::nullopt, {}).error().code, Errc::NotFound);
}

TEST_F(ProfileCatalogTest, CreateFromTemplateWithOverrides) {
  auto dac = catalog().create(platform_admin_, "default",
                              R"({"name":"dac-fff1","template":"matter-dac","subject":[{"attribute":"CN","required":true},)"
                              R"({"attribute":"matter-vid","source":"fixed","value":"FFF1"},{"attribute":"matter-pid","required":true}]})",
                              {});
  ASSERT_TRUE(dac) << dac.error().message;
  auto cert = issue("dac-fff1", {.subject = {{"CN", "Matter DAC"}, {kMatterPidOid, "8001"}}});
  ASSERT_TRUE(cert) << cert.error().message;
  EXPECT_EQ(cert->record.subject, std::string("CN=Matter DAC,") + kMatterVidOid + "=FFF1," + kMatterPidOid + "=8001");
  EXPECT_EQ(cert->record.not_after, pki::kNoExpiryUnix);
  auto rsa = issue("dac-fff1", {.subject = {{"CN", "x"}, {kMatterPidOid, "8001"}}, .key = "RSA:2048"});
  ASSERT_FALSE(rsa);
  EXPECT_EQ(rsa.error().code, Errc::InvalidArgument);
  EXPECT_NE(rsa.error().message.find("rsa-2048"), std::string::npos);
  auto lower = issue("dac-fff1", {.subject = {{"CN", "x"}, {kMatterPidOid, "800a"}}});
  EXPECT_FALSE(lower);

  EXPECT_EQ(catalog().create(platform_admin_, "default", R"({"name":"y","template":"nope"})", {}).error().code,
            Errc::NotFound);
  EXPECT_EQ(catalog().create(platform_admin_, "default", R"({"name":"dac-fff1","template":"matter-dac"})", {}).error().code,
            Errc::AlreadyExists);
  EXPECT_EQ(catalog().create(platform_admin_, "default", R"({"name":"tls-server","ca":"issuing"})", {}).error().code,
            Errc::AlreadyExists);
  auto bad_ca = catalog().create(platform_admin_, "default", R"({"name":"z","ca":"nowhere"})", {});
  ASSERT_FALSE(bad_ca);
  EXPECT_NE(bad_ca.error().message.find("'ca'"), std::string::npos);
}

TEST_F(ProfileCatalogTest, OcspSigningTemplateIssuesWithNoCheck) {
  ASSERT_TRUE(catalog().create(platform_admin_, "default", R"({"name":"ocsp","template":"ocsp-signing"})", {}));
  auto cert = issue("ocsp", {.subject = {{"CN", "responder"}}});
  ASSERT_TRUE(cert) << cert.error().message;
  auto parsed = pki::Certificate::from_der(crypto_, cert->record.der);
  ASSERT_TRUE(parsed);
  // id-pkix-ocsp-nocheck 1.3.6.1.5.5.7.48.1.5 with a NULL value
  static const Bytes kNoCheck = {0x06, 0x09, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x05, 0x04, 0x02, 0x05, 0x00};
  EXPECT_NE(std::search(cert->record.der.begin(), cert->record.der.end(), kNoCheck.begin(), kNoCheck.end()),
            cert->record.der.end());
}

TEST_F(ProfileCatalogTest, ListPagesWithCursorAndStatusFilter) {
  for (const char* n : {"p1", "p2", "p3"}) {
    ASSERT_TRUE(catalog().create(platform_admin_, "default",
                                 std::string(R"({"name":")") + n + R"(","ca":"issuing","subject":[{"attribute":"CN"}]})", {}));
  }
  ASSERT_TRUE(catalog().retire(platform_admin_, "default", "p2", std::nullopt, {}));
  std::vector<std::string> names;
  ProfileListQuery q{.retired = std::nullopt, .limit = 3, .after_id = 0};
  for (int pages = 0; pages < 10; ++pages) {
    auto page = catalog().list(platform_admin_, "default", q);
    ASSERT_TRUE(page) << page.error().message;
    for (const auto& s : page->items) names.push_back(s.name);
    if (!page->next_after_id) break;
    q.after_id = *page->next_after_id;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"tls-server", "tls-client", "code-signing", "ldevid", "idevid", "p1", "p2", "p3"}));
  auto retired = catalog().list(platform_admin_, "default", {.retired = true, .limit = 100, .after_id = 0});
  ASSERT_TRUE(retired);
  ASSERT_EQ(retired->items.size(), 1u);
  EXPECT_EQ(retired->items[0].name, "p2");
  EXPECT_EQ(catalog().list(platform_admin_, "default", {.retired = std::nullopt, .limit = 0, .after_id = 0}).error().code,
            Errc::InvalidArgument);
}

TEST_F(ProfileCatalogTest, RolesAndTenantsAreRefusedWithoutSideEffect) {
  ASSERT_TRUE(authority_->create_tenant(platform_admin_, "other", {}));
  auto other_tenant = *store_->find_tenant("other");
  const Principal other_admin{"o", other_tenant->id, Role::Admin};
  const auto default_id = (*store_->find_tenant("default"))->id;
  const Principal auditor{"a", default_id, Role::Auditor};
  const Principal enrollment{"e", default_id, Role::Enrollment};
  const std::string def = R"({"name":"q","ca":"issuing"})";
  EXPECT_EQ(catalog().create(other_admin, "default", def, {}).error().code, Errc::NotFound);
  EXPECT_EQ(catalog().create(auditor, "default", def, {}).error().code, Errc::PermissionDenied);
  EXPECT_EQ(catalog().retire(auditor, "default", "tls-server", std::nullopt, {}).error().code, Errc::PermissionDenied);
  EXPECT_EQ(catalog().get(other_admin, "default", "tls-server").error().code, Errc::NotFound);
  EXPECT_EQ(catalog().get(enrollment, "default", "tls-server").error().code, Errc::PermissionDenied);
  EXPECT_TRUE(catalog().get(auditor, "default", "tls-server"));
  EXPECT_EQ(catalog().get(platform_admin_, "default", "q").error().code, Errc::NotFound);  // nothing was created
  // The other tenant's profiles are its own.
  ASSERT_TRUE(catalog().create(other_admin, "other", def, {}));
  EXPECT_EQ(catalog().get(platform_admin_, "default", "q").error().code, Errc::NotFound);
}

}  // namespace
}  // namespace fleetpki::authority
