// Unit tests of the SQLite store over real database files in a temporary directory.
#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <set>
#include <thread>

#include "store/audit_chain.h"
#include "store/sqlite/migrations.h"
#include "store_test_support.h"

namespace fleetpki::store {
namespace {

using testing::add_tenant_with_ca;
using testing::make_certificate;
using testing::TempDir;

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.path() / "fleetpki.db";
    auto opened = open_sqlite_store(path_);
    ASSERT_TRUE(opened) << opened.error().message << " / " << opened.error().detail;
    store_ = std::move(*opened);
  }

  Status insert_certificates(std::int64_t tenant_id, std::int64_t ca_id, int count,
                             const std::string& prefix) {
    return store_->write([&](Transaction& tx) -> Status {
      for (int i = 0; i < count; ++i) {
        auto cert = make_certificate(tenant_id, ca_id, prefix + std::to_string(i));
        cert.not_after = 1'800'000'000 + i;
        cert.status = i % 3 == 0 ? kStatusRevoked : kStatusValid;
        cert.profile = i % 2 == 0 ? "idevid" : "tls_server";
        FLEETPKI_TRY(auto id, tx.insert_certificate(cert));
        (void)id;
      }
      return ok();
    });
  }

  TempDir dir_;
  std::filesystem::path path_;
  std::unique_ptr<Store> store_;
};

std::int64_t count_rows(const std::filesystem::path& db_path, const char* table) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  std::string sql = std::string("SELECT COUNT(*) FROM ") + table;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK);
  EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  std::int64_t n = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return n;
}

std::int64_t migration_count() {
  return static_cast<std::int64_t>(sqlite_migrations().size());
}

TEST_F(SqliteStoreTest, OpensInWalModeWithEveryMigrationRecorded) {
  ASSERT_GE(migration_count(), 2);  // 0001_initial, 0002_lifecycle, …
  EXPECT_EQ(count_rows(path_, "schema_migrations"), migration_count());
  EXPECT_TRUE(std::filesystem::exists(path_.string() + "-wal"));
}

TEST_F(SqliteStoreTest, MigrationsAreIdempotentOnReopen) {
  ASSERT_TRUE(store_->write([](Transaction& tx) { return tx.put_setting("k", "v"); }));
  store_.reset();
  for (int i = 0; i < 2; ++i) {
    auto reopened = open_sqlite_store(path_);
    ASSERT_TRUE(reopened) << reopened.error().detail;
    auto value = (*reopened)->get_setting("k");
    ASSERT_TRUE(value);
    EXPECT_EQ(value->value_or(""), "v");
  }
  EXPECT_EQ(count_rows(path_, "schema_migrations"), migration_count());
}

TEST_F(SqliteStoreTest, RefusesADatabaseNewerThanTheProgram) {
  store_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "INSERT INTO schema_migrations VALUES (9999, 'future', 0)", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto reopened = open_sqlite_store(path_);
  ASSERT_FALSE(reopened);
  EXPECT_EQ(reopened.error().code, Errc::FailedPrecondition);
}

TEST_F(SqliteStoreTest, RejectsInMemoryPath) {
  auto opened = open_sqlite_store(":memory:");
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, Errc::InvalidArgument);
}

TEST_F(SqliteStoreTest, InsertsAndFindsTenant) {
  TenantRecord inserted;
  ASSERT_TRUE(store_->write([&](Transaction& tx) -> Status {
    FLEETPKI_TRY(inserted, tx.insert_tenant("acme", 1234));
    return ok();
  }));
  EXPECT_GT(inserted.id, 0);
  auto found = store_->find_tenant("acme");
  ASSERT_TRUE(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id, inserted.id);
  EXPECT_EQ((*found)->name, "acme");
  EXPECT_EQ((*found)->created_at, 1234);
  auto missing = store_->find_tenant("nobody");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
  auto all = store_->list_tenants();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 1u);
}

TEST_F(SqliteStoreTest, DuplicateTenantIsAlreadyExists) {
  ASSERT_TRUE(store_->write([](Transaction& tx) -> Status {
    FLEETPKI_TRY(auto t, tx.insert_tenant("acme", 1));
    (void)t;
    return ok();
  }));
  auto status = store_->write([](Transaction& tx) -> Status {
    FLEETPKI_TRY(auto t, tx.insert_tenant("acme", 2));
    (void)t;
    return ok();
  });
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, Errc::AlreadyExists);
  EXPECT_NE(status.error().detail.find("UNIQUE"), std::string::npos) << status.error().detail;
}

TEST_F(SqliteStoreTest, CertificateSerialIsUniquePerCa) {
  auto [tenant, ca] = add_tenant_with_ca(*store_, "acme");
  ASSERT_TRUE(store_->write([&](Transaction& tx) -> Status {
    return tx.insert_certificate(make_certificate(tenant, ca, "0a0b")).transform([](auto) {});
  }));
  auto dup = store_->write([&](Transaction& tx) -> Status {
    return tx.insert_certificate(make_certificate(tenant, ca, "0a0b")).transform([](auto) {});
  });
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::AlreadyExists);

  // The same serial under another CA of the same tenant is fine.
  std::int64_t other_ca = 0;
  ASSERT_TRUE(store_->write([&](Transaction& tx) -> Status {
    CaRecord second;
    second.tenant_id = tenant;
    second.name = "manufacturing";
    second.key_ref = "software:manufacturing";
    second.certificate_der = Bytes{0x30, 0x00};
    FLEETPKI_TRY(other_ca, tx.insert_ca(second));
    return tx.insert_certificate(make_certificate(tenant, other_ca, "0a0b")).transform([](auto) {});
  }));
}

TEST_F(SqliteStoreTest, CertificateMustReferenceACaOfItsOwnTenant) {
  auto [tenant_a, ca_a] = add_tenant_with_ca(*store_, "a");
  auto [tenant_b, ca_b] = add_tenant_with_ca(*store_, "b");
  (void)ca_b;
  (void)tenant_a;
  auto status = store_->write([&, tb = tenant_b, ca = ca_a](Transaction& tx) -> Status {
    return tx.insert_certificate(make_certificate(tb, ca, "01")).transform([](auto) {});
  });
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, Errc::FailedPrecondition);
}

TEST_F(SqliteStoreTest, TenantCannotSeeAnotherTenantsCertificate) {
  auto [tenant_a, ca_a] = add_tenant_with_ca(*store_, "a");
  auto [tenant_b, ca_b] = add_tenant_with_ca(*store_, "b");
  (void)ca_b;
  ASSERT_TRUE(store_->write([&, ta = tenant_a, ca = ca_a](Transaction& tx) -> Status {
    return tx.insert_certificate(make_certificate(ta, ca, "abcd")).transform([](auto) {});
  }));
  auto mine = store_->find_certificate(tenant_a, "abcd");
  ASSERT_TRUE(mine);
  ASSERT_TRUE(mine->has_value());
  EXPECT_EQ((*mine)->serial_hex, "abcd");
  EXPECT_EQ((*mine)->der, (Bytes{0x30, 0x03, 0x02, 0x01, 0x01}));
  auto theirs = store_->find_certificate(tenant_b, "abcd");
  ASSERT_TRUE(theirs);
  EXPECT_FALSE(theirs->has_value());
  auto listed = store_->list_certificates(tenant_b, {});
  ASSERT_TRUE(listed);
  EXPECT_TRUE(listed->items.empty());
  auto cas = store_->list_cas(tenant_b);
  ASSERT_TRUE(cas);
  ASSERT_EQ(cas->size(), 1u);
  EXPECT_EQ(cas->front().tenant_id, tenant_b);
}

TEST_F(SqliteStoreTest, CertificateRoundTripsEveryField) {
  auto [tenant, ca] = add_tenant_with_ca(*store_, "acme");
  auto cert = make_certificate(tenant, ca, "ff01");
  cert.status = kStatusRevoked;
  cert.revoked_at = 1'750'000'000;
  cert.revocation_reason = 1;
  cert.device_serial = "SN-42";
  cert.row_version = 3;
  cert.profile_version = 2;
  ASSERT_TRUE(store_->write([&](Transaction& tx) -> Status {
    return tx.insert_certificate(cert).transform([](auto) {});
  }));
  auto found = store_->find_certificate(tenant, "ff01");
  ASSERT_TRUE(found && found->has_value());
  const CertificateRecord& got = **found;
  EXPECT_GT(got.id, 0);
  EXPECT_EQ(got.ca_id, ca);
  EXPECT_EQ(got.profile, cert.profile);
  EXPECT_EQ(got.profile_version, 2);
  EXPECT_EQ(got.subject, cert.subject);
  EXPECT_EQ(got.not_before, cert.not_before);
  EXPECT_EQ(got.not_after, cert.not_after);
  EXPECT_EQ(got.status, kStatusRevoked);
  EXPECT_EQ(got.revoked_at, cert.revoked_at);
  EXPECT_EQ(got.revocation_reason, cert.revocation_reason);
  EXPECT_EQ(got.device_serial, cert.device_serial);
  EXPECT_EQ(got.row_version, 3);
}

TEST_F(SqliteStoreTest, ListPaginationReturnsEveryRowExactlyOnce) {
  auto [tenant, ca] = add_tenant_with_ca(*store_, "acme");
  auto [other, other_ca] = add_tenant_with_ca(*store_, "other");
  ASSERT_TRUE(insert_certificates(tenant, ca, 95, "a"));
  ASSERT_TRUE(insert_certificates(other, other_ca, 10, "b"));
  std::set<std::string> seen;
  CertificateFilter filter;
  filter.limit = 10;
  int pages = 0;
  while (true) {
    auto page = store_->list_certificates(tenant, filter);
    ASSERT_TRUE(page) << page.error().detail;
    ++pages;
    for (const auto& c : page->items) {
      EXPECT_EQ(c.tenant_id, tenant);
      EXPECT_TRUE(seen.insert(c.serial_hex).second) << "duplicate " << c.serial_hex;
    }
    if (!page->next_after_id) {
      EXPECT_LT(page->items.size(), 10u);
      break;
    }
    EXPECT_EQ(page->items.size(), 10u);
    EXPECT_EQ(*page->next_after_id, page->items.back().id);
    filter.after_id = page->next_after_id;
  }
  EXPECT_EQ(seen.size(), 95u);
  EXPECT_EQ(pages, 10);
}

TEST_F(SqliteStoreTest, ListRespectsStatusExpiryAndProfileFilters) {
  auto [tenant, ca] = add_tenant_with_ca(*store_, "acme");
  ASSERT_TRUE(insert_certificates(tenant, ca, 30, "c"));
  CertificateFilter filter;
  filter.limit = 1000;
  filter.status = kStatusRevoked;
  auto revoked = store_->list_certificates(tenant, filter);
  ASSERT_TRUE(revoked);
  EXPECT_EQ(revoked->items.size(), 10u);  // i % 3 == 0 for i in [0, 30)
  for (const auto& c : revoked->items) {
    EXPECT_EQ(c.status, kStatusRevoked);
  }

  filter = {};
  filter.expires_before = 1'800'000'005;  // not_after = 1'800'000'000 + i, strictly before
  auto expiring = store_->list_certificates(tenant, filter);
  ASSERT_TRUE(expiring);
  EXPECT_EQ(expiring->items.size(), 5u);

  filter = {};
  filter.profile = "idevid";
  filter.status = kStatusValid;
  auto both = store_->list_certificates(tenant, filter);
  ASSERT_TRUE(both);
  for (const auto& c : both->items) {
    EXPECT_EQ(c.profile, "idevid");
    EXPECT_EQ(c.status, kStatusValid);
  }
  EXPECT_EQ(both->items.size(), 10u);  // even i (15) minus multiples of 6 (5)

  filter = {};
  filter.ca_id = ca + 1000;
  auto none = store_->list_certificates(tenant, filter);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->items.empty());
}

TEST_F(SqliteStoreTest, ListClampsTheLimit) {
  auto [tenant, ca] = add_tenant_with_ca(*store_, "acme");
  ASSERT_TRUE(insert_certificates(tenant, ca, 3, "d"));
  CertificateFilter filter;
  filter.limit = 0;
  auto page = store_->list_certificates(tenant, filter);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->items.size(), 1u);
  EXPECT_TRUE(page->next_after_id.has_value());
  filter.limit = 1'000'000;
  page = store_->list_certificates(tenant, filter);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->items.size(), 3u);
  EXPECT_FALSE(page->next_after_id.has_value());
}

TEST_F(SqliteStoreTest, FailingWriteBodyRollsBackEverythingItWrote) {
  auto status = store_->write([](Transaction& tx) -> Status {
    FLEETPKI_TRY(auto t, tx.insert_tenant("ghost", 1));
    (void)t;
    FLEETPKI_RETURN_IF_ERROR(tx.put_setting("ghost", "1"));
    return fail(Errc::Aborted, "changed my mind");
  });
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, Errc::Aborted);
  auto tenant = store_->find_tenant("ghost");
  ASSERT_TRUE(tenant);
  EXPECT_FALSE(tenant->has_value());
  auto setting = store_->get_setting("ghost");
  ASSERT_TRUE(setting);
  EXPECT_FALSE(setting->has_value());
  // The writer is usable afterwards.
  EXPECT_TRUE(store_->write([](Transaction& tx) { return tx.put_setting("after", "ok"); }));
}

TEST_F(SqliteStoreTest, ThrowingWriteBodyRollsBackAndLeavesTheStoreUsable) {
  EXPECT_THROW((void)store_->write([](Transaction& tx) -> Status {
    (void)tx.put_setting("thrown", "1");
    throw std::runtime_error("boom");
  }),
               std::runtime_error);
  auto setting = store_->get_setting("thrown");
  ASSERT_TRUE(setting);
  EXPECT_FALSE(setting->has_value());
  EXPECT_TRUE(store_->write([](Transaction& tx) { return tx.put_setting("after", "ok"); }));
}

TEST_F(SqliteStoreTest, AuditChainHashesLinkAndVerify) {
  auto [tenant, ca] = add_tenant_with_ca(*store_, "acme");
  (void)ca;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store_->write([&, t = tenant](Transaction& tx) {
      AuditEvent e;
      e.tenant_id = i % 2 == 0 ? std::optional<std::int64_t>(t) : std::nullopt;
      e.actor = "cli";
      e.action = "test.event";
      e.object = std::to_string(i);
      e.request_id = "req-" + std::to_string(i);
      e.at = 1'700'000'000 + i;
      return tx.append_audit(e);
    }));
  }
  auto events = store_->list_audit(std::nullopt, 0, 100);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 5u);
  EXPECT_EQ(events->front().prev_hash, kAuditGenesisHash);
  for (std::size_t i = 1; i < events->size(); ++i) {
    EXPECT_EQ((*events)[i].prev_hash, (*events)[i - 1].hash);
    EXPECT_NE((*events)[i].hash, (*events)[i - 1].hash);
  }
  auto hasher = AuditHasher::create();
  ASSERT_TRUE(hasher);
  EXPECT_TRUE(hasher->verify(*events));

  auto tenant_events = store_->list_audit(tenant, 0, 100);
  ASSERT_TRUE(tenant_events);
  EXPECT_EQ(tenant_events->size(), 3u);
  auto after = store_->list_audit(std::nullopt, (*events)[2].id, 100);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->size(), 2u);
}

TEST_F(SqliteStoreTest, TokenRoundTripsAndDuplicateIdIsAlreadyExists) {
  TokenRecord token;
  token.id = "tok_123";
  token.role = "admin";
  token.secret_hash = Bytes(32, 0xAB);
  token.created_at = 10;
  token.expires_at = 20;
  ASSERT_TRUE(store_->write([&](Transaction& tx) { return tx.insert_token(token); }));
  auto found = store_->find_token("tok_123");
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->role, "admin");
  EXPECT_FALSE((*found)->tenant_id.has_value());
  EXPECT_EQ((*found)->secret_hash, token.secret_hash);
  EXPECT_EQ((*found)->expires_at, 20);
  auto dup = store_->write([&](Transaction& tx) { return tx.insert_token(token); });
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::AlreadyExists);
}

TEST_F(SqliteStoreTest, ProfilesAreUniquePerTenantNameAndVersion) {
  auto [tenant, ca] = add_tenant_with_ca(*store_, "acme");
  (void)ca;
  ProfileRecord p;
  p.tenant_id = tenant;
  p.name = "tls_server";
  p.version = 1;
  p.definition_json = "{\"days\":90}";
  ASSERT_TRUE(store_->write([&](Transaction& tx) { return tx.insert_profile(p).transform([](auto) {}); }));
  auto dup = store_->write([&](Transaction& tx) { return tx.insert_profile(p).transform([](auto) {}); });
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::AlreadyExists);
  p.version = 2;
  p.retired = true;
  ASSERT_TRUE(store_->write([&](Transaction& tx) { return tx.insert_profile(p).transform([](auto) {}); }));
  auto all = store_->list_profiles(tenant);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].version, 1);
  EXPECT_FALSE((*all)[0].retired);
  EXPECT_TRUE((*all)[1].retired);
  EXPECT_EQ((*all)[1].definition_json, "{\"days\":90}");
}

TEST_F(SqliteStoreTest, SettingIsOverwritten) {
  ASSERT_TRUE(store_->write([](Transaction& tx) { return tx.put_setting("crl.next", "1"); }));
  ASSERT_TRUE(store_->write([](Transaction& tx) { return tx.put_setting("crl.next", "2"); }));
  auto value = store_->get_setting("crl.next");
  ASSERT_TRUE(value);
  EXPECT_EQ(value->value_or(""), "2");
}

TEST_F(SqliteStoreTest, StatusUpdateUsesRowVersion) {
  auto [tenant, ca] = add_tenant_with_ca(*store_, "acme");
  auto [other, other_ca] = add_tenant_with_ca(*store_, "other");
  (void)other_ca;
  std::int64_t id = 0;
  ASSERT_TRUE(store_->write([&, t = tenant, c = ca](Transaction& tx) -> Status {
    FLEETPKI_TRY(id, tx.insert_certificate(make_certificate(t, c, "77")));
    return ok();
  }));
  auto revoke = [&](std::int64_t tenant_id, int version) {
    return store_->write([&](Transaction& tx) {
      return tx.update_certificate_status(tenant_id, id, kStatusRevoked, 1'750'000'000, 4, version);
    });
  };
  auto wrong_tenant = revoke(other, 1);
  ASSERT_FALSE(wrong_tenant);
  EXPECT_EQ(wrong_tenant.error().code, Errc::NotFound);
  ASSERT_TRUE(revoke(tenant, 1));
  auto stale = revoke(tenant, 1);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, Errc::Aborted);
  auto found = store_->find_certificate(tenant, "77");
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->status, kStatusRevoked);
  EXPECT_EQ((*found)->revocation_reason, 4);
  EXPECT_EQ((*found)->row_version, 2);
}

TEST_F(SqliteStoreTest, ReadersDoNotWaitForAnOpenWriteTransaction) {
  ASSERT_TRUE(store_->write([](Transaction& tx) { return tx.put_setting("k", "before"); }));
  std::atomic<bool> in_write{false}, read_done{false};
  std::thread writer([&] {
    (void)store_->write([&](Transaction& tx) {
      (void)tx.put_setting("k", "during");
      in_write = true;
      while (!read_done) {
        std::this_thread::yield();
      }
      return ok();
    });
  });
  while (!in_write) {
    std::this_thread::yield();
  }
  auto value = store_->get_setting("k");  // would deadlock if readers waited for the writer
  read_done = true;
  writer.join();
  ASSERT_TRUE(value);
  EXPECT_EQ(value->value_or(""), "before");  // the uncommitted write is not visible
  auto after = store_->get_setting("k");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->value_or(""), "during");
}

}  // namespace
}  // namespace fleetpki::store
