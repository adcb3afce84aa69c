// Unit tests of the lifecycle and revocation ports (issue #3) of the SQLite store: CRL partitions,
// renewals, the status change log, CRL numbers and storage, OCSP responders, bulk jobs, metrics
// counts, the 0001 -> 0002 migration and the index layout the hot paths rely on.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_store.h"
#include "store_test_support.h"

namespace fleetpki::store {
namespace {

using testing::add_tenant_with_ca;
using testing::make_certificate;
using testing::TempDir;

/// Raw read-only access to the database file, for what the port does not expose (plans, pages).
class RawDb final {
 public:
  explicit RawDb(const std::filesystem::path& path, bool read_only = true) {
    int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, flags, nullptr), SQLITE_OK);
  }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  void exec(const std::string& sql) {
    char* message = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
    EXPECT_EQ(rc, SQLITE_OK) << (message != nullptr ? message : "") << "\n" << sql;
    sqlite3_free(message);
  }

  /// Every row of the first column, as text.
  std::vector<std::string> column(const std::string& sql) {
    std::vector<std::string> out;
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db_) << "\n"
        << sql;
    while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      out.emplace_back(text != nullptr ? reinterpret_cast<const char*>(text) : "");
    }
    sqlite3_finalize(stmt);
    return out;
  }

  /// The plan's detail lines joined by '\n'.
  std::string plan(const std::string& sql) {
    std::string out;
    sqlite3_stmt* stmt = nullptr;
    std::string explain = "EXPLAIN QUERY PLAN " + sql;
    EXPECT_EQ(sqlite3_prepare_v2(db_, explain.c_str(), -1, &stmt, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db_) << "\n"
        << sql;
    while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
      out += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3));
      out += '\n';
    }
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

class SqliteLifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.path() / "fleetpki.db";
    reopen();
  }

  void reopen() {
    store_.reset();
    auto opened = open_sqlite_store(path_);
    ASSERT_TRUE(opened) << opened.error().message << " / " << opened.error().detail;
    store_ = std::move(*opened);
  }

  std::int64_t insert(const CertificateRecord& cert) {
    std::int64_t id = 0;
    auto status = store_->write([&](Transaction& tx) -> Status {
      FLEETPKI_TRY(id, tx.insert_certificate(cert));
      return ok();
    });
    EXPECT_TRUE(status) << (status ? "" : status.error().detail);
    return id;
  }

  std::int64_t add_ca(std::int64_t tenant_id, const std::string& name, int crl_partitions = 1) {
    std::int64_t id = 0;
    auto status = store_->write([&](Transaction& tx) -> Status {
      CaRecord ca;
      ca.tenant_id = tenant_id;
      ca.name = name;
      ca.key_ref = "software:" + name;
      ca.certificate_der = Bytes{0x30, 0x00};
      ca.crl_partitions = crl_partitions;
      FLEETPKI_TRY(id, tx.insert_ca(ca));
      return ok();
    });
    EXPECT_TRUE(status) << (status ? "" : status.error().detail);
    return id;
  }

  Result<std::int64_t> allocate_crl_number(std::int64_t ca_id, int partition) {
    std::int64_t number = 0;
    auto status = store_->write([&](Transaction& tx) -> Status {
      FLEETPKI_TRY(number, tx.next_crl_number(ca_id, partition));
      return ok();
    });
    if (!status) {
      return fail(std::move(status).error());
    }
    return number;
  }

  static CrlRecord make_crl(std::int64_t ca_id, int partition, std::int64_t number,
                            std::optional<std::int64_t> base_number = std::nullopt) {
    CrlRecord crl;
    crl.ca_id = ca_id;
    crl.partition = partition;
    crl.number = number;
    crl.base_number = base_number;
    crl.this_update = 1'700'000'000 + number;
    crl.next_update = 1'700'086'400 + number;
    crl.last_change_id = number * 10;
    crl.der = Bytes{0x30, 0x01, static_cast<std::uint8_t>(number)};
    return crl;
  }

  /// Issues a CRL of the scope: allocates its number and stores it in one transaction.
  Result<std::int64_t> publish_crl(std::int64_t ca_id, int partition, bool delta = false) {
    std::int64_t number = 0;
    auto status = store_->write([&](Transaction& tx) -> Status {
      FLEETPKI_TRY(number, tx.next_crl_number(ca_id, partition));
      return tx.insert_crl(make_crl(ca_id, partition, number,
                                    delta ? std::optional<std::int64_t>(1) : std::nullopt));
    });
    if (!status) {
      return fail(std::move(status).error());
    }
    return number;
  }

  std::vector<RevokedEntry> revoked(std::int64_t ca_id, int partition,
                                    std::int64_t not_after_from) {
    std::vector<RevokedEntry> out;
    auto status = store_->for_each_revoked(ca_id, partition, not_after_from,
                                           [&](const RevokedEntry& e) -> Status {
                                             out.push_back(e);
                                             return ok();
                                           });
    EXPECT_TRUE(status) << (status ? "" : status.error().detail);
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.serial_hex < b.serial_hex; });
    return out;
  }

  TempDir dir_;
  std::filesystem::path path_;
  std::unique_ptr<Store> store_;
};

// ---- certificates: new columns, lookups, renewals --------------------------------------------

TEST_F(SqliteLifecycleTest, CertificateCarriesCrlPartitionAndRenewalOf) {
  auto [tenant, ca] = add_tenant_with_ca(*store_, "acme");
  auto original = make_certificate(tenant, ca, "0a");
  original.crl_partition = 3;
  std::int64_t original_id = insert(original);
  auto renewal = make_certificate(tenant, ca, "0b");
  renewal.renewal_of = original_id;
  insert(renewal);

  auto found = store_->find_certificate(tenant, "0a");
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->crl_partition, 3);
  EXPECT_FALSE((*found)->renewal_of.has_value());
  auto by_ca = store_->find_certificate_by_ca(ca, "0b");
  ASSERT_TRUE(by_ca && by_ca->has_value());
  EXPECT_EQ((*by_ca)->crl_partition, 0);
  EXPECT_EQ((*by_ca)->renewal_of, original_id);
  CertificateFilter filter;
  auto listed = store_->list_certificates(tenant, filter);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->items.size(), 2u);
  EXPECT_EQ(listed->items[0].crl_partition, 3);
  EXPECT_EQ(listed->items[1].renewal_of, original_id);
}

TEST_F(SqliteLifecycleTest, RenewalOfMustNameAnExistingCertificate) {
  auto [tenant, ca] = add_tenant_with_ca(*store_, "acme");
  auto cert = make_certificate(tenant, ca, "0c");
  cert.renewal_of = 4242;
  auto status = store_->write([&](Transaction& tx) -> Status {
    return tx.insert_certificate(cert).transform([](auto) {});
  });
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, Errc::FailedPrecondition);
}

TEST_F(SqliteLifecycleTest, NegativeCrlPartitionOfACertificateIsRefused) {
  auto [tenant, ca] = add_tenant_with_ca(*store_, "acme");
  auto cert = make_certificate(tenant, ca, "0d");
  cert.crl_partition = -1;
  auto status = store_->write([&](Transaction& tx) -> Status {
    return tx.insert_certificate(cert).transform([](auto) {});
  });
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, Errc::Internal);  // CHECK constraint: a bug in the caller
}

TEST_F(SqliteLifecycleTest, FindCertificateByCaIgnoresTenantButNotCa) {
  auto [tenant_a, ca_a] = add_tenant_with_ca(*store_, "a");
  auto [tenant_b, ca_b] = add_tenant_with_ca(*store_, "b");
  auto cert_a = make_certificate(tenant_a, ca_a, "5e41");
  cert_a.subject = "CN=a";
  insert(cert_a);
  auto cert_b = make_certificate(tenant_b, ca_b, "5e41");
  cert_b.subject = "CN=b";
  insert(cert_b);

  auto a = store_->find_certificate_by_ca(ca_a, "5e41");
  ASSERT_TRUE(a && a->has_value());
  EXPECT_EQ((*a)->tenant_id, tenant_a);
  EXPECT_EQ((*a)->subject, "CN=a");
  auto b = store_->find_certificate_by_ca(ca_b, "5e41");
  ASSERT_TRUE(b && b->has_value());
  EXPECT_EQ((*b)->subject, "CN=b");
  auto other_serial = store_->find_certificate_by_ca(ca_a, "5e42");
  ASSERT_TRUE(other_serial);
  EXPECT_FALSE(other_serial->has_value());
  auto unknown_ca = store_->find_certificate_by_ca(ca_b + 100, "5e41");
  ASSERT_TRUE(unknown_ca);
  EXPECT_FALSE(unknown_ca->has_value());
}

TEST_F(SqliteLifecycleTest, TransactionFindCertificateSeesOwnWritesAndOnlyItsTenant) {
  auto [tenant_a, ca_a] = add_tenant_with_ca(*store_, "a");
  auto [tenant_b, ca_b] = add_tenant_with_ca(*store_, "b");
  (void)ca_b;
  ASSERT_TRUE(
      store_->write([&, ta = tenant_a, tb = tenant_b, ca = ca_a](Transaction& tx) -> Status {
        FLEETPKI_TRY(std::int64_t id, tx.insert_certificate(make_certificate(ta, ca, "77aa")));
        FLEETPKI_TRY(auto mine, tx.find_certificate(ta, "77aa"));
        EXPECT_TRUE(mine.has_value());
        EXPECT_EQ(mine ? mine->id : 0, id);
        FLEETPKI_TRY(auto theirs, tx.find_certificate(tb, "77aa"));
        EXPECT_FALSE(theirs.has_value()) << "another tenant's certificate must not be visible";
        FLEETPKI_RETURN_IF_ERROR(
            tx.update_certificate_status(ta, id, kStatusRevoked, 1'750'000'000, 1, 1));
        FLEETPKI_TRY(auto after, tx.find_certificate(ta, "77aa"));
        EXPECT_EQ(after ? after->status : "", kStatusRevoked);
        EXPECT_EQ(after ? after->row_version : 0, 2);
        FLEETPKI_TRY(auto missing, tx.find_certificate(ta, "77ab"));
        EXPECT_FALSE(missing.has_value());
        return ok();
      }));
  // The tenant-scoped read also holds for the committed certificate.
  ASSERT_TRUE(store_->write([&, tb = tenant_b](Transaction& tx) -> Status {
    FLEETPKI_TRY(auto theirs, tx.find_certificate(tb, "77aa"));
    EXPECT_FALSE(theirs.has_value());
    return ok();
  }));
}

TEST_F(SqliteLifecycleTest, ListRenewalsReturnsDirectRenewalsOfTheTenantOnly) {
  auto [tenant, ca] = add_tenant_with_ca(*store_, "acme");
  auto [other, other_ca] = add_tenant_with_ca(*store_, "other");
  (void)other_ca;
  std::int64_t first = insert(make_certificate(tenant, ca, "01"));
  auto second = make_certificate(tenant, ca, "02");
  second.renewal_of = first;
  std::int64_t second_id = insert(second);
  auto third = make_certificate(tenant, ca, "03");
  third.renewal_of = second_id;  // renews the renewal: not a direct renewal of `first`
  insert(third);
  auto rekey = make_certificate(tenant, ca, "04");
  rekey.renewal_of = first;
  std::int64_t rekey_id = insert(rekey);

  ASSERT_TRUE(store_->write([&, t = tenant, o = other](Transaction& tx) -> Status {
    FLEETPKI_TRY(auto direct, tx.list_renewals(t, first));
    EXPECT_EQ(direct.size(), 2u);
    if (direct.size() == 2) {
      EXPECT_EQ(direct[0].id, second_id);
      EXPECT_EQ(direct[1].id, rekey_id);
      EXPECT_EQ(direct[0].renewal_of, first);
    }
    FLEETPKI_TRY(auto next, tx.list_renewals(t, second_id));
    EXPECT_EQ(next.size(), 1u);
    FLEETPKI_TRY(auto none, tx.list_renewals(t, rekey_id));
    EXPECT_TRUE(none.empty());
    FLEETPKI_TRY(auto foreign, tx.list_renewals(o, first));
    EXPECT_TRUE(foreign.empty()) << "another tenant sees no renewals";
    return ok();
  }));
}

TEST_F(SqliteLifecycleTest, ListCertificatesFiltersByIssuanceTime) {
  auto [tenant, ca] = add_tenant_with_ca(*store_, "acme");
  for (int i = 0; i < 10; ++i) {
    auto cert = make_certificate(tenant, ca, "1" + std::to_string(i));
    cert.created_at = 1'000 + i;
    insert(cert);
  }
  CertificateFilter filter;
  filter.issued_from = 1'003;
  filter.issued_to = 1'007;  // exclusive
  auto page = store_->list_certificates(tenant, filter);
  ASSERT_TRUE(page) << page.error().detail;
  ASSERT_EQ(page->items.size(), 4u);
  EXPECT_EQ(page->items.front().created_at, 1'003);
  EXPECT_EQ(page->items.back().created_at, 1'006);

  filter = {};
  filter.issued_from = 1'008;
  page = store_->list_certificates(tenant, filter);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->items.size(), 2u);

  filter = {};
  filter.issued_to = 1'001;
  filter.ca_id = ca;
  filter.status = kStatusValid;
  page = store_->list_certificates(tenant, filter);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items.front().created_at, 1'000);
}

// ---- CAs ----------------------------------------------------------------------------------------

TEST_F(SqliteLifecycleTest, CaCrlPartitionsAreStoredAndUpdated) {
  auto [tenant, ca] = add_tenant_with_ca(*store_, "acme");
  std::int64_t sharded = add_ca(tenant, "fleet", 16);
  auto cas = store_->list_cas(tenant);
  ASSERT_TRUE(cas);
  ASSERT_EQ(cas->size(), 2u);
  EXPECT_EQ((*cas)[0].crl_partitions, 1);
  EXPECT_EQ((*cas)[1].crl_partitions, 16);

  ASSERT_TRUE(
      store_->write([&, c = ca](Transaction& tx) { return tx.set_ca_crl_partitions(c, 4); }));
  auto zero =
      store_->write([&, c = ca](Transaction& tx) { return tx.set_ca_crl_partitions(c, 0); });
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().code, Errc::InvalidArgument);
  auto unknown =
      store_->write([&](Transaction& tx) { return tx.set_ca_crl_partitions(sharded + 99, 2); });
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::NotFound);

  cas = store_->list_cas(tenant);
  ASSERT_TRUE(cas);
  EXPECT_EQ((*cas)[0].crl_partitions, 4);
  EXPECT_EQ((*cas)[1].crl_partitions, 16);
}

TEST_F(SqliteLifecycleTest, ListAllCasCoversEveryTenant) {
  auto [tenant_a, ca_a] = add_tenant_with_ca(*store_, "a");
  auto [tenant_b, ca_b] = add_tenant_with_ca(*store_, "b");
  std::int64_t ca_b2 = add_ca(tenant_b, "manufacturing", 2);
  auto all = store_->list_all_cas();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id, ca_a);
  EXPECT_EQ((*all)[0].tenant_id, tenant_a);
  EXPECT_EQ((*all)[1].id, ca_b);
  EXPECT_EQ((*all)[2].id, ca_b2);
  EXPECT_EQ((*all)[2].tenant_id, tenant_b);
  EXPECT_EQ((*all)[2].name, "manufacturing");
  EXPECT_EQ((*all)[2].crl_partitions, 2);
  EXPECT_EQ((*all)[2].certificate_der, (Bytes{0x30, 0x00}));
}

// ---- status change log ----------------------------------------------------------------------

TEST_F(SqliteLifecycleTest, StatusChangeLogIsOrderedAndPagesByAfterId) {
  auto [tenant, ca] = add_tenant_with_ca(*store_, "acme");
  auto empty_id = store_->last_status_change_id();
  ASSERT_TRUE(empty_id);
  EXPECT_EQ(*empty_id, 0);

  std::vector<std::int64_t> ids;
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(store_->write([&, t = tenant, c = ca](Transaction& tx) -> Status {
      StatusChange change;
      change.tenant_id = t;
      change.ca_id = c;
      change.certificate_id = 100 + i;
      change.serial_hex = "ab" + std::to_string(i);
      change.crl_partition = i % 2;
      change.status = i == 6 ? "valid" : (i % 3 == 0 ? kStatusSuspended : kStatusRevoked);
      if (i != 6) {
        change.revoked_at = 1'750'000'000 + i;
        change.revocation_reason = i % 3 == 0 ? 6 : 1;
      }
      change.not_after = 1'800'000'000 + i;
      change.at = 1'750'000'100 + i;
      FLEETPKI_TRY(std::int64_t id, tx.append_status_change(change));
      ids.push_back(id);
      return ok();
    }));
  }
  ASSERT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::set<std::int64_t>(ids.begin(), ids.end()).size(), ids.size());
  auto last = store_->last_status_change_id();
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, ids.back());

  auto all = store_->list_status_changes(0, 100);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 7u);
  for (std::size_t i = 0; i < all->size(); ++i) {
    EXPECT_EQ((*all)[i].id, ids[i]);
  }
  const StatusChange& third = (*all)[3];
  EXPECT_EQ(third.tenant_id, tenant);
  EXPECT_EQ(third.ca_id, ca);
  EXPECT_EQ(third.certificate_id, 103);
  EXPECT_EQ(third.serial_hex, "ab3");
  EXPECT_EQ(third.crl_partition, 1);
  EXPECT_EQ(third.status, kStatusSuspended);
  EXPECT_EQ(third.revoked_at, 1'750'000'003);
  EXPECT_EQ(third.revocation_reason, 6);
  EXPECT_EQ(third.not_after, 1'800'000'003);
  EXPECT_EQ(third.at, 1'750'000'103);
  EXPECT_FALSE((*all)[6].revoked_at.has_value());
  EXPECT_FALSE((*all)[6].revocation_reason.has_value());

  // A follower paging three at a time sees every entry once, in order.
  std::vector<std::int64_t> followed;
  std::int64_t after = 0;
  while (true) {
    auto page = store_->list_status_changes(after, 3);
    ASSERT_TRUE(page);
    ASSERT_LE(page->size(), 3u);
    for (const auto& change : *page) {
      followed.push_back(change.id);
    }
    if (page->size() < 3) {
      break;
    }
    after = page->back().id;
  }
  EXPECT_EQ(followed, ids);
  auto tail = store_->list_status_changes(ids[4], 100);
  ASSERT_TRUE(tail);
  ASSERT_EQ(tail->size(), 2u);
  EXPECT_EQ(tail->front().id, ids[5]);
  auto none = store_->list_status_changes(ids.back(), 100);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  auto zero = store_->list_status_changes(0, 0);
  ASSERT_TRUE(zero);
  EXPECT_TRUE(zero->empty());
}

TEST_F(SqliteLifecycleTest, RolledBackStatusChangeIsNeverSeen) {
  auto [tenant, ca] = add_tenant_with_ca(*store_, "acme");
  StatusChange change;
  change.tenant_id = tenant;
  change.ca_id = ca;
  change.certificate_id = 1;
  change.serial_hex = "01";
  change.status = kStatusRevoked;
  change.revoked_at = 1;
  std::int64_t committed = 0;
  ASSERT_TRUE(store_->write([&](Transaction& tx) -> Status {
    FLEETPKI_TRY(committed, tx.append_status_change(change));
    return ok();
  }));
  auto failed = store_->write([&](Transaction& tx) -> Status {
    FLEETPKI_TRY(auto id, tx.append_status_change(change));
    (void)id;
    return fail(Errc::Aborted, "the status update lost a race");
  });
  ASSERT_FALSE(failed);
  auto last = store_->last_status_change_id();
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, committed);
  auto all = store_->list_status_changes(0, 10);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 1u);
}

TEST_F(SqliteLifecycleTest, StatusChangeMustNameACaOfItsTenant) {
  auto [tenant_a, ca_a] = add_tenant_with_ca(*store_, "a");
  auto [tenant_b, ca_b] = add_tenant_with_ca(*store_, "b");
  (void)tenant_a, (void)ca_b;
  auto status = store_->write([&, tb = tenant_b, ca = ca_a](Transaction& tx) -> Status {
    StatusChange change;
    change.tenant_id = tb;
    change.ca_id = ca;
    change.certificate_id = 1;
    change.serial_hex = "01";
    change.status = kStatusRevoked;
    return tx.append_status_change(change).transform([](auto) {});
  });
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, Errc::FailedPrecondition);
}

// ---- CRL numbers and stored CRLs --------------------------------------------------------------

TEST_F(SqliteLifecycleTest, CrlNumbersStartAtOneAndIncreasePerCaAndPartition) {
  auto [tenant, ca] = add_tenant_with_ca(*store_, "acme");
  std::int64_t other_ca = add_ca(tenant, "fleet", 2);
  for (std::int64_t expected = 1; expected <= 3; ++expected) {
    auto number = allocate_crl_number(ca, 0);
    ASSERT_TRUE(number) << number.error().detail;
    EXPECT_EQ(*number, expected);
  }
  auto p1 = allocate_crl_number(ca, 1);
  ASSERT_TRUE(p1);
  EXPECT_EQ(*p1, 1) << "each partition has its own sequence";
  auto other = allocate_crl_number(other_ca, 0);
  ASSERT_TRUE(other);
  EXPECT_EQ(*other, 1) << "each CA has its own sequence";
  auto again = allocate_crl_number(ca, 0);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 4);

  // Several allocations in one transaction are distinct too.
  ASSERT_TRUE(store_->write([&, c = ca](Transaction& tx) -> Status {
    FLEETPKI_TRY(std::int64_t a, tx.next_crl_number(c, 1));
    FLEETPKI_TRY(std::int64_t b, tx.next_crl_number(c, 1));
    EXPECT_EQ(a, 2);
    EXPECT_EQ(b, 3);
    return ok();
  }));

  auto negative = allocate_crl_number(ca, -1);
  ASSERT_FALSE(negative);
  EXPECT_EQ(negative.error().code, Errc::InvalidArgument);
  auto unknown_ca = allocate_crl_number(other_ca + 99, 0);
  ASSERT_FALSE(unknown_ca);
  EXPECT_EQ(unknown_ca.error().code, Errc::FailedPrecondition);
}

TEST_F(SqliteLifecycleTest, StoredCrlNumbersStrictlyIncreaseAcrossRollbacksAndReopen) {
  auto [tenant, ca] = add_tenant_with_ca(*store_, "acme");
  (void)tenant;
  std::vector<std::int64_t> stored;
  for (int round = 0; round < 4; ++round) {
    auto number = publish_crl(ca, 0, /*delta=*/round % 2 == 1);
    ASSERT_TRUE(number) << number.error().detail;
    stored.push_back(*number);
    // A CRL that was built and stored but whose transaction rolled back (e.g. the publish step
    // failed): its number may be handed out again, since no stored CRL carries it.
    auto failed = store_->write([&, c = ca](Transaction& tx) -> Status {
      FLEETPKI_TRY(std::int64_t n, tx.next_crl_number(c, 0));
      FLEETPKI_RETURN_IF_ERROR(tx.insert_crl(make_crl(c, 0, n)));
      return fail(Errc::Unavailable, "publishing failed");
    });
    ASSERT_FALSE(failed);
    reopen();
  }
  // A CRL stored with a number that next_crl_number did not hand out (e.g. imported) still moves
  // the sequence past it.
  ASSERT_TRUE(
      store_->write([&, c = ca](Transaction& tx) { return tx.insert_crl(make_crl(c, 0, 40)); }));
  stored.push_back(40);
  reopen();
  auto after_import = publish_crl(ca, 0);
  ASSERT_TRUE(after_import);
  stored.push_back(*after_import);

  ASSERT_TRUE(std::is_sorted(stored.begin(), stored.end()));
  EXPECT_EQ(std::adjacent_find(stored.begin(), stored.end()), stored.end()) << "a number repeats";
  EXPECT_EQ(stored.front(), 1);
  EXPECT_EQ(stored.back(), 41);

  RawDb raw(path_);
  auto numbers = raw.column("SELECT number FROM crls WHERE ca_id = " + std::to_string(ca) +
                            " AND partition = 0 ORDER BY number");
  std::vector<std::string> expected;
  for (auto n : stored) {
    expected.push_back(std::to_string(n));
  }
  EXPECT_EQ(numbers, expected) << "exactly the committed CRLs are stored";
}

TEST_F(SqliteLifecycleTest, DuplicateCrlIsAlreadyExists) {
  auto [tenant, ca] = add_tenant_with_ca(*store_, "acme");
  (void)tenant;
  ASSERT_TRUE(
      store_->write([&, c = ca](Transaction& tx) { return tx.insert_crl(make_crl(c, 0, 1)); }));
  auto dup =
      store_->write([&, c = ca](Transaction& tx) { return tx.insert_crl(make_crl(c, 0, 1)); });
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::AlreadyExists);
  // Same number in another partition is another scope.
  EXPECT_TRUE(
      store_->write([&, c = ca](Transaction& tx) { return tx.insert_crl(make_crl(c, 1, 1)); }));
  auto zero =
      store_->write([&, c = ca](Transaction& tx) { return tx.insert_crl(make_crl(c, 2, 0)); });
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().code, Errc::InvalidArgument);
}

TEST_F(SqliteLifecycleTest, LatestCrlPicksTheHighestNumberOfTheRequestedKind) {
  auto [tenant, ca] = add_tenant_with_ca(*store_, "acme");
  std::int64_t other_ca = add_ca(tenant, "fleet");
  auto none = store_->latest_crl(ca, 0, false);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());

  // complete 1, delta 2 (base 1), delta 3, complete 4, delta 5, delta 6; partition 1:
  // complete 1..2.
  ASSERT_TRUE(store_->write([&, c = ca](Transaction& tx) -> Status {
    FLEETPKI_RETURN_IF_ERROR(tx.insert_crl(make_crl(c, 0, 1)));
    FLEETPKI_RETURN_IF_ERROR(tx.insert_crl(make_crl(c, 0, 2, 1)));
    FLEETPKI_RETURN_IF_ERROR(tx.insert_crl(make_crl(c, 0, 3, 1)));
    FLEETPKI_RETURN_IF_ERROR(tx.insert_crl(make_crl(c, 0, 4)));
    FLEETPKI_RETURN_IF_ERROR(tx.insert_crl(make_crl(c, 0, 6, 4)));  // out of order on purpose
    FLEETPKI_RETURN_IF_ERROR(tx.insert_crl(make_crl(c, 0, 5, 4)));
    FLEETPKI_RETURN_IF_ERROR(tx.insert_crl(make_crl(c, 1, 1)));
    return tx.insert_crl(make_crl(c, 1, 2));
  }));

  auto complete = store_->latest_crl(ca, 0, false);
  ASSERT_TRUE(complete && complete->has_value());
  EXPECT_EQ((*complete)->number, 4);
  EXPECT_FALSE((*complete)->base_number.has_value());
  EXPECT_EQ((*complete)->ca_id, ca);
  EXPECT_EQ((*complete)->partition, 0);
  EXPECT_EQ((*complete)->this_update, 1'700'000'004);
  EXPECT_EQ((*complete)->next_update, 1'700'086'404);
  EXPECT_EQ((*complete)->last_change_id, 40);
  EXPECT_EQ((*complete)->der, (Bytes{0x30, 0x01, 0x04}));

  auto delta = store_->latest_crl(ca, 0, true);
  ASSERT_TRUE(delta && delta->has_value());
  EXPECT_EQ((*delta)->number, 6);
  EXPECT_EQ((*delta)->base_number, 4);

  auto partition1 = store_->latest_crl(ca, 1, false);
  ASSERT_TRUE(partition1 && partition1->has_value());
  EXPECT_EQ((*partition1)->number, 2);
  auto partition1_delta = store_->latest_crl(ca, 1, true);
  ASSERT_TRUE(partition1_delta);
  EXPECT_FALSE(partition1_delta->has_value());
  auto other = store_->latest_crl(other_ca, 0, false);
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->has_value());

  // The sequence continues after the highest stored number of the scope.
  auto next = allocate_crl_number(ca, 0);
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, 7);
}

TEST_F(SqliteLifecycleTest, DeleteCrlsBeforeKeepsTheNewerOnesAndOtherScopes) {
  auto [tenant, ca] = add_tenant_with_ca(*store_, "acme");
  std::int64_t other_ca = add_ca(tenant, "fleet");
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(publish_crl(ca, 0, i % 2 == 1));
    ASSERT_TRUE(publish_crl(ca, 1));
    ASSERT_TRUE(publish_crl(other_ca, 0));
  }
  ASSERT_TRUE(
      store_->write([&, c = ca](Transaction& tx) { return tx.delete_crls_before(c, 0, 4); }));
  RawDb raw(path_);
  EXPECT_EQ(raw.column("SELECT number FROM crls WHERE ca_id = " + std::to_string(ca) +
                       " AND partition = 0 ORDER BY number"),
            (std::vector<std::string>{"4", "5"}));
  EXPECT_EQ(raw.column("SELECT COUNT(*) FROM crls WHERE ca_id = " + std::to_string(ca) +
                       " AND partition = 1"),
            (std::vector<std::string>{"5"}));
  EXPECT_EQ(raw.column("SELECT COUNT(*) FROM crls WHERE ca_id = " + std::to_string(other_ca)),
            (std::vector<std::string>{"5"}));
  // Deleting every stored CRL does not restart the sequence.
  ASSERT_TRUE(
      store_->write([&, c = ca](Transaction& tx) { return tx.delete_crls_before(c, 0, 100); }));
  auto next = allocate_crl_number(ca, 0);
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, 6);
}

// ---- revoked entries ------------------------------------------------------------------------

TEST_F(SqliteLifecycleTest, ForEachRevokedStreamsOnlyTheScopesRevokedAndSuspended) {
  auto [tenant, ca] = add_tenant_with_ca(*store_, "acme");
  std::int64_t other_ca = add_ca(tenant, "fleet");
  struct Spec {
    std::string serial;
    std::int64_t ca;
    int partition;
    const char* status;
    std::int64_t not_after;
  };
  const std::vector<Spec> specs = {
      {"a1", ca, 0, kStatusRevoked, 2'000},        // listed
      {"a2", ca, 0, kStatusSuspended, 3'000},      // listed
      {"a3", ca, 0, kStatusValid, 3'000},          // valid
      {"a4", ca, 0, kStatusRevoked, 999},          // expired before not_after_from
      {"a5", ca, 1, kStatusRevoked, 3'000},        // other partition
      {"a6", other_ca, 0, kStatusRevoked, 3'000},  // other CA
      {"a7", ca, 0, kStatusRevoked, 1'000},        // boundary: not_after == not_after_from
  };
  for (const Spec& spec : specs) {
    auto cert = make_certificate(tenant, spec.ca, spec.serial);
    cert.crl_partition = spec.partition;
    cert.not_after = spec.not_after;
    std::int64_t id = insert(cert);
    if (std::string(spec.status) != kStatusValid) {
      // Revoked the way the authority does it: through update_certificate_status.
      ASSERT_TRUE(store_->write([&, t = tenant](Transaction& tx) {
        int reason = spec.status == std::string(kStatusSuspended) ? 6 : 1;
        return tx.update_certificate_status(t, id, spec.status, 1'500 + id, reason, 1);
      }));
    }
  }
  auto entries = revoked(ca, 0, 1'000);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].serial_hex, "a1");
  EXPECT_EQ(entries[0].status, kStatusRevoked);
  EXPECT_EQ(entries[0].revocation_reason, 1);
  EXPECT_EQ(entries[0].not_after, 2'000);
  EXPECT_GT(entries[0].revoked_at, 1'500);
  EXPECT_EQ(entries[1].serial_hex, "a2");
  EXPECT_EQ(entries[1].status, kStatusSuspended);
  EXPECT_EQ(entries[1].revocation_reason, 6);
  EXPECT_EQ(entries[2].serial_hex, "a7");

  EXPECT_EQ(revoked(ca, 0, 2'500).size(), 1u);  // only a2
  EXPECT_EQ(revoked(ca, 0, 0).size(), 4u);      // a4 too
  EXPECT_EQ(revoked(ca, 1, 0).size(), 1u);
  EXPECT_EQ(revoked(other_ca, 0, 0).size(), 1u);
  EXPECT_TRUE(revoked(other_ca, 1, 0).empty());

  // Released from hold: the certificate leaves the list.
  auto a2 = store_->find_certificate(tenant, "a2");
  ASSERT_TRUE(a2 && a2->has_value());
  ASSERT_TRUE(store_->write([&, t = tenant](Transaction& tx) {
    return tx.update_certificate_status(t, (*a2)->id, kStatusValid, std::nullopt, std::nullopt,
                                        (*a2)->row_version);
  }));
  entries = revoked(ca, 0, 1'000);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].serial_hex, "a1");
  EXPECT_EQ(entries[1].serial_hex, "a7");
}

TEST_F(SqliteLifecycleTest, ForEachRevokedStopsAtTheFirstCallbackError) {
  auto [tenant, ca] = add_tenant_with_ca(*store_, "acme");
  ASSERT_TRUE(store_->write([&, t = tenant, c = ca](Transaction& tx) -> Status {
    for (int i = 0; i < 10; ++i) {
      auto cert = make_certificate(t, c, "r" + std::to_string(i));
      cert.status = kStatusRevoked;
      cert.revoked_at = 1'750'000'000;
      FLEETPKI_TRY(auto id, tx.insert_certificate(cert));
      (void)id;
    }
    return ok();
  }));
  int calls = 0;
  auto status = store_->for_each_revoked(ca, 0, 0, [&](const RevokedEntry&) -> Status {
    ++calls;
    return calls == 3 ? Status(fail(Errc::ResourceExhausted, "CRL too large")) : ok();
  });
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, Errc::ResourceExhausted);
  EXPECT_EQ(calls, 3);
  // The reader connection went back to the pool in a usable state.
  calls = 0;
  ASSERT_TRUE(store_->for_each_revoked(ca, 0, 0, [&](const RevokedEntry& e) -> Status {
    ++calls;
    EXPECT_EQ(e.revoked_at, 1'750'000'000);
    EXPECT_FALSE(e.revocation_reason.has_value());
    return ok();
  }));
  EXPECT_EQ(calls, 10);
}

// ---- OCSP responders, bulk jobs, counts -------------------------------------------------------

TEST_F(SqliteLifecycleTest, OcspResponderIsInsertedThenReplaced) {
  auto [tenant, ca] = add_tenant_with_ca(*store_, "acme");
  (void)tenant;
  auto missing = store_->find_ocsp_responder(ca);
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
  OcspResponderRecord responder;
  responder.ca_id = ca;
  responder.key_ref = "software:ocsp-1";
  responder.certificate_der = Bytes{0x30, 0x01, 0x01};
  responder.not_after = 1'800'000'000;
  responder.updated_at = 1'700'000'000;
  ASSERT_TRUE(store_->write([&](Transaction& tx) { return tx.put_ocsp_responder(responder); }));
  auto found = store_->find_ocsp_responder(ca);
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->key_ref, "software:ocsp-1");
  EXPECT_EQ((*found)->certificate_der, responder.certificate_der);
  EXPECT_EQ((*found)->not_after, 1'800'000'000);

  responder.key_ref = "software:ocsp-2";
  responder.certificate_der = Bytes{0x30, 0x01, 0x02};
  responder.not_after = 1'900'000'000;
  responder.updated_at = 1'750'000'000;
  ASSERT_TRUE(store_->write([&](Transaction& tx) { return tx.put_ocsp_responder(responder); }));
  found = store_->find_ocsp_responder(ca);
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->ca_id, ca);
  EXPECT_EQ((*found)->key_ref, "software:ocsp-2");
  EXPECT_EQ((*found)->certificate_der, responder.certificate_der);
  EXPECT_EQ((*found)->not_after, 1'900'000'000);
  EXPECT_EQ((*found)->updated_at, 1'750'000'000);

  responder.ca_id = ca + 99;
  auto orphan = store_->write([&](Transaction& tx) { return tx.put_ocsp_responder(responder); });
  ASSERT_FALSE(orphan);
  EXPECT_EQ(orphan.error().code, Errc::FailedPrecondition);
}

TEST_F(SqliteLifecycleTest, BulkJobsAreTenantScopedAndResumable) {
  auto [tenant, ca] = add_tenant_with_ca(*store_, "acme");
  auto [other, other_ca] = add_tenant_with_ca(*store_, "other");
  (void)ca, (void)other_ca;
  BulkJobRecord job;
  job.tenant_id = tenant;
  job.query_json = R"({"profile":"idevid"})";
  job.reason = 1;
  job.actor = "tok_1";
  job.request_id = "req-1";
  job.created_at = 100;
  job.updated_at = 100;
  std::int64_t id = 0;
  ASSERT_TRUE(store_->write([&](Transaction& tx) -> Status {
    FLEETPKI_TRY(id, tx.put_bulk_job(job));
    return ok();
  }));
  EXPECT_GT(id, 0);
  BulkJobRecord other_job = job;
  other_job.tenant_id = other;
  std::int64_t other_id = 0;
  ASSERT_TRUE(store_->write([&](Transaction& tx) -> Status {
    FLEETPKI_TRY(other_id, tx.put_bulk_job(other_job));
    return ok();
  }));
  EXPECT_NE(other_id, id);

  auto found = store_->find_bulk_job(tenant, id);
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->kind, "revoke");
  EXPECT_EQ((*found)->query_json, job.query_json);
  EXPECT_EQ((*found)->reason, 1);
  EXPECT_EQ((*found)->state, "running");
  EXPECT_EQ((*found)->cursor, 0);
  EXPECT_EQ((*found)->actor, "tok_1");
  EXPECT_EQ((*found)->request_id, "req-1");
  EXPECT_EQ((*found)->created_at, 100);
  auto foreign = store_->find_bulk_job(other, id);
  ASSERT_TRUE(foreign);
  EXPECT_FALSE(foreign->has_value()) << "another tenant's job is invisible";

  auto running = store_->list_running_bulk_jobs();
  ASSERT_TRUE(running);
  ASSERT_EQ(running->size(), 2u);
  EXPECT_EQ((*running)[0].id, id);
  EXPECT_EQ((*running)[1].id, other_id);

  // A chunk advances the cursor; then the job finishes.
  BulkJobRecord update = **found;
  update.cursor = 512;
  update.processed = 300;
  update.updated_at = 200;
  ASSERT_TRUE(store_->write(
      [&](Transaction& tx) { return tx.put_bulk_job(update).transform([](auto) {}); }));
  update.state = "done";
  update.updated_at = 300;
  std::int64_t returned = 0;
  ASSERT_TRUE(store_->write([&](Transaction& tx) -> Status {
    FLEETPKI_TRY(returned, tx.put_bulk_job(update));
    return ok();
  }));
  EXPECT_EQ(returned, id);
  found = store_->find_bulk_job(tenant, id);
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->state, "done");
  EXPECT_EQ((*found)->cursor, 512);
  EXPECT_EQ((*found)->processed, 300);
  EXPECT_EQ((*found)->created_at, 100);
  EXPECT_EQ((*found)->updated_at, 300);
  running = store_->list_running_bulk_jobs();
  ASSERT_TRUE(running);
  ASSERT_EQ(running->size(), 1u);
  EXPECT_EQ((*running)[0].tenant_id, other);

  // Updating through the wrong tenant, or an unknown id, changes nothing.
  BulkJobRecord hijack = update;
  hijack.tenant_id = other;
  hijack.state = "failed";
  auto wrong_tenant = store_->write(
      [&](Transaction& tx) { return tx.put_bulk_job(hijack).transform([](auto) {}); });
  ASSERT_FALSE(wrong_tenant);
  EXPECT_EQ(wrong_tenant.error().code, Errc::NotFound);
  hijack.tenant_id = tenant;
  hijack.id = other_id + 100;
  auto unknown = store_->write(
      [&](Transaction& tx) { return tx.put_bulk_job(hijack).transform([](auto) {}); });
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::NotFound);
  found = store_->find_bulk_job(tenant, id);
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->state, "done");
}

TEST_F(SqliteLifecycleTest, CountsCertificatesPerTenantAndStatus) {
  auto [tenant_a, ca_a] = add_tenant_with_ca(*store_, "alpha");
  auto [tenant_b, ca_b] = add_tenant_with_ca(*store_, "beta");
  add_tenant_with_ca(*store_, "empty");
  auto empty_counts = store_->count_certificates_by_status();
  ASSERT_TRUE(empty_counts);
  EXPECT_TRUE(empty_counts->empty());
  ASSERT_TRUE(store_->write(
      [&, ta = tenant_a, tb = tenant_b, ca = ca_a, cb = ca_b](Transaction& tx) -> Status {
        for (int i = 0; i < 6; ++i) {
          auto cert = make_certificate(ta, ca, "a" + std::to_string(i));
          cert.status = i < 4 ? kStatusValid : (i == 4 ? kStatusRevoked : kStatusSuspended);
          FLEETPKI_TRY(auto id, tx.insert_certificate(cert));
          (void)id;
        }
        for (int i = 0; i < 2; ++i) {
          FLEETPKI_TRY(auto id,
                       tx.insert_certificate(make_certificate(tb, cb, "b" + std::to_string(i))));
          (void)id;
        }
        return ok();
      }));
  auto counts = store_->count_certificates_by_status();
  ASSERT_TRUE(counts) << counts.error().detail;
  std::vector<std::tuple<std::string, std::string, std::int64_t>> got;
  for (const auto& c : *counts) {
    got.emplace_back(c.tenant, c.status, c.count);
  }
  using Row = std::tuple<std::string, std::string, std::int64_t>;
  EXPECT_EQ(got,
            (std::vector<Row>{Row{"alpha", kStatusRevoked, 1}, Row{"alpha", kStatusSuspended, 1},
                              Row{"alpha", kStatusValid, 4}, Row{"beta", kStatusValid, 2}}));
}

// ---- migration and index layout -----------------------------------------------------------------

TEST(SqliteMigration, UpgradesASchema0001DatabaseKeepingItsData) {
  TempDir dir;
  const auto path = dir.path() / "old.db";
  auto migrations = sqlite_migrations();
  ASSERT_GE(migrations.size(), 2u);
  ASSERT_EQ(migrations[0].version, 1);
  {
    // A database as a build with only 0001 left it (same bookkeeping table as the runner).
    RawDb raw(path, /*read_only=*/false);
    raw.exec("PRAGMA journal_mode = WAL");
    raw.exec(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at INTEGER NOT NULL)");
    raw.exec("BEGIN");
    raw.exec(std::string(migrations[0].sql));
    raw.exec("INSERT INTO schema_migrations VALUES (1, '0001_initial', 0)");
    raw.exec("COMMIT");
    raw.exec("INSERT INTO tenants (id, name, created_at) VALUES (1, 'acme', 10)");
    raw.exec(
        "INSERT INTO cas (id, tenant_id, name, key_ref, certificate_der, created_at) "
        "VALUES (1, 1, 'issuing', 'software:issuing', x'3000', 10)");
    raw.exec(
        "INSERT INTO certificates (tenant_id, ca_id, profile, profile_version, serial_hex, "
        "subject, not_before, not_after, status, der, created_at, revoked_at, "
        "revocation_reason) VALUES "
        "(1, 1, 'tls_server', 1, '0a', 'CN=a', 1, 5000, 'valid', x'300101', 10, NULL, NULL), "
        "(1, 1, 'tls_server', 1, '0b', 'CN=b', 1, 5000, 'revoked', x'300102', 11, 20, 4)");
    raw.exec("INSERT INTO settings VALUES ('public_url', 'http://example')");
  }
  auto opened = open_sqlite_store(path);
  ASSERT_TRUE(opened) << opened.error().message << " / " << opened.error().detail;
  auto& store = **opened;

  auto setting = store.get_setting("public_url");
  ASSERT_TRUE(setting);
  EXPECT_EQ(setting->value_or(""), "http://example");
  auto cas = store.list_all_cas();
  ASSERT_TRUE(cas);
  ASSERT_EQ(cas->size(), 1u);
  EXPECT_EQ(cas->front().crl_partitions, 1);
  auto a = store.find_certificate(1, "0a");
  ASSERT_TRUE(a && a->has_value());
  EXPECT_EQ((*a)->der, (Bytes{0x30, 0x01, 0x01}));
  EXPECT_EQ((*a)->crl_partition, 0);
  EXPECT_FALSE((*a)->renewal_of.has_value());
  // The partial index was built over the existing rows: the old revocation is listed.
  std::vector<std::string> serials;
  ASSERT_TRUE(store.for_each_revoked(1, 0, 0, [&](const RevokedEntry& e) -> Status {
    serials.push_back(e.serial_hex);
    EXPECT_EQ(e.revoked_at, 20);
    EXPECT_EQ(e.revocation_reason, 4);
    return ok();
  }));
  EXPECT_EQ(serials, std::vector<std::string>{"0b"});
  // And new certificates go in as before, next to the old ones.
  ASSERT_TRUE(store.write([](Transaction& tx) {
    return tx.insert_certificate(make_certificate(1, 1, "0c")).transform([](auto) {});
  }));
  auto counts = store.count_certificates_by_status();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->size(), 2u);

  RawDb raw(path);
  std::vector<std::string> every_version;  // every embedded migration ran, in order
  for (const auto& m : migrations) every_version.push_back(std::to_string(m.version));
  EXPECT_EQ(raw.column("SELECT version FROM schema_migrations ORDER BY version"), every_version);
  EXPECT_EQ(raw.column("PRAGMA foreign_key_check"), std::vector<std::string>{});
  EXPECT_EQ(raw.column("PRAGMA integrity_check"), std::vector<std::string>{"ok"});
}

// The statements below repeat the adapter's SQL (sqlite_store.cpp, sqlite_transaction.cpp) to pin
// the plans the hot paths rely on; change both together.
TEST_F(SqliteLifecycleTest, HotQueriesAreIndexSeeks) {
  auto [tenant, ca] = add_tenant_with_ca(*store_, "acme");
  (void)tenant, (void)ca;
  RawDb raw(path_);
  // OCSP miss path: one seek in UNIQUE(serial_hex, ca_id).
  auto by_ca = raw.plan("SELECT * FROM certificates WHERE serial_hex = ?2 AND ca_id = ?1");
  EXPECT_NE(by_ca.find("USING INDEX sqlite_autoindex_certificates_1 (serial_hex=? AND ca_id=?)"),
            std::string::npos)
      << by_ca;
  // CRL entries: the covering partial index alone, no row reads.
  auto entries = raw.plan(
      "SELECT serial_hex, status, COALESCE(revoked_at, 0), revocation_reason, not_after FROM "
      "certificates WHERE ca_id = ?1 AND crl_partition = ?2 AND not_after >= ?3 AND status <> "
      "'valid' AND status IN ('revoked', 'suspended')");
  EXPECT_NE(entries.find("USING COVERING INDEX certificates_revoked (ca_id=? AND crl_partition=? "
                         "AND not_after>?)"),
            std::string::npos)
      << entries;
  // Latest CRL of a kind: one seek, however many CRLs of the other kind there are.
  auto latest = raw.plan(
      "SELECT * FROM crls WHERE ca_id = ?1 AND partition = ?2 AND (base_number IS NOT NULL) = ?3 "
      "ORDER BY number DESC LIMIT 1");
  EXPECT_NE(latest.find("USING INDEX crls_kind_number (ca_id=? AND partition=? AND <expr>=?)"),
            std::string::npos)
      << latest;
  EXPECT_EQ(latest.find("TEMP B-TREE"), std::string::npos) << latest;
  // Lookup by serial within a tenant (REST GET, every lifecycle change): the serial index, never
  // the tenant's not_after index (which would scan the whole tenant: 246 ms at 1M certificates).
  auto by_serial = raw.plan(std::string("SELECT * FROM certificates WHERE ") +
                            sqlite_rows::kFindCertificateBySerialWhere);
  EXPECT_NE(by_serial.find("USING INDEX sqlite_autoindex_certificates_1 (serial_hex=?)"), std::string::npos)
      << by_serial;
  auto renewals =
      raw.plan("SELECT * FROM certificates WHERE renewal_of = ?2 AND tenant_id = ?1 ORDER BY id");
  EXPECT_NE(renewals.find("certificates_renewal_of (renewal_of=?)"), std::string::npos) << renewals;
  // A page of a tenant's certificates without a filter: a seek, no sort of the whole tenant.
  auto page = raw.plan("SELECT * FROM certificates WHERE tenant_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3");
  EXPECT_NE(page.find("certificates_tenant_id (tenant_id=? AND id>?)"), std::string::npos) << page;
  EXPECT_EQ(page.find("TEMP B-TREE"), std::string::npos) << page;
}

TEST_F(SqliteLifecycleTest, InsertingValidCertificatesLeavesTheNewIndexesEmpty) {
  auto [tenant, ca] = add_tenant_with_ca(*store_, "acme");
  ASSERT_TRUE(store_->write([&, t = tenant, c = ca](Transaction& tx) -> Status {
    for (int i = 0; i < 2'000; ++i) {
      auto cert = make_certificate(t, c, "v" + std::to_string(i));
      cert.crl_partition = i % 4;
      FLEETPKI_TRY(auto id, tx.insert_certificate(cert));
      (void)id;
    }
    return ok();
  }));
  RawDb raw(path_);
  if (raw.column("SELECT COUNT(*) FROM pragma_module_list WHERE name = 'dbstat'") !=
      std::vector<std::string>{"1"}) {
    GTEST_SKIP() << "this SQLite has no dbstat virtual table";
  }
  // One empty root page each: the hot insert path wrote no entry into them.
  EXPECT_EQ(raw.column("SELECT SUM(ncell) FROM dbstat WHERE name = 'certificates_revoked'"),
            std::vector<std::string>{"0"});
  EXPECT_EQ(raw.column("SELECT SUM(ncell) FROM dbstat WHERE name = 'certificates_renewal_of'"),
            std::vector<std::string>{"0"});
  // Whereas the table's own random-key index has them all.
  EXPECT_NE(raw.column("SELECT SUM(ncell) FROM dbstat WHERE name = "
                       "'sqlite_autoindex_certificates_1'"),
            std::vector<std::string>{"0"});
}

}  // namespace
}  // namespace fleetpki::store
