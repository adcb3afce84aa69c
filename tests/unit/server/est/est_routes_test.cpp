// EST routes: paths, methods and the checks made before the enrollment service is called.
#include "server/est/est_routes.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <utility>

#include "keys/software/software_key_vault.h"
#include "store/sqlite/sqlite_store.h"
#include "support/temp_dir.h"

namespace fleetpki::server::est {
namespace {

class EstRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::open_sqlite_store(dir_.path() / "t.db", {.durable = false});
    ASSERT_TRUE(store);
    store_ = std::move(*store);
    auto vault =
        keys::SoftwareKeyVault::open(crypto_, dir_.path() / "keys", SecureBytes(Bytes(32, 3)));
    ASSERT_TRUE(vault);
    vault_ = std::move(*vault);
    auto authority = authority::Authority::create({*store_, *vault_, crypto_, clock_}, {});
    ASSERT_TRUE(authority);
    authority_ = std::move(*authority);
    register_routes(router_, *authority_);
  }

  Response call(const std::string& method, const std::string& path, std::string body = {},
                std::map<std::string, std::string> headers = {}) {
    Request request;
    request.method = method;
    request.path = request.target = path;
    request.body = std::move(body);
    request.headers = std::move(headers);
    request.tls = true;
    request.request_id = "00000000000000aa";
    return router_.dispatch(request);
  }

  static std::string header(const Response& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return {};
  }

  fleetpki::testing::TempDir dir_;
  pki::CryptoContext crypto_;
  SystemClock clock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<keys::SoftwareKeyVault> vault_;
  std::unique_ptr<authority::Authority> authority_;
  Router router_;
};

TEST_F(EstRoutesTest, EveryOperationWithAndWithoutLabel) {
  std::set<std::pair<std::string, std::string>> routed;
  for (const auto& r : router_.routes()) routed.emplace(r.method, r.pattern);
  for (const std::string prefix : {"/.well-known/est/", "/.well-known/est/{label}/"}) {
    EXPECT_TRUE(routed.count({"GET", prefix + "cacerts"})) << prefix;
    EXPECT_TRUE(routed.count({"GET", prefix + "csrattrs"})) << prefix;
    EXPECT_TRUE(routed.count({"POST", prefix + "simpleenroll"})) << prefix;
    EXPECT_TRUE(routed.count({"POST", prefix + "simplereenroll"})) << prefix;
    EXPECT_TRUE(routed.count({"POST", prefix + "serverkeygen"})) << prefix;
  }
  EXPECT_EQ(routed.size(), 10u);
}

TEST_F(EstRoutesTest, UnknownOperationsAndWrongMethods) {
  EXPECT_EQ(call("POST", "/.well-known/est/fullcmc", "MAA=").status, 404);
  EXPECT_EQ(call("GET", "/.well-known/est/default/nothing").status, 404);
  EXPECT_EQ(call("GET", "/.well-known/est/a/b/cacerts").status, 404);
  EXPECT_EQ(call("GET", "/.well-known/est/simpleenroll").status, 405);
  EXPECT_EQ(call("POST", "/.well-known/est/cacerts").status, 405);
}

TEST_F(EstRoutesTest, LabelsThatCannotExistAre404) {
  // RFC 7030 §3.2.2: a label never equals an operation name.
  const std::pair<const char*, const char*> cases[] = {
      {"GET", "/.well-known/est/cacerts/cacerts"},
      {"GET", "/.well-known/est/Bad_Label/csrattrs"},
      {"POST", "/.well-known/est/simpleenroll/simpleenroll"},
  };
  for (const auto& [method, path] : cases) {
    const Response r = call(method, path, "MAA=", {{"content-type", "application/pkcs10"}});
    EXPECT_EQ(r.status, 404) << path << ": " << r.body;
  }
}

TEST_F(EstRoutesTest, BodiesThatCannotBeReadAre400BeforeTheServiceIsAsked) {
  struct Case {
    const char* name;
    std::map<std::string, std::string> headers;
    std::string body;
    const char* says;
  };
  const Case cases[] = {
      {"no Content-Type", {}, "MAA=", "application/pkcs10"},
      {"wrong Content-Type", {{"content-type", "application/json"}}, "MAA=", "application/pkcs10"},
      {"PEM body",
       {{"content-type", "application/pkcs10"}},
       "-----BEGIN CERTIFICATE REQUEST-----\nMAA=\n-----END CERTIFICATE REQUEST-----\n",
       "PEM"},
      {"not base64", {{"content-type", "application/pkcs10"}}, "MA*A", "base64"},
      {"empty", {{"content-type", "application/pkcs10"}}, "", "empty"},
  };
  for (const char* op : {"simpleenroll", "simplereenroll", "serverkeygen"}) {
    for (const auto& c : cases) {
      for (const std::string prefix : {"/.well-known/est/", "/.well-known/est/default/"}) {
        const Response r = call("POST", prefix + op, c.body, c.headers);
        EXPECT_EQ(r.status, 400) << op << " " << c.name;
        EXPECT_EQ(r.content_type.rfind("text/plain", 0), 0u) << op << " " << c.name;
        EXPECT_NE(r.body.find(c.says), std::string::npos) << op << " " << c.name << ": " << r.body;
      }
    }
  }
}

TEST_F(EstRoutesTest, ContentTypeParametersAndCaseAreTolerated) {
  // The service answers (whatever it says), the transport does not refuse the body.
  const Response r = call(
      "POST", "/.well-known/est/simpleenroll", "MA\r\nA=",
      {{"content-type", "Application/PKCS10; charset=x"}, {"content-transfer-encoding", "7bit"}});
  EXPECT_EQ(r.body.find("Content-Type"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("base64"), std::string::npos) << r.body;
}

TEST_F(EstRoutesTest, MalformedBasicCredentialsAre401WithAChallenge) {
  const Response r =
      call("POST", "/.well-known/est/simpleenroll",
           "MAA=", {{"content-type", "application/pkcs10"}, {"authorization", "Basic !!"}});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(header(r, "WWW-Authenticate"), "Basic realm=\"fleetpki EST\"");
}

TEST_F(EstRoutesTest, ServerKeygenOnlyOverTls) {
  Request request;
  request.method = "POST";
  request.path = request.target = "/.well-known/est/serverkeygen";
  request.body = "MAA=";
  request.headers["content-type"] = "application/pkcs10";
  request.tls = false;
  EXPECT_EQ(router_.dispatch(request).status, 403);
}

TEST_F(EstRoutesTest, ProblemJsonWhenAsked) {
  const Response r = call("POST", "/.well-known/est/simpleenroll",
                          "MAA=", {{"accept", "application/problem+json"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "application/problem+json");
}

}  // namespace
}  // namespace fleetpki::server::est
