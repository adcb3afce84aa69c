// GET /metrics: served to loopback clients only unless allowed (it names tenants and their sizes).
#include "server/revocation/metrics_routes.h"

#include <gtest/gtest.h>

#include "keys/software/software_key_vault.h"
#include "store/sqlite/sqlite_store.h"
#include "support/temp_dir.h"

namespace fleetpki::server::revocation {
namespace {

TEST(MetricsRoutes, LoopbackAddresses) {
  for (const char* a : {"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"}) EXPECT_TRUE(is_loopback_address(a)) << a;
  for (const char* a : {"10.0.0.1", "192.168.1.127", "::2", "::ffff:10.0.0.1", "1127.0.0.1", "", "fe80::1"}) {
    EXPECT_FALSE(is_loopback_address(a)) << a;
  }
}

class MetricsRouteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::open_sqlite_store(dir_.path() / "t.db", {.durable = false});
    ASSERT_TRUE(store);
    store_ = std::move(*store);
    auto vault = keys::SoftwareKeyVault::open(crypto_, dir_.path() / "keys", SecureBytes(Bytes(32, 3)));
    ASSERT_TRUE(vault);
    vault_ = std::move(*vault);
    auto authority = authority::Authority::create({*store_, *vault_, crypto_, clock_}, {});
    ASSERT_TRUE(authority);
    authority_ = std::move(*authority);
  }

  Response scrape(bool allow_remote, const std::string& from) {
    Router router;
    MetricsSources sources{*authority_, *store_};
    sources.allow_remote = allow_remote;
    register_metrics_routes(router, sources);
    Request request;
    request.method = "GET";
    request.path = request.target = "/metrics";
    request.remote_address = from;
    return router.dispatch(request);
  }

  fleetpki::testing::TempDir dir_;
  pki::CryptoContext crypto_;
  SystemClock clock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<keys::SoftwareKeyVault> vault_;
  std::unique_ptr<authority::Authority> authority_;
};

TEST_F(MetricsRouteTest, LoopbackClientsGetTheExposition) {
  auto r = scrape(false, "127.0.0.1");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("fleetpki_certificates_issued_total"), std::string::npos);
}

TEST_F(MetricsRouteTest, RemoteClientsAreRefusedUnlessAllowed) {
  auto refused = scrape(false, "10.1.2.3");
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.content_type, "application/problem+json");
  EXPECT_EQ(refused.body.find("fleetpki_"), std::string::npos);
  EXPECT_EQ(scrape(true, "10.1.2.3").status, 200);
}

}  // namespace
}  // namespace fleetpki::server::revocation
