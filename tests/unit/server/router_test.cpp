// Router: pattern matching, path parameters, 404/405 problems, HEAD via GET, exceptions → 500.
#include "server/router.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <stdexcept>

namespace fleetpki::server {
namespace {

Request make_request(std::string method, std::string path) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.target = r.path;
  r.request_id = "0123456789abcdef";
  return r;
}

Response text(std::string body) {
  Response r;
  r.content_type = "text/plain";
  r.body = std::move(body);
  return r;
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.add("GET", "/api/v1/health", [](Request&) { return text("health"); });
    router_.add("GET", "/api/v1/tenants/{tenant}/certificates/{serial}", [](Request& r) {
      return text("get " + r.path_params.at("tenant") + " " + r.path_params.at("serial"));
    });
    router_.add("POST", "/api/v1/tenants/{tenant}/certificates", [](Request& r) {
      return text("post " + r.path_params.at("tenant"));
    });
    router_.add("GET", "/api/v1/tenants/{tenant}/certificates", [](Request& r) {
      return text("list " + r.path_params.at("tenant"));
    });
    router_.add("GET", "/api/v1/tenants/{tenant}/certificates/search", [](Request&) {
      return text("search");
    });
    router_.add("GET", "/boom", [](Request&) -> Response { throw std::runtime_error("secret"); });
    router_.add("GET", "/", [](Request&) { return text("root"); });
  }
  Router router_;
};

TEST_F(RouterTest, MatchesLiteralRoute) {
  auto req = make_request("GET", "/api/v1/health");
  auto res = router_.dispatch(req);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "health");
}

TEST_F(RouterTest, FillsPathParameters) {
  auto req = make_request("GET", "/api/v1/tenants/acme/certificates/0a1b");
  auto res = router_.dispatch(req);
  EXPECT_EQ(res.body, "get acme 0a1b");
  EXPECT_EQ(req.path_params.at("tenant"), "acme");
  EXPECT_EQ(req.path_params.at("serial"), "0a1b");
}

TEST_F(RouterTest, ParameterMatchesDecodedSegmentWithSpaces) {
  auto req = make_request("GET", "/api/v1/tenants/a b/certificates/x");
  EXPECT_EQ(router_.dispatch(req).body, "get a b x");
}

TEST_F(RouterTest, LiteralSegmentBeatsParameter) {
  auto req = make_request("GET", "/api/v1/tenants/acme/certificates/search");
  EXPECT_EQ(router_.dispatch(req).body, "search");
}

TEST_F(RouterTest, SelectsByMethod) {
  auto post = make_request("POST", "/api/v1/tenants/acme/certificates");
  EXPECT_EQ(router_.dispatch(post).body, "post acme");
  auto get = make_request("GET", "/api/v1/tenants/acme/certificates");
  EXPECT_EQ(router_.dispatch(get).body, "list acme");
}

TEST_F(RouterTest, RootPattern) {
  auto req = make_request("GET", "/");
  EXPECT_EQ(router_.dispatch(req).body, "root");
}

TEST_F(RouterTest, UnknownPathIs404Problem) {
  auto req = make_request("GET", "/api/v1/nothing");
  auto res = router_.dispatch(req);
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(res.content_type, "application/problem+json");
  auto body = nlohmann::json::parse(res.body);
  EXPECT_EQ(body["status"], 404);
  EXPECT_EQ(body["title"], "Not Found");
  EXPECT_EQ(body["request_id"], "0123456789abcdef");
}

TEST_F(RouterTest, TrailingSlashIsNotMatched) {
  auto req = make_request("GET", "/api/v1/health/");
  EXPECT_EQ(router_.dispatch(req).status, 404);
}

TEST_F(RouterTest, EmptyParameterSegmentIsNotMatched) {
  auto req = make_request("GET", "/api/v1/tenants//certificates/x");
  EXPECT_EQ(router_.dispatch(req).status, 404);
}

TEST_F(RouterTest, PathWithoutLeadingSlashIs404) {
  auto req = make_request("GET", "api/v1/health");
  EXPECT_EQ(router_.dispatch(req).status, 404);
}

TEST_F(RouterTest, WrongMethodIs405WithAllow) {
  auto req = make_request("DELETE", "/api/v1/tenants/acme/certificates");
  auto res = router_.dispatch(req);
  EXPECT_EQ(res.status, 405);
  EXPECT_EQ(res.content_type, "application/problem+json");
  ASSERT_EQ(res.headers.size(), 1u);
  EXPECT_EQ(res.headers[0].first, "Allow");
  EXPECT_EQ(res.headers[0].second, "GET, HEAD, POST");
  EXPECT_EQ(nlohmann::json::parse(res.body)["title"], "Method Not Allowed");
}

TEST_F(RouterTest, HeadUsesGetHandler) {
  auto req = make_request("HEAD", "/api/v1/health");
  auto res = router_.dispatch(req);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "health");  // the session drops the body of HEAD responses
}

TEST_F(RouterTest, HandlerExceptionBecomes500WithoutLeakingMessage) {
  auto req = make_request("GET", "/boom");
  auto res = router_.dispatch(req);
  EXPECT_EQ(res.status, 500);
  EXPECT_EQ(res.content_type, "application/problem+json");
  EXPECT_EQ(res.body.find("secret"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(res.body)["request_id"], "0123456789abcdef");
}

TEST_F(RouterTest, ListsRoutesInRegistrationOrder) {
  auto routes = router_.routes();
  ASSERT_EQ(routes.size(), 7u);
  EXPECT_EQ(routes[0].method, "GET");
  EXPECT_EQ(routes[0].pattern, "/api/v1/health");
  EXPECT_EQ(routes[2].method, "POST");
}

// ---- trailing "{name*}" parameters (OCSP GET: base64 whose '/' arrive percent-decoded) --------

class TailRouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.add("GET", "/ocsp/{request*}", [](Request& r) { return text("tail " + r.path_params.at("request")); });
    router_.add("POST", "/ocsp", [](Request&) { return text("post"); });
    router_.add("GET", "/files/{name}", [](Request& r) { return text("one " + r.path_params.at("name")); });
    router_.add("GET", "/files/{rest*}", [](Request& r) { return text("rest " + r.path_params.at("rest")); });
    router_.add("GET", "/files/special/{rest*}", [](Request& r) { return text("special " + r.path_params.at("rest")); });
  }
  Router router_;
};

TEST_F(TailRouterTest, MatchesOneSegment) {
  auto req = make_request("GET", "/ocsp/MEMwQTA");
  EXPECT_EQ(router_.dispatch(req).body, "tail MEMwQTA");
  EXPECT_EQ(req.path_params.at("request"), "MEMwQTA");
}

TEST_F(TailRouterTest, KeepsSlashesOfSeveralSegments) {
  auto req = make_request("GET", "/ocsp/MEMwQTA/MD0wOzAJBgUrDgMCGgUABBS1ERuTwlEShd1lu16mYbG/6eFKEw+Q==");
  EXPECT_EQ(router_.dispatch(req).body, "tail MEMwQTA/MD0wOzAJBgUrDgMCGgUABBS1ERuTwlEShd1lu16mYbG/6eFKEw+Q==");
}

TEST_F(TailRouterTest, KeepsLeadingAndDoubledSlashes) {
  auto req = make_request("GET", "/ocsp//AB//CD/");
  EXPECT_EQ(router_.dispatch(req).body, "tail /AB//CD/");
}

TEST_F(TailRouterTest, EmptyRestIsNotMatched) {
  auto req = make_request("GET", "/ocsp/");
  EXPECT_EQ(router_.dispatch(req).status, 404);
  auto bare = make_request("GET", "/ocsp");
  auto res = router_.dispatch(bare);
  EXPECT_EQ(res.status, 405);  // POST /ocsp exists
}

TEST_F(TailRouterTest, SingleParameterBeatsTail) {
  auto one = make_request("GET", "/files/a");
  EXPECT_EQ(router_.dispatch(one).body, "one a");
  auto two = make_request("GET", "/files/a/b");
  EXPECT_EQ(router_.dispatch(two).body, "rest a/b");
}

TEST_F(TailRouterTest, LiteralBeatsTail) {
  auto req = make_request("GET", "/files/special/x/y");
  EXPECT_EQ(router_.dispatch(req).body, "special x/y");
  auto lone = make_request("GET", "/files/special");
  EXPECT_EQ(router_.dispatch(lone).body, "one special");
}

TEST_F(TailRouterTest, HeadUsesGetTailHandler) {
  auto req = make_request("HEAD", "/ocsp/a/b");
  EXPECT_EQ(router_.dispatch(req).body, "tail a/b");
}

TEST(RouterDeathTest, TailParameterMustBeLast) {
  Router router;
  EXPECT_DEATH(router.add("GET", "/a/{rest*}/b", [](Request&) { return text("x"); }), "last segment");
}

}  // namespace
}  // namespace fleetpki::server
