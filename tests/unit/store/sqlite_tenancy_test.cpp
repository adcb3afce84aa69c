// SQLite tenancy port: tenant pages, token and operator certificate listings scoped by tenant,
// CA updates, idempotency keys, and the query plans of the lookups that run on every request.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "store/sqlite/sqlite_store.h"
#include "store_test_support.h"

namespace fleetpki::store {
namespace {

using testing::add_tenant_with_ca;
using testing::TempDir;

using testing::query_plan;

class SqliteTenancyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = open_sqlite_store(path(), {.durable = false});
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
  }
  std::filesystem::path path() const { return dir_.path() / "t.db"; }

  TokenRecord token(std::string id, std::optional<std::int64_t> tenant_id) {
    TokenRecord t;
    t.id = std::move(id);
    t.tenant_id = tenant_id;
    t.role = "operator";
    t.secret_hash = Bytes(32, 1);
    t.created_at = 1'700'000'000;
    return t;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(SqliteTenancyTest, TenantsArePagedById) {
  for (const char* name : {"a", "b", "c"}) add_tenant_with_ca(*store_, name);
  auto first = store_->list_tenants_page(0, 2);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->items.size(), 2u);
  ASSERT_TRUE(first->next_after);
  auto rest = store_->list_tenants_page(*first->next_after, 2);
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->items.size(), 1u);
  EXPECT_EQ(rest->items[0].name, "c");
  EXPECT_FALSE(rest->next_after);
  auto by_id = store_->find_tenant_by_id(rest->items[0].id);
  ASSERT_TRUE(by_id && *by_id);
  EXPECT_EQ((*by_id)->name, "c");
}

TEST_F(SqliteTenancyTest, TokensAreListedPerTenantAndRevokedOnlyInTheirTenant) {
  auto [a, ca_a] = add_tenant_with_ca(*store_, "a");
  auto [b, ca_b] = add_tenant_with_ca(*store_, "b");
  (void)ca_a, (void)ca_b;
  ASSERT_TRUE(store_->write([&](Transaction& tx) -> Status {
    FLEETPKI_RETURN_IF_ERROR(tx.insert_token(token("a1", a)));
    FLEETPKI_RETURN_IF_ERROR(tx.insert_token(token("a2", a)));
    FLEETPKI_RETURN_IF_ERROR(tx.insert_token(token("b1", b)));
    return tx.insert_token(token("p1", std::nullopt));
  }));
  auto listed = store_->list_tokens(a, 0, 10);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->items.size(), 2u);
  EXPECT_EQ(listed->items[0].id, "a1");
  auto platform = store_->list_tokens(std::nullopt, 0, 10);
  ASSERT_TRUE(platform);
  ASSERT_EQ(platform->items.size(), 1u);
  EXPECT_EQ(platform->items[0].id, "p1");

  auto wrong = store_->write([&](Transaction& tx) { return tx.revoke_token(b, "a1"); });
  EXPECT_EQ(wrong.error().code, Errc::NotFound);
  EXPECT_FALSE(store_->find_token("a1").value()->revoked);
  ASSERT_TRUE(store_->write([&](Transaction& tx) { return tx.revoke_token(a, "a1"); }));
  EXPECT_TRUE(store_->find_token("a1").value()->revoked);
}

TEST_F(SqliteTenancyTest, OperatorCertificatesAreUniqueAndScoped) {
  auto [a, ca_a] = add_tenant_with_ca(*store_, "a");
  auto [b, ca_b] = add_tenant_with_ca(*store_, "b");
  (void)ca_a, (void)ca_b;
  OperatorCertificateRecord rec{std::string(64, 'f'), a, "auditor", "CN=alice", 1'900'000'000, 1'700'000'000, false};
  ASSERT_TRUE(store_->write([&](Transaction& tx) { return tx.insert_operator_certificate(rec); }));
  auto again = store_->write([&](Transaction& tx) { return tx.insert_operator_certificate(rec); });
  EXPECT_EQ(again.error().code, Errc::AlreadyExists);
  EXPECT_EQ(store_->list_operator_certificates(a, 0, 10).value().items.size(), 1u);
  EXPECT_TRUE(store_->list_operator_certificates(b, 0, 10).value().items.empty());
  auto wrong = store_->write([&](Transaction& tx) { return tx.revoke_operator_certificate(b, rec.fingerprint); });
  EXPECT_EQ(wrong.error().code, Errc::NotFound);
  ASSERT_TRUE(store_->write([&](Transaction& tx) { return tx.revoke_operator_certificate(a, rec.fingerprint); }));
  EXPECT_TRUE(store_->find_operator_certificate(rec.fingerprint).value()->revoked);
}

TEST_F(SqliteTenancyTest, CaUpdateIsScopedByTenantAndKeepsTheExternalChain) {
  auto [a, ca_a] = add_tenant_with_ca(*store_, "a");
  auto [b, ca_b] = add_tenant_with_ca(*store_, "b");
  (void)ca_b;
  const Bytes der{0x30, 0x01, 0x00};
  auto wrong = store_->write([&](Transaction& tx) { return tx.update_ca(b, ca_a, der, "active", "chain"); });
  EXPECT_EQ(wrong.error().code, Errc::NotFound);
  ASSERT_TRUE(store_->write([&](Transaction& tx) { return tx.update_ca(a, ca_a, der, "disabled", "chain"); }));
  auto cas = store_->list_cas(a);
  ASSERT_TRUE(cas);
  ASSERT_EQ(cas->size(), 1u);
  EXPECT_EQ((*cas)[0].status, "disabled");
  EXPECT_EQ((*cas)[0].certificate_der, der);
  EXPECT_EQ((*cas)[0].external_chain_pem.value_or(""), "chain");
}

TEST_F(SqliteTenancyTest, IdempotencyKeysAreUniquePerPrincipalAndExpire) {
  IdempotencyRecord rec{"p", "k", "h", 201, "application/json", "sealed", 1'700'000'000};
  ASSERT_TRUE(store_->write([&](Transaction& tx) { return tx.insert_idempotency(rec); }));
  auto again = store_->write([&](Transaction& tx) { return tx.insert_idempotency(rec); });
  EXPECT_EQ(again.error().code, Errc::AlreadyExists);
  EXPECT_TRUE(store_->find_idempotency("p", "k").value().has_value());
  EXPECT_FALSE(store_->find_idempotency("q", "k").value().has_value());
  ASSERT_TRUE(store_->write([&](Transaction& tx) { return tx.delete_idempotency_before(1'700'000'001); }));
  EXPECT_FALSE(store_->find_idempotency("p", "k").value().has_value());
}

TEST_F(SqliteTenancyTest, PerRequestLookupsAreIndexSeeks) {
  add_tenant_with_ca(*store_, "a");
  EXPECT_NE(query_plan(path(), "SELECT * FROM tokens WHERE tenant_id IS 1 AND rowid > 0 ORDER BY rowid LIMIT 10")
                .find("USING INDEX tokens_tenant"),
            std::string::npos);
  EXPECT_NE(query_plan(path(), "SELECT * FROM operator_certificates WHERE fingerprint = 'x'").find("USING INDEX"),
            std::string::npos);
  EXPECT_NE(query_plan(path(), "SELECT * FROM idempotency_keys WHERE principal = 'p' AND key = 'k'").find("USING INDEX"),
            std::string::npos);
  const std::string sweep = query_plan(path(), "DELETE FROM idempotency_keys WHERE created_at < 5");
  EXPECT_NE(sweep.find("idempotency_keys_created"), std::string::npos) << sweep;
}

}  // namespace
}  // namespace fleetpki::store
