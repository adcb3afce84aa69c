// SQLite store, enrollment slice (issue #5): enrollment endpoints (platform-wide labels,
// version-checked updates), held enrollment requests (identical retries by key, decisions, pages
// per state), one-time passwords (usable = unused and unexpired; used once), renewal grants,
// tenant isolation, the "default" endpoint added to existing data directories by migration 0008,
// and the index plans of the lookups on the enrollment path.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "store/sqlite/sqlite_enrollment.h"
#include "store/sqlite/sqlite_store.h"
#include "store_test_support.h"

namespace fleetpki::store {
namespace {

using testing::add_tenant_with_ca;
using testing::query_plan;
using testing::TempDir;

constexpr const char* kDefaultDefinition =
    R"({"approval":"automatic","auth":["idevid","ldevid","otp"],"linking":"optional","profile":"ldevid",)"
    R"("retry_after":60,"server_keygen":true,"trusted_cas":["manufacturing"],"unknown_devices":"reject"})";

class SqliteEnrollmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.path() / "enrollment.db";
    auto store = open_sqlite_store(path_, {.durable = false});
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
    std::tie(tenant_, std::ignore) = add_tenant_with_ca(*store_, "acme");
    std::tie(other_, std::ignore) = add_tenant_with_ca(*store_, "other");
  }

  static EnrollmentEndpointRecord endpoint(std::int64_t tenant, std::string label) {
    EnrollmentEndpointRecord e;
    e.tenant_id = tenant;
    e.label = std::move(label);
    e.definition_json = R"({"profile":"ldevid"})";
    e.created_at = e.updated_at = 100;
    return e;
  }

  Result<std::int64_t> add_endpoint(std::int64_t tenant, const std::string& label) {
    std::int64_t id = 0;
    auto s = store_->write([&](Transaction& tx) -> Status {
      FLEETPKI_TRY(id, tx.insert_enrollment_endpoint(endpoint(tenant, label)));
      return ok();
    });
    if (!s) return fail(std::move(s).error());
    return id;
  }

  static EnrollmentRequestRecord request(std::int64_t tenant, std::int64_t endpoint_id, std::string key) {
    EnrollmentRequestRecord r;
    r.tenant_id = tenant;
    r.endpoint_id = endpoint_id;
    r.request_key = std::move(key);
    r.device_serial = "SN1";
    r.auth_mode = "idevid";
    r.identity = std::string(64, 'a');
    r.csr_der = Bytes{0x30, 0x03, 0x02, 0x01, 0x07};
    r.created_at = 200;
    return r;
  }

  Result<std::int64_t> add_request(const EnrollmentRequestRecord& r) {
    std::int64_t id = 0;
    auto s = store_->write([&](Transaction& tx) -> Status {
      FLEETPKI_TRY(id, tx.insert_enrollment_request(r));
      return ok();
    });
    if (!s) return fail(std::move(s).error());
    return id;
  }

  Result<std::int64_t> add_otp(std::int64_t tenant, const std::string& serial, std::int64_t expires_at,
                               std::uint8_t fill = 1) {
    std::int64_t id = 0;
    auto s = store_->write([&](Transaction& tx) -> Status {
      EnrollmentOtpRecord o;
      o.tenant_id = tenant;
      o.device_serial = serial;
      o.secret_hash = Bytes(32, fill);
      o.created_at = 100;
      o.expires_at = expires_at;
      o.created_by = "token:ops";
      FLEETPKI_TRY(id, tx.insert_enrollment_otp(o));
      return ok();
    });
    if (!s) return fail(std::move(s).error());
    return id;
  }

  std::vector<EnrollmentOtpRecord> usable_otps(std::int64_t tenant, const std::string& serial, std::int64_t now) {
    std::vector<EnrollmentOtpRecord> out;
    auto s = store_->write([&](Transaction& tx) -> Status {
      FLEETPKI_TRY(out, tx.find_usable_enrollment_otps(tenant, serial, now));
      return ok();
    });
    EXPECT_TRUE(s) << (s ? "" : s.error().detail);
    return out;
  }

  Status mark_used(std::int64_t tenant, std::int64_t id, std::int64_t now) {
    return store_->write([&](Transaction& tx) { return tx.mark_enrollment_otp_used(tenant, id, now); });
  }

  Status add_grant(std::int64_t tenant, const std::string& serial, std::int64_t created_at, std::int64_t expires_at) {
    return store_->write([&](Transaction& tx) -> Status {
      RenewalGrantRecord g;
      g.tenant_id = tenant;
      g.device_serial = serial;
      g.created_at = created_at;
      g.expires_at = expires_at;
      g.created_by = "token:ops";
      return tx.insert_renewal_grant(g).map([](std::int64_t) {});
    });
  }

  bool consume(std::int64_t tenant, const std::string& serial, std::int64_t now) {
    bool consumed = false;
    auto s = store_->write([&](Transaction& tx) -> Status {
      FLEETPKI_TRY(consumed, tx.consume_renewal_grant(tenant, serial, now));
      return ok();
    });
    EXPECT_TRUE(s) << (s ? "" : s.error().detail);
    return consumed;
  }

  /// used_at of every grant of the tenant, read directly (the store has no grant listing).
  std::vector<std::optional<std::int64_t>> grant_used_at(std::int64_t tenant) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT used_at FROM renewal_grants WHERE tenant_id = ?1 ORDER BY id", -1,
                                 &stmt, nullptr),
              SQLITE_OK);
    sqlite3_bind_int64(stmt, 1, tenant);
    std::vector<std::optional<std::int64_t>> out;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      out.push_back(sqlite3_column_type(stmt, 0) == SQLITE_NULL ? std::nullopt
                                                                 : std::optional(sqlite3_column_int64(stmt, 0)));
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return out;
  }

  TempDir dir_;
  std::filesystem::path path_;
  std::unique_ptr<Store> store_;
  std::int64_t tenant_ = 0, other_ = 0;
};

// ---- endpoints ------------------------------------------------------------------------------------

TEST_F(SqliteEnrollmentTest, EndpointsAreFoundByLabelOnBothConnections) {
  auto id = add_endpoint(tenant_, "meters");
  ASSERT_TRUE(id) << id.error().detail;
  auto found = store_->find_enrollment_endpoint("meters");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->id, *id);
  EXPECT_EQ((*found)->tenant_id, tenant_);
  EXPECT_EQ((*found)->label, "meters");
  EXPECT_EQ((*found)->definition_json, R"({"profile":"ldevid"})");
  EXPECT_FALSE((*found)->disabled);
  EXPECT_EQ((*found)->created_at, 100);
  EXPECT_EQ((*found)->updated_at, 100);
  EXPECT_EQ((*found)->row_version, 1);
  std::optional<EnrollmentEndpointRecord> in_tx;
  ASSERT_TRUE(store_->write([&](Transaction& tx) -> Status {
    FLEETPKI_TRY(in_tx, tx.find_enrollment_endpoint("meters"));
    return ok();
  }));
  ASSERT_TRUE(in_tx);
  EXPECT_EQ(in_tx->id, *id);
  auto missing = store_->find_enrollment_endpoint("nope");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
}

TEST_F(SqliteEnrollmentTest, LabelsAreUniqueAcrossTenants) {
  ASSERT_TRUE(add_endpoint(tenant_, "meters"));
  auto same_tenant = add_endpoint(tenant_, "meters");
  ASSERT_FALSE(same_tenant);
  EXPECT_EQ(same_tenant.error().code, Errc::AlreadyExists);
  auto other_tenant = add_endpoint(other_, "meters");
  ASSERT_FALSE(other_tenant);
  EXPECT_EQ(other_tenant.error().code, Errc::AlreadyExists);
  // The schema refuses empty and over-long labels and unknown tenants.
  EXPECT_FALSE(add_endpoint(tenant_, ""));
  EXPECT_FALSE(add_endpoint(tenant_, std::string(64, 'a')));
  auto no_tenant = add_endpoint(9999, "ghost");
  ASSERT_FALSE(no_tenant);
  EXPECT_EQ(no_tenant.error().code, Errc::FailedPrecondition);
}

TEST_F(SqliteEnrollmentTest, EndpointUpdatesAreVersionCheckedAndTenantBound) {
  ASSERT_TRUE(add_endpoint(tenant_, "meters"));
  auto e = **store_->find_enrollment_endpoint("meters");
  e.definition_json = R"({"profile":"other"})";
  e.disabled = true;
  e.updated_at = 500;
  ASSERT_TRUE(store_->write([&](Transaction& tx) { return tx.update_enrollment_endpoint(e); }));
  auto updated = **store_->find_enrollment_endpoint("meters");
  EXPECT_EQ(updated.definition_json, R"({"profile":"other"})");
  EXPECT_TRUE(updated.disabled);
  EXPECT_EQ(updated.updated_at, 500);
  EXPECT_EQ(updated.created_at, 100);
  EXPECT_EQ(updated.row_version, 2);
  // A stale version loses.
  auto stale = store_->write([&](Transaction& tx) { return tx.update_enrollment_endpoint(e); });
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, Errc::Aborted);
  // Another tenant cannot write it, even with the current version.
  auto foreign = updated;
  foreign.tenant_id = other_;
  foreign.disabled = false;
  auto refused = store_->write([&](Transaction& tx) { return tx.update_enrollment_endpoint(foreign); });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::Aborted);
  EXPECT_TRUE((**store_->find_enrollment_endpoint("meters")).disabled);
  // Re-enabling with the current version works.
  updated.disabled = false;
  ASSERT_TRUE(store_->write([&](Transaction& tx) { return tx.update_enrollment_endpoint(updated); }));
  EXPECT_FALSE((**store_->find_enrollment_endpoint("meters")).disabled);
  EXPECT_EQ((**store_->find_enrollment_endpoint("meters")).row_version, 3);
}

TEST_F(SqliteEnrollmentTest, EndpointsArePagedPerTenant) {
  for (const char* label : {"a", "b", "c", "d", "e"}) ASSERT_TRUE(add_endpoint(tenant_, label));
  ASSERT_TRUE(add_endpoint(other_, "x"));
  auto first = store_->list_enrollment_endpoints(tenant_, 0, 2);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->items.size(), 2u);
  EXPECT_EQ(first->items[0].label, "a");
  EXPECT_EQ(first->items[1].label, "b");
  ASSERT_TRUE(first->next_after);
  EXPECT_EQ(*first->next_after, first->items[1].id);
  auto second = store_->list_enrollment_endpoints(tenant_, *first->next_after, 2);
  ASSERT_TRUE(second);
  ASSERT_EQ(second->items.size(), 2u);
  EXPECT_EQ(second->items[0].label, "c");
  ASSERT_TRUE(second->next_after);
  auto last = store_->list_enrollment_endpoints(tenant_, *second->next_after, 2);
  ASSERT_TRUE(last);
  ASSERT_EQ(last->items.size(), 1u);
  EXPECT_EQ(last->items[0].label, "e");
  EXPECT_FALSE(last->next_after);
  // An exact fit has no next page.
  auto exact = store_->list_enrollment_endpoints(tenant_, 0, 5);
  ASSERT_TRUE(exact);
  EXPECT_EQ(exact->items.size(), 5u);
  EXPECT_FALSE(exact->next_after);
  auto other = store_->list_enrollment_endpoints(other_, 0, 100);
  ASSERT_TRUE(other);
  ASSERT_EQ(other->items.size(), 1u);
  EXPECT_EQ(other->items[0].label, "x");
  auto none = store_->list_enrollment_endpoints(9999, 0, 100);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->items.empty());
  EXPECT_FALSE(none->next_after);
}

// ---- held requests --------------------------------------------------------------------------------

TEST_F(SqliteEnrollmentTest, RequestsRoundTripAndAreFoundByKey) {
  auto ep = add_endpoint(tenant_, "meters");
  ASSERT_TRUE(ep);
  auto id = add_request(request(tenant_, *ep, "k1"));
  ASSERT_TRUE(id) << id.error().detail;
  auto found = store_->find_enrollment_request(tenant_, *id);
  ASSERT_TRUE(found && *found);
  const auto& r = **found;
  EXPECT_EQ(r.tenant_id, tenant_);
  EXPECT_EQ(r.endpoint_id, *ep);
  EXPECT_EQ(r.endpoint_label, "meters");  // read with the request, for the operator's review
  EXPECT_EQ(r.request_key, "k1");
  EXPECT_EQ(r.device_serial, "SN1");
  EXPECT_EQ(r.auth_mode, "idevid");
  EXPECT_EQ(r.identity, std::string(64, 'a'));
  EXPECT_EQ(r.csr_der, (Bytes{0x30, 0x03, 0x02, 0x01, 0x07}));
  EXPECT_EQ(r.state, kEnrollmentPending);
  EXPECT_FALSE(r.certificate_serial);
  EXPECT_FALSE(r.decided_by);
  EXPECT_FALSE(r.reason);
  EXPECT_FALSE(r.decided_at);
  EXPECT_EQ(r.created_at, 200);
  EXPECT_EQ(r.row_version, 1);
  auto by_key = store_->find_enrollment_request_by_key("k1");
  ASSERT_TRUE(by_key && *by_key);
  EXPECT_EQ((*by_key)->id, *id);
  auto no_key = store_->find_enrollment_request_by_key("k2");
  ASSERT_TRUE(no_key);
  EXPECT_FALSE(*no_key);
  std::optional<EnrollmentRequestRecord> in_tx;
  ASSERT_TRUE(store_->write([&](Transaction& tx) -> Status {
    FLEETPKI_TRY(in_tx, tx.find_enrollment_request(tenant_, *id));
    return ok();
  }));
  ASSERT_TRUE(in_tx);
  EXPECT_EQ(in_tx->request_key, "k1");
}

TEST_F(SqliteEnrollmentTest, RequestKeysAreUniqueAndTheSchemaRefusesBadRows) {
  auto ep = add_endpoint(tenant_, "meters");
  ASSERT_TRUE(ep);
  ASSERT_TRUE(add_request(request(tenant_, *ep, "k1")));
  auto dup = add_request(request(tenant_, *ep, "k1"));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::AlreadyExists);
  auto bad_state = request(tenant_, *ep, "k2");
  bad_state.state = "approved";
  EXPECT_FALSE(add_request(bad_state));
  auto bad_mode = request(tenant_, *ep, "k3");
  bad_mode.auth_mode = "password";
  EXPECT_FALSE(add_request(bad_mode));
  auto issued_without_certificate = request(tenant_, *ep, "k4");
  issued_without_certificate.state = kEnrollmentIssued;
  EXPECT_FALSE(add_request(issued_without_certificate));
  auto no_endpoint = add_request(request(tenant_, 9999, "k5"));
  ASSERT_FALSE(no_endpoint);
  EXPECT_EQ(no_endpoint.error().code, Errc::FailedPrecondition);
}

TEST_F(SqliteEnrollmentTest, RequestDecisionsAreVersionCheckedAndTenantBound) {
  auto ep = add_endpoint(tenant_, "meters");
  ASSERT_TRUE(ep);
  auto id = add_request(request(tenant_, *ep, "k1"));
  ASSERT_TRUE(id);
  auto r = **store_->find_enrollment_request(tenant_, *id);
  r.state = kEnrollmentIssued;
  r.certificate_serial = "7f01";
  r.decided_by = "token:ops";
  r.decided_at = 300;
  // Another tenant's transaction cannot decide it.
  auto foreign = r;
  foreign.tenant_id = other_;
  auto refused = store_->write([&](Transaction& tx) { return tx.update_enrollment_request(foreign); });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::Aborted);
  ASSERT_TRUE(store_->write([&](Transaction& tx) { return tx.update_enrollment_request(r); }));
  auto decided = **store_->find_enrollment_request(tenant_, *id);
  EXPECT_EQ(decided.state, kEnrollmentIssued);
  EXPECT_EQ(decided.certificate_serial.value_or(""), "7f01");
  EXPECT_EQ(decided.decided_by.value_or(""), "token:ops");
  EXPECT_EQ(decided.decided_at.value_or(0), 300);
  EXPECT_FALSE(decided.reason);
  EXPECT_EQ(decided.row_version, 2);
  // Two operators deciding at once: the second, still holding version 1, loses.
  auto racing = r;
  racing.state = kEnrollmentRejected;
  racing.certificate_serial.reset();
  racing.reason = "unknown device";
  auto stale = store_->write([&](Transaction& tx) { return tx.update_enrollment_request(racing); });
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, Errc::Aborted);
  EXPECT_EQ((**store_->find_enrollment_request(tenant_, *id)).state, kEnrollmentIssued);
}

TEST_F(SqliteEnrollmentTest, RequestsAreIsolatedByTenant) {
  auto ep = add_endpoint(tenant_, "meters");
  ASSERT_TRUE(ep);
  auto id = add_request(request(tenant_, *ep, "k1"));
  ASSERT_TRUE(id);
  auto elsewhere = store_->find_enrollment_request(other_, *id);
  ASSERT_TRUE(elsewhere);
  EXPECT_FALSE(*elsewhere);
  std::optional<EnrollmentRequestRecord> in_tx;
  ASSERT_TRUE(store_->write([&](Transaction& tx) -> Status {
    FLEETPKI_TRY(in_tx, tx.find_enrollment_request(other_, *id));
    return ok();
  }));
  EXPECT_FALSE(in_tx);
  auto page = store_->list_enrollment_requests(other_, std::nullopt, 0, 100);
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->items.empty());
  auto pending = store_->list_enrollment_requests(other_, std::string(kEnrollmentPending), 0, 100);
  ASSERT_TRUE(pending);
  EXPECT_TRUE(pending->items.empty());
}

TEST_F(SqliteEnrollmentTest, RequestsArePagedAllOrByState) {
  auto ep = add_endpoint(tenant_, "meters");
  auto other_ep = add_endpoint(other_, "elsewhere");
  ASSERT_TRUE(ep && other_ep);
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 7; ++i) {
    auto r = request(tenant_, *ep, "k" + std::to_string(i));
    if (i % 3 == 1) {
      r.state = kEnrollmentRejected;
      r.reason = "no";
    }
    auto id = add_request(r);
    ASSERT_TRUE(id);
    ids.push_back(*id);
    ASSERT_TRUE(add_request(request(other_, *other_ep, "o" + std::to_string(i))));
  }
  // All states: 7 rows in pages of 3, ascending, cursor = last id of the page.
  std::vector<std::int64_t> seen;
  std::int64_t after = 0;
  int pages = 0;
  while (true) {
    auto page = store_->list_enrollment_requests(tenant_, std::nullopt, after, 3);
    ASSERT_TRUE(page);
    ++pages;
    for (const auto& r : page->items) {
      EXPECT_EQ(r.tenant_id, tenant_);
      seen.push_back(r.id);
    }
    if (!page->next_after) break;
    EXPECT_EQ(*page->next_after, page->items.back().id);
    after = *page->next_after;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, ids);
  // One state: the pending ones (indexes 0, 2, 3, 5, 6).
  auto pending = store_->list_enrollment_requests(tenant_, std::string(kEnrollmentPending), 0, 4);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->items.size(), 4u);
  EXPECT_EQ(pending->items[0].id, ids[0]);
  EXPECT_EQ(pending->items[3].id, ids[5]);
  ASSERT_TRUE(pending->next_after);
  auto rest = store_->list_enrollment_requests(tenant_, std::string(kEnrollmentPending), *pending->next_after, 4);
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->items.size(), 1u);
  EXPECT_EQ(rest->items[0].id, ids[6]);
  EXPECT_FALSE(rest->next_after);
  auto rejected = store_->list_enrollment_requests(tenant_, std::string(kEnrollmentRejected), 0, 100);
  ASSERT_TRUE(rejected);
  ASSERT_EQ(rejected->items.size(), 2u);
  EXPECT_EQ(rejected->items[0].reason.value_or(""), "no");
  auto issued = store_->list_enrollment_requests(tenant_, std::string(kEnrollmentIssued), 0, 100);
  ASSERT_TRUE(issued);
  EXPECT_TRUE(issued->items.empty());
  EXPECT_FALSE(issued->next_after);
}

// ---- one-time passwords ---------------------------------------------------------------------------

TEST_F(SqliteEnrollmentTest, UsableOtpsAreUnusedUnexpiredNewestFirst) {
  auto old_otp = add_otp(tenant_, "SN1", 1000, 1);
  auto new_otp = add_otp(tenant_, "SN1", 2000, 2);
  auto expired = add_otp(tenant_, "SN1", 500, 3);
  auto other_device = add_otp(tenant_, "SN2", 2000, 4);
  auto other_tenant = add_otp(other_, "SN1", 2000, 5);
  ASSERT_TRUE(old_otp && new_otp && expired && other_device && other_tenant);
  auto usable = usable_otps(tenant_, "SN1", 600);
  ASSERT_EQ(usable.size(), 2u);
  EXPECT_EQ(usable[0].id, *new_otp);
  EXPECT_EQ(usable[1].id, *old_otp);
  EXPECT_EQ(usable[0].tenant_id, tenant_);
  EXPECT_EQ(usable[0].device_serial, "SN1");
  EXPECT_EQ(usable[0].secret_hash, Bytes(32, 2));
  EXPECT_EQ(usable[0].created_at, 100);
  EXPECT_EQ(usable[0].expires_at, 2000);
  EXPECT_FALSE(usable[0].used_at);
  EXPECT_EQ(usable[0].created_by, "token:ops");
  // Expiry is exclusive: at expires_at the password is no longer usable.
  auto at_expiry = usable_otps(tenant_, "SN1", 1000);
  ASSERT_EQ(at_expiry.size(), 1u);
  EXPECT_EQ(at_expiry[0].id, *new_otp);
  EXPECT_TRUE(usable_otps(tenant_, "SN1", 2000).empty());
  EXPECT_TRUE(usable_otps(tenant_, "SN9", 0).empty());
  // The schema stores only 32-byte hashes.
  std::int64_t ignored = 0;
  auto short_hash = store_->write([&](Transaction& tx) -> Status {
    EnrollmentOtpRecord o;
    o.tenant_id = tenant_;
    o.device_serial = "SN1";
    o.secret_hash = Bytes(16, 1);
    o.expires_at = 2000;
    o.created_by = "x";
    FLEETPKI_TRY(ignored, tx.insert_enrollment_otp(o));
    return ok();
  });
  EXPECT_FALSE(short_hash);
}

TEST_F(SqliteEnrollmentTest, UsableOtpsAreCappedAtSixteen) {
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(add_otp(tenant_, "SN1", 2000, static_cast<std::uint8_t>(i)));
  auto usable = usable_otps(tenant_, "SN1", 0);
  ASSERT_EQ(usable.size(), 16u);
  EXPECT_EQ(usable.front().secret_hash, Bytes(32, 19));  // newest first
  EXPECT_GT(usable.front().id, usable.back().id);
}

TEST_F(SqliteEnrollmentTest, AnOtpIsUsedOnceAndOnlyInItsTenant) {
  auto id = add_otp(tenant_, "SN1", 2000);
  ASSERT_TRUE(id);
  auto foreign = mark_used(other_, *id, 700);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, Errc::NotFound);
  auto missing = mark_used(tenant_, 9999, 700);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::NotFound);
  ASSERT_EQ(usable_otps(tenant_, "SN1", 600).size(), 1u);  // still usable after the refusals
  ASSERT_TRUE(mark_used(tenant_, *id, 700));
  EXPECT_TRUE(usable_otps(tenant_, "SN1", 600).empty());
  // The racing second enrollment loses, and the first use time is kept.
  auto again = mark_used(tenant_, *id, 800);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::Aborted);
}

// ---- renewal grants -------------------------------------------------------------------------------

TEST_F(SqliteEnrollmentTest, RenewalGrantsAreConsumedOldestFirstOnce) {
  EXPECT_FALSE(consume(tenant_, "SN1", 100));  // none
  ASSERT_TRUE(add_grant(tenant_, "SN1", 100, 150));  // expires first
  ASSERT_TRUE(add_grant(tenant_, "SN1", 110, 1000));
  ASSERT_TRUE(add_grant(tenant_, "SN1", 120, 1000));
  ASSERT_TRUE(add_grant(tenant_, "SN2", 120, 1000));
  ASSERT_TRUE(add_grant(other_, "SN1", 120, 1000));
  // At 200 the first grant has expired: the second is consumed, then the third, then none.
  EXPECT_TRUE(consume(tenant_, "SN1", 200));
  EXPECT_EQ(grant_used_at(tenant_),
            (std::vector<std::optional<std::int64_t>>{std::nullopt, 200, std::nullopt, std::nullopt}));
  EXPECT_TRUE(consume(tenant_, "SN1", 210));
  EXPECT_FALSE(consume(tenant_, "SN1", 220));
  EXPECT_EQ(grant_used_at(tenant_),
            (std::vector<std::optional<std::int64_t>>{std::nullopt, 200, 210, std::nullopt}));
  // The other tenant's grant for the same serial is untouched, and can be consumed there.
  EXPECT_EQ(grant_used_at(other_), (std::vector<std::optional<std::int64_t>>{std::nullopt}));
  EXPECT_TRUE(consume(other_, "SN1", 220));
  EXPECT_FALSE(consume(other_, "SN1", 230));
  // Expiry is exclusive.
  ASSERT_TRUE(add_grant(tenant_, "SN3", 100, 300));
  EXPECT_FALSE(consume(tenant_, "SN3", 300));
}

// ---- migration ------------------------------------------------------------------------------------

TEST(SqliteEnrollmentMigration, AddsTheDefaultEndpointToAnExistingDefaultTenant) {
  TempDir dir;
  const auto path = dir.path() / "old.db";
  {
    auto opened = open_sqlite_store(path, {.durable = false});
    ASSERT_TRUE(opened) << opened.error().message;
  }
  // Roll the database back to schema 0007 with a "default" tenant, as an existing data directory:
  // the later migrations' triggers (0009) and tables go too.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  std::string downgrade;
  auto add_drop = [](void* out, int, char** values, char**) {
    *static_cast<std::string*>(out) += std::string("DROP TRIGGER ") + values[0] + "; ";
    return 0;
  };
  char* error = nullptr;
  ASSERT_EQ(sqlite3_exec(db, "SELECT name FROM sqlite_master WHERE type = 'trigger'", add_drop, &downgrade, &error),
            SQLITE_OK)
      << (error ? error : "");
  downgrade +=
      "DROP TABLE endpoint_crls; DROP TABLE configuration_changes; DROP TABLE configuration_version; "
      "DROP TABLE renewal_grants; DROP TABLE enrollment_otps; DROP TABLE enrollment_requests; "
      "DROP TABLE enrollment_endpoints; DELETE FROM schema_migrations WHERE version >= 8; "
      "INSERT INTO tenants (name, created_at) VALUES ('other', 1), ('default', 1);";
  ASSERT_EQ(sqlite3_exec(db, downgrade.c_str(), nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
  sqlite3_close(db);

  auto reopened = open_sqlite_store(path, {.durable = false});
  ASSERT_TRUE(reopened) << reopened.error().message;
  auto& store = **reopened;
  auto tenant = store.find_tenant("default");
  ASSERT_TRUE(tenant && *tenant);
  auto endpoint = store.find_enrollment_endpoint("default");
  ASSERT_TRUE(endpoint && *endpoint);
  EXPECT_EQ((*endpoint)->tenant_id, (*tenant)->id);
  EXPECT_EQ((*endpoint)->definition_json, kDefaultDefinition);
  EXPECT_FALSE((*endpoint)->disabled);
  EXPECT_EQ((*endpoint)->row_version, 1);
  EXPECT_GT((*endpoint)->created_at, 1'700'000'000);
  EXPECT_EQ((*endpoint)->updated_at, (*endpoint)->created_at);
  auto other = store.find_tenant("other");
  ASSERT_TRUE(other && *other);
  auto others = store.list_enrollment_endpoints((*other)->id, 0, 10);
  ASSERT_TRUE(others);
  EXPECT_TRUE(others->items.empty());
}

TEST(SqliteEnrollmentMigration, AddsNothingToANewStore) {
  TempDir dir;
  auto opened = open_sqlite_store(dir.path() / "new.db", {.durable = false});
  ASSERT_TRUE(opened) << opened.error().message;
  auto endpoint = (*opened)->find_enrollment_endpoint("default");
  ASSERT_TRUE(endpoint);
  EXPECT_FALSE(*endpoint);  // Authority::create_tenant adds it with the tenant "default"
}

// ---- plans ----------------------------------------------------------------------------------------

TEST_F(SqliteEnrollmentTest, SpentCredentialsOfOneDeviceArePurgedAfterTheirTime) {
  auto used_old = add_otp(tenant_, "SN1", 5000, 1);
  auto used_recent = add_otp(tenant_, "SN1", 5000, 2);
  auto expired_old = add_otp(tenant_, "SN1", 900, 3);
  auto usable = add_otp(tenant_, "SN1", 5000, 4);
  auto other_device = add_otp(tenant_, "SN2", 900, 5);
  auto other_tenant = add_otp(other_, "SN1", 900, 6);
  ASSERT_TRUE(used_old && used_recent && expired_old && usable && other_device && other_tenant);
  ASSERT_TRUE(mark_used(tenant_, *used_old, 800));
  ASSERT_TRUE(mark_used(tenant_, *used_recent, 1200));
  ASSERT_TRUE(add_grant(tenant_, "SN1", 100, 900));   // expired before 1000
  ASSERT_TRUE(add_grant(tenant_, "SN1", 100, 5000));  // then used at 950 (the first has expired)
  ASSERT_TRUE(consume(tenant_, "SN1", 950));
  ASSERT_TRUE(add_grant(tenant_, "SN1", 100, 5000));  // usable
  ASSERT_TRUE(add_grant(other_, "SN1", 100, 900));

  std::int64_t purged = 0;
  ASSERT_TRUE(store_->write([&](Transaction& tx) -> Status {
    FLEETPKI_TRY(purged, tx.purge_spent_enrollment_credentials(tenant_, "SN1", 1000));
    return ok();
  }));
  EXPECT_EQ(purged, 4);  // used_old, expired_old, and the two spent grants
  // What is left: the recently used and the usable OTP; the usable grant; other devices and tenants.
  auto left = usable_otps(tenant_, "SN1", 0);
  ASSERT_EQ(left.size(), 1u);  // used_recent is kept but not usable
  EXPECT_EQ(left[0].id, *usable);
  EXPECT_EQ(grant_used_at(tenant_).size(), 1u);
  EXPECT_EQ(grant_used_at(other_).size(), 1u);
  EXPECT_EQ(usable_otps(tenant_, "SN2", 0).size(), 1u);
  EXPECT_EQ(usable_otps(other_, "SN1", 0).size(), 1u);
  auto again = mark_used(tenant_, *used_recent, 1300);  // still there: Aborted, not NotFound
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::Aborted);
  auto gone = mark_used(tenant_, *used_old, 1300);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, Errc::NotFound);
}

TEST_F(SqliteEnrollmentTest, ExpiredCredentialsOfATenantArePurgedOldestFirstUpToALimit) {
  ASSERT_TRUE(add_otp(tenant_, "SN3", 300, 1));
  ASSERT_TRUE(add_otp(tenant_, "SN1", 100, 2));
  ASSERT_TRUE(add_otp(tenant_, "SN2", 200, 3));
  ASSERT_TRUE(add_otp(tenant_, "SN4", 5000, 4));  // not expired before 1000
  ASSERT_TRUE(add_otp(other_, "SN1", 100, 5));    // another tenant's
  ASSERT_TRUE(add_grant(tenant_, "SN5", 50, 150));
  ASSERT_TRUE(add_grant(tenant_, "SN6", 50, 5000));
  auto purge = [&](int limit) {
    std::int64_t purged = -1;
    auto done = store_->write([&](Transaction& tx) -> Status {
      FLEETPKI_TRY(purged, tx.purge_expired_enrollment_credentials(tenant_, 1000, limit));
      return ok();
    });
    EXPECT_TRUE(done) << (done ? "" : done.error().detail);
    return purged;
  };
  auto otp_expiries = [&](std::int64_t tenant) {
    std::vector<std::int64_t> out;
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT expires_at FROM enrollment_otps WHERE tenant_id = ? ORDER BY expires_at",
                                 -1, &st, nullptr),
              SQLITE_OK);
    sqlite3_bind_int64(st, 1, tenant);
    while (sqlite3_step(st) == SQLITE_ROW) out.push_back(sqlite3_column_int64(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
  };
  EXPECT_EQ(purge(2), 3);  // the two oldest OTPs (100, 200) and the expired grant
  EXPECT_EQ(otp_expiries(tenant_), (std::vector<std::int64_t>{300, 5000}));
  EXPECT_EQ(purge(2), 1);  // the last expired OTP
  EXPECT_EQ(purge(2), 0);
  EXPECT_EQ(otp_expiries(tenant_), (std::vector<std::int64_t>{5000}));
  EXPECT_EQ(otp_expiries(other_), (std::vector<std::int64_t>{100}));  // never another tenant's
  EXPECT_EQ(grant_used_at(tenant_).size(), 1u);

  const std::string plan = query_plan(
      path_, "SELECT id FROM enrollment_otps WHERE tenant_id = 1 AND expires_at < 1000 ORDER BY expires_at LIMIT 100");
  EXPECT_NE(plan.find("enrollment_otps_tenant_expires (tenant_id=? AND expires_at<?)"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
}

TEST_F(SqliteEnrollmentTest, EndpointCrlsAreOnePerAnchorAndSummarizedWithNames) {
  auto ep = add_endpoint(tenant_, "meters");
  ASSERT_TRUE(ep);
  EndpointCrlRecord crl;
  crl.tenant_id = tenant_;
  crl.endpoint_id = *ep;
  crl.issuer_sha256 = std::string(64, 'a');
  crl.crl_der = Bytes{0x30, 0x00};
  crl.crl_number = "05";
  crl.this_update = 100;
  crl.next_update = 200;
  crl.revoked_count = 3;
  crl.created_at = 100;
  ASSERT_TRUE(store_->write([&](Transaction& tx) { return tx.put_endpoint_crl(crl); }));
  crl.crl_number = "06";  // the same anchor again: replaces, never adds
  crl.revoked_count = 4;
  crl.next_update.reset();
  ASSERT_TRUE(store_->write([&](Transaction& tx) { return tx.put_endpoint_crl(crl); }));
  auto stored = store_->list_endpoint_crls(tenant_, *ep);
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0].crl_number.value_or(""), "06");
  EXPECT_FALSE((*stored)[0].next_update);
  auto other = store_->list_endpoint_crls(other_, *ep);  // another tenant sees none
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->empty());
  auto summaries = store_->list_endpoint_crl_summaries();
  ASSERT_TRUE(summaries);
  ASSERT_EQ(summaries->size(), 1u);
  EXPECT_EQ((*summaries)[0].endpoint, "meters");
  EXPECT_FALSE((*summaries)[0].tenant.empty());
  EXPECT_EQ((*summaries)[0].revoked_count, 4);
}

TEST_F(SqliteEnrollmentTest, HotLookupsAreIndexSeeks) {
  using namespace sqlite_enrollment;
  auto by_label = query_plan(path_, std::string("SELECT ") + kEndpointColumns +
                                        " FROM enrollment_endpoints WHERE " + kFindEndpointByLabelWhere);
  EXPECT_NE(by_label.find("USING INDEX sqlite_autoindex_enrollment_endpoints_1 (label=?)"), std::string::npos)
      << by_label;
  auto by_key = query_plan(path_, std::string("SELECT ") + kRequestColumns + " FROM enrollment_requests WHERE " +
                                      kFindRequestByKeyWhere);
  EXPECT_NE(by_key.find("USING INDEX sqlite_autoindex_enrollment_requests_1 (request_key=?)"), std::string::npos)
      << by_key;
  auto otps = query_plan(path_, kUsableOtpsSql);
  EXPECT_NE(otps.find("USING INDEX enrollment_otps_device (tenant_id=? AND device_serial=?)"), std::string::npos)
      << otps;
  EXPECT_EQ(otps.find("TEMP B-TREE"), std::string::npos) << otps;  // newest first from the index order
  auto grants = query_plan(path_, std::string("SELECT id FROM renewal_grants WHERE ") + kUsableGrantWhere);
  EXPECT_NE(grants.find("renewal_grants_device (tenant_id=? AND device_serial=?)"), std::string::npos) << grants;
  EXPECT_EQ(grants.find("TEMP B-TREE"), std::string::npos) << grants;
  auto by_id = query_plan(path_, std::string("SELECT ") + kRequestColumns +
                                     " FROM enrollment_requests WHERE id = ?2 AND tenant_id = ?1");
  EXPECT_NE(by_id.find("SEARCH enrollment_requests USING INTEGER PRIMARY KEY (rowid=?)"), std::string::npos) << by_id;
  // The endpoint label read with every request is a primary-key seek, not a scan.
  EXPECT_NE(by_id.find("SEARCH enrollment_endpoints USING INTEGER PRIMARY KEY (rowid=?)"), std::string::npos) << by_id;
}

TEST_F(SqliteEnrollmentTest, ListingsAreIndexSeeksWithoutSorting) {
  using namespace sqlite_enrollment;
  auto endpoints = query_plan(path_, std::string("SELECT ") + kEndpointColumns +
                                         " FROM enrollment_endpoints WHERE tenant_id = ?1 AND id > ?2 "
                                         "ORDER BY id LIMIT ?3");
  EXPECT_NE(endpoints.find("enrollment_endpoints_tenant_id (tenant_id=? AND id>?)"), std::string::npos)
      << endpoints;
  EXPECT_EQ(endpoints.find("TEMP B-TREE"), std::string::npos) << endpoints;
  const std::string requests = std::string("SELECT ") + kRequestColumns +
                               " FROM enrollment_requests WHERE tenant_id = ?1 AND id > ?2";
  auto all = query_plan(path_, requests + " ORDER BY id LIMIT ?3");
  EXPECT_NE(all.find("enrollment_requests_tenant_id (tenant_id=? AND id>?)"), std::string::npos) << all;
  EXPECT_EQ(all.find("TEMP B-TREE"), std::string::npos) << all;
  auto by_state = query_plan(path_, requests + " AND state = ?4 ORDER BY id LIMIT ?3");
  EXPECT_NE(by_state.find("enrollment_requests_tenant_state_id (tenant_id=? AND state=? AND id>?)"),
            std::string::npos)
      << by_state;
  EXPECT_EQ(by_state.find("TEMP B-TREE"), std::string::npos) << by_state;
}

}  // namespace
}  // namespace fleetpki::store
