// The OpenAPI document and the route table must describe the same REST v1 API.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <set>

#include "authority/authority.h"
#include "keys/software/software_key_vault.h"
#include "server/api_v1/api_v1.h"
#include "server/est/est_routes.h"
#include "store/sqlite/sqlite_store.h"
#include "support/temp_dir.h"

namespace fleetpki::server::api_v1 {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

TEST(OpenApi, EveryRestV1RouteIsDocumentedAndEveryDocumentedOperationIsRouted) {
  testing::TempDir dir;
  pki::CryptoContext crypto;
  SystemClock clock;
  auto store = store::open_sqlite_store(dir.path() / "t.db", {.durable = false});
  ASSERT_TRUE(store);
  auto vault = keys::SoftwareKeyVault::open(crypto, dir.path() / "keys", SecureBytes(Bytes(32, 3)));
  ASSERT_TRUE(vault);
  auto authority = authority::Authority::create({**store, **vault, crypto, clock}, {});
  ASSERT_TRUE(authority);
  Router https, http;
  register_routes(https, http, **authority);

  auto doc = nlohmann::json::parse(openapi_document(), nullptr, false);
  ASSERT_FALSE(doc.is_discarded());
  ASSERT_TRUE(doc.contains("openapi"));
  std::set<std::pair<std::string, std::string>> documented, routed;
  for (const auto& [path, ops] : doc["paths"].items()) {
    for (const auto& [method, op] : ops.items()) {
      if (method == "parameters") continue;
      documented.emplace(lower(method), path);
    }
  }
  for (const auto& r : https.routes()) {
    if (r.pattern.rfind("/api/v1/", 0) == 0) routed.emplace(lower(r.method), r.pattern);
  }
  EXPECT_EQ(documented, routed);
  EXPECT_FALSE(routed.empty());
}

}  // namespace
}  // namespace fleetpki::server::api_v1
