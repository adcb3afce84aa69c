// Configuration change tracking (migration 0009): the triggers that tell a running server which
// tenants' cached configuration another process changed, and what they must not fire on.
#include <gtest/gtest.h>

#include <algorithm>

#include "store/sqlite/sqlite_store.h"
#include "store_test_support.h"

namespace fleetpki::store {
namespace {

using testing::add_tenant_with_ca;
using testing::make_certificate;
using testing::query_plan;
using testing::TempDir;

class SqliteConfigurationTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = open(); }
  std::filesystem::path path() const { return dir_.path() / "t.db"; }
  std::unique_ptr<Store> open() {
    auto opened = open_sqlite_store(path(), {.durable = false});
    EXPECT_TRUE(opened) << opened.error().message;
    return opened ? std::move(*opened) : nullptr;
  }

  /// The highest version recorded so far (0 when none).
  std::int64_t latest() {
    auto changes = store_->configuration_changes(0);
    EXPECT_TRUE(changes);
    std::int64_t v = 0;
    for (const auto& c : *changes) v = std::max(v, c.version);
    return v;
  }
  /// The tenants changed after `after`, in the order returned.
  std::vector<std::int64_t> changed_after(std::int64_t after) {
    auto changes = store_->configuration_changes(after);
    EXPECT_TRUE(changes) << (changes ? "" : changes.error().message);
    std::vector<std::int64_t> ids;
    if (changes) {
      for (const auto& c : *changes) ids.push_back(c.tenant_id);
    }
    return ids;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(SqliteConfigurationTest, NewTenantsAndCasAreRecordedInOrder) {
  EXPECT_TRUE(changed_after(0).empty());
  auto [a, a_ca] = add_tenant_with_ca(*store_, "a");
  auto [b, b_ca] = add_tenant_with_ca(*store_, "b");
  EXPECT_EQ(changed_after(0), (std::vector<std::int64_t>{a, b}));
  auto changes = store_->configuration_changes(0);
  ASSERT_TRUE(changes);
  EXPECT_LT((*changes)[0].version, (*changes)[1].version);
}

TEST_F(SqliteConfigurationTest, IssuanceAndAuditDoNotCountAsChanges) {
  auto [tenant, ca] = add_tenant_with_ca(*store_, "a");
  const std::int64_t seen = latest();
  ASSERT_GT(seen, 0);
  auto written = store_->write([&](Transaction& tx) -> Status {
    FLEETPKI_TRY(auto id, tx.insert_certificate(make_certificate(tenant, ca, "01ab")));
    (void)id;
    AuditEvent event;
    event.tenant_id = tenant;
    event.actor = "test";
    event.action = "certificate.issue";
    event.object = "01ab";
    event.at = 1'700'000'000;
    return tx.append_audit(event);
  });
  ASSERT_TRUE(written) << written.error().detail;
  EXPECT_TRUE(changed_after(seen).empty());
}

TEST_F(SqliteConfigurationTest, AnotherConnectionsChangesAreSeenPerTenant) {
  auto [a, a_ca] = add_tenant_with_ca(*store_, "a");
  auto [b, b_ca] = add_tenant_with_ca(*store_, "b");
  std::int64_t seen = latest();

  // Another process (the CLI) disables tenant b on the same database file.
  {
    auto other = open();
    ASSERT_TRUE(other);
    ASSERT_TRUE(other->write([&](Transaction& tx) { return tx.set_tenant_disabled(b, true); }));
  }
  EXPECT_EQ(changed_after(seen), (std::vector<std::int64_t>{b}));
  seen = latest();

  // A profile version of tenant a, then its retirement.
  ProfileRecord profile;
  profile.tenant_id = a;
  profile.name = "meter";
  profile.definition_json = "{}";
  profile.created_at = 1'700'000'000;
  ASSERT_TRUE(store_->write([&](Transaction& tx) { return tx.insert_profile(profile).map([](std::int64_t) {}); }));
  EXPECT_EQ(changed_after(seen), (std::vector<std::int64_t>{a}));
  seen = latest();
  ASSERT_TRUE(store_->write([&](Transaction& tx) { return tx.retire_profile(a, "meter", std::nullopt).map([](int) {}); }));
  EXPECT_EQ(changed_after(seen), (std::vector<std::int64_t>{a}));
  seen = latest();

  // An EST endpoint of tenant b, then an edit of it.
  EnrollmentEndpointRecord endpoint;
  endpoint.tenant_id = b;
  endpoint.label = "factory";
  endpoint.definition_json = "{}";
  endpoint.created_at = endpoint.updated_at = 1'700'000'000;
  std::int64_t endpoint_id = 0;
  ASSERT_TRUE(store_->write([&](Transaction& tx) -> Status {
    FLEETPKI_TRY(endpoint_id, tx.insert_enrollment_endpoint(endpoint));
    return ok();
  }));
  EXPECT_EQ(changed_after(seen), (std::vector<std::int64_t>{b}));
  seen = latest();
  endpoint.id = endpoint_id;
  endpoint.definition_json = R"({"x":1})";
  ASSERT_TRUE(store_->write([&](Transaction& tx) { return tx.update_enrollment_endpoint(endpoint); }));
  EXPECT_EQ(changed_after(seen), (std::vector<std::int64_t>{b}));
  seen = latest();

  // A CA change of tenant a: one row per tenant, stamped with its latest change.
  ASSERT_TRUE(store_->write([&](Transaction& tx) { return tx.set_ca_crl_partitions(a_ca, 4); }));
  auto changes = store_->configuration_changes(0);
  ASSERT_TRUE(changes);
  ASSERT_EQ(changes->size(), 2u);
  EXPECT_EQ(changes->back().tenant_id, a);
  EXPECT_EQ(changed_after(seen), (std::vector<std::int64_t>{a}));
}

TEST_F(SqliteConfigurationTest, APollIsAnIndexSeek) {
  add_tenant_with_ca(*store_, "a");
  const std::string plan =
      query_plan(path(), "SELECT tenant_id, version FROM configuration_changes WHERE version > 5 ORDER BY version");
  EXPECT_NE(plan.find("INDEX configuration_changes_version (version>?)"), std::string::npos) << plan;
}

}  // namespace
}  // namespace fleetpki::store
