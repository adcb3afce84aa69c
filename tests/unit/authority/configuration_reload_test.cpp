// Changes made by another process on the same database (the CLI while `serve` runs) reach this
// Authority's caches through reload_changed_configuration(), and only through it.
#include <gtest/gtest.h>

#include "authority/profile_catalog.h"
#include "authority/tenant_admin.h"
#include "authority_fixture.h"
#include "support/csr_factory.h"

namespace fleetpki::authority {
namespace {

class ConfigurationReloadTest : public AuthorityTest {
 protected:
  void SetUp() override {
    AuthorityTest::SetUp();
    // The "other process": its own store connection and Authority over the same files.
    auto store = store::open_sqlite_store(dir_.path() / "test.db", {.durable = false});
    ASSERT_TRUE(store) << store.error().message;
    other_store_ = std::move(*store);
    auto other = Authority::create({*other_store_, *vault_, crypto_, clock_}, {"http://pki.example:8080/"});
    ASSERT_TRUE(other);
    other_ = std::move(*other);
    // Whatever creating the tenant recorded is already applied: start from a quiet state.
    ASSERT_TRUE(authority_->reload_changed_configuration());
  }

  Result<IssuedCertificate> issue(const std::string& tenant = "default") {
    return authority_->issue(platform_admin_,
                             {.tenant = tenant, .profile = "tls-client",
                              .csr_pem = testing::make_csr_pem({.subject = {{"CN", "dev"}}}), .device = std::nullopt},
                             {"t"});
  }

  std::unique_ptr<store::Store> other_store_;
  std::unique_ptr<Authority> other_;
};

TEST_F(ConfigurationReloadTest, AProfileRetiredByAnotherProcessStopsIssuanceAfterTheReload) {
  ASSERT_TRUE(issue());  // the tenant's runtime is now cached
  auto retired = other_->profiles().retire(platform_admin_, "default", "tls-client", std::nullopt, {"cli"});
  ASSERT_TRUE(retired) << retired.error().message;

  // Without a reload this process cannot know: it still issues from its cache.
  EXPECT_TRUE(issue());
  auto reloaded = authority_->reload_changed_configuration();
  ASSERT_TRUE(reloaded) << reloaded.error().message;
  EXPECT_EQ(*reloaded, 1u);
  const std::size_t before = stored_certificates();
  auto refused = issue();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::FailedPrecondition) << refused.error().message;
  EXPECT_EQ(stored_certificates(), before);

  // Nothing changed since: the next poll drops nothing.
  reloaded = authority_->reload_changed_configuration();
  ASSERT_TRUE(reloaded);
  EXPECT_EQ(*reloaded, 0u);
}

TEST_F(ConfigurationReloadTest, ATenantDisabledByAnotherProcessIsNotFoundAfterTheReload) {
  ASSERT_TRUE(authority_->create_tenant(platform_admin_, "acme", {"setup"}));
  ASSERT_TRUE(authority_->reload_changed_configuration());
  ASSERT_TRUE(issue("default"));
  ASSERT_TRUE(issue("acme"));

  ASSERT_TRUE(other_->tenant_admin().set_tenant_disabled(platform_admin_, "acme", true, {"cli"}));
  auto reloaded = authority_->reload_changed_configuration();
  ASSERT_TRUE(reloaded);
  EXPECT_EQ(*reloaded, 1u);  // only acme's cache is dropped
  auto refused = issue("acme");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::NotFound);
  EXPECT_TRUE(issue("default"));

  // Enabled again by the other process: back after the next reload.
  ASSERT_TRUE(other_->tenant_admin().set_tenant_disabled(platform_admin_, "acme", false, {"cli"}));
  ASSERT_TRUE(authority_->reload_changed_configuration());
  EXPECT_TRUE(issue("acme"));
}

}  // namespace
}  // namespace fleetpki::authority
