// Unit tests of the audit part of the SQLite store (issue #4): filtered pages with tenant
// isolation and cursors, the chain head, checkpoints (insert, list, latest, duplicate ids, counts
// read inside a write transaction) and the query plan of the tenant listing.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "store/audit_chain.h"
#include "store/sqlite/sqlite_store.h"
#include "store_test_support.h"

namespace fleetpki::store {
namespace {

using testing::TempDir;

class SqliteAuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.path() / "fleetpki.db";
    auto opened = open_sqlite_store(path_, {.durable = false});
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
    auto a = store_->write([&](Transaction& tx) -> Status {
      FLEETPKI_TRY(auto t1, tx.insert_tenant("alpha", 1));
      FLEETPKI_TRY(auto t2, tx.insert_tenant("beta", 1));
      alpha_ = t1.id;
      beta_ = t2.id;
      return ok();
    });
    ASSERT_TRUE(a);
    // 12 events: alternating tenants, every third platform-wide, times 100..111.
    for (int i = 0; i < 12; ++i) {
      AuditEvent e;
      e.tenant_id = i % 3 == 2 ? std::nullopt : std::optional<std::int64_t>(i % 2 ? beta_ : alpha_);
      e.actor = i < 6 ? "alice" : "bob";
      e.action = i % 4 == 0 ? "certificate.issue" : "token.create";
      e.object = "o" + std::to_string(i);
      e.request_id = "r";
      e.at = 100 + i;
      ASSERT_TRUE(store_->write([&](Transaction& tx) { return tx.append_audit(e); }));
    }
  }

  std::vector<std::int64_t> ids(const AuditFilter& filter) {
    auto page = store_->list_audit_page(filter);
    EXPECT_TRUE(page) << page.error().message;
    std::vector<std::int64_t> out;
    if (page) {
      for (const auto& e : page->items) out.push_back(e.id);
    }
    return out;
  }

  TempDir dir_;
  std::filesystem::path path_;
  std::unique_ptr<Store> store_;
  std::int64_t alpha_ = 0, beta_ = 0;
};

TEST_F(SqliteAuditTest, TenantFilterReturnsOnlyThatTenant) {
  auto page = store_->list_audit_page({.tenant_id = alpha_, .limit = 1000});
  ASSERT_TRUE(page);
  ASSERT_FALSE(page->items.empty());
  for (const auto& e : page->items) EXPECT_EQ(e.tenant_id, alpha_);
  EXPECT_EQ(ids({.tenant_id = alpha_}), (std::vector<std::int64_t>{1, 5, 7, 11}));
  EXPECT_EQ(ids({.tenant_id = 999}), std::vector<std::int64_t>{});
}

TEST_F(SqliteAuditTest, EveryFilterNarrowsTheSelection) {
  EXPECT_EQ(ids({.action = "certificate.issue"}), (std::vector<std::int64_t>{1, 5, 9}));
  EXPECT_EQ(ids({.object = "o4"}), (std::vector<std::int64_t>{5}));
  EXPECT_EQ(ids({.actor = "bob", .since = 108}), (std::vector<std::int64_t>{9, 10, 11, 12}));
  EXPECT_EQ(ids({.since = 102, .until = 105}), (std::vector<std::int64_t>{3, 4, 5}));
  EXPECT_EQ(ids({.tenant_id = beta_, .action = "token.create", .actor = "alice"}),
            (std::vector<std::int64_t>{2, 4}));
}

TEST_F(SqliteAuditTest, PagesCarryACursorOnlyWhenMoreFollow) {
  auto first = store_->list_audit_page({.limit = 5});
  ASSERT_TRUE(first);
  EXPECT_EQ(first->items.size(), 5u);
  ASSERT_TRUE(first->next_after_id);
  EXPECT_EQ(*first->next_after_id, 5);
  auto last = store_->list_audit_page({.after_id = 10, .limit = 2});
  ASSERT_TRUE(last);
  EXPECT_EQ(last->items.size(), 2u);
  EXPECT_FALSE(last->next_after_id);  // exactly full, nothing after: no empty trailing page
  auto clamped = store_->list_audit_page({.limit = 0});
  ASSERT_TRUE(clamped);
  EXPECT_EQ(clamped->items.size(), 1u);
}

TEST_F(SqliteAuditTest, HeadIsTheNewestEvent) {
  auto head = store_->audit_head();
  ASSERT_TRUE(head && *head);
  EXPECT_EQ((*head)->last_event_id, 12);
  auto all = store_->list_audit(std::nullopt, 11, 10);
  ASSERT_TRUE(all && all->size() == 1);
  EXPECT_EQ((*head)->last_event_hash, (*all)[0].hash);
}

TEST_F(SqliteAuditTest, CheckpointsRoundTripAndIdsAreUnique) {
  AuditCheckpoint cp{1, 12, "ab", 12, 500, "kid", Bytes{1, 2, 3}};
  auto counted = store_->write([&](Transaction& tx) -> Status {
    FLEETPKI_TRY(auto head, tx.audit_head());
    EXPECT_EQ(head->last_event_id, 12);
    FLEETPKI_TRY(std::int64_t n, tx.count_audit_events(4, 12));
    EXPECT_EQ(n, 8);
    FLEETPKI_TRY(auto none, tx.latest_audit_checkpoint());
    EXPECT_FALSE(none);
    return tx.insert_audit_checkpoint(cp);
  });
  ASSERT_TRUE(counted) << counted.error().message;
  auto dup = store_->write([&](Transaction& tx) { return tx.insert_audit_checkpoint(cp); });
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::AlreadyExists);
  cp.id = 2;
  ASSERT_TRUE(store_->write([&](Transaction& tx) { return tx.insert_audit_checkpoint(cp); }));
  auto latest = store_->latest_audit_checkpoint();
  ASSERT_TRUE(latest && *latest);
  EXPECT_EQ((*latest)->id, 2);
  EXPECT_EQ((*latest)->signature, (Bytes{1, 2, 3}));
  EXPECT_EQ((*latest)->key_id, "kid");
  auto listed = store_->list_audit_checkpoints(1, 10);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, 2);
}

TEST_F(SqliteAuditTest, TenantListingSeeksTheTenantIndex) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  const char* sql =
      "EXPLAIN QUERY PLAN SELECT id FROM audit_events WHERE id > ?1 AND tenant_id = ?3 "
      "ORDER BY id LIMIT ?2";
  ASSERT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK);
  std::string plan;
  while (sqlite3_step(st) == SQLITE_ROW) plan += reinterpret_cast<const char*>(sqlite3_column_text(st, 3));
  sqlite3_finalize(st);
  sqlite3_close(db);
  EXPECT_NE(plan.find("audit_events_tenant_id"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
}

}  // namespace
}  // namespace fleetpki::store
