// problem+json: the Errc → HTTP status table and the RFC 9457 body.
#include "server/problem_json.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace fleetpki::server {
namespace {

struct StatusCase {
  Errc code;
  int status;
};

TEST(ProblemJson, MapsEveryErrcToItsHttpStatus) {
  const StatusCase cases[] = {
      {Errc::InvalidArgument, 400},   {Errc::Unauthenticated, 401}, {Errc::PermissionDenied, 403},
      {Errc::NotFound, 404},          {Errc::AlreadyExists, 409},   {Errc::Aborted, 409},
      {Errc::FailedPrecondition, 409}, {Errc::ResourceExhausted, 413},
      {Errc::Unimplemented, 501},     {Errc::Unavailable, 503},     {Errc::DataLoss, 500},
      {Errc::Internal, 500},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(http_status(c.code), c.status) << errc_name(c.code);
  }
}

TEST(ProblemJson, BodyHasTypeTitleStatusDetailAndRequestId) {
  auto res = problem(404, "no such certificate", "abcdef0123456789");
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(res.content_type, "application/problem+json");
  auto body = nlohmann::json::parse(res.body);
  EXPECT_EQ(body["type"], "about:blank");
  EXPECT_EQ(body["title"], "Not Found");
  EXPECT_EQ(body["status"], 404);
  EXPECT_EQ(body["detail"], "no such certificate");
  EXPECT_EQ(body["request_id"], "abcdef0123456789");
}

TEST(ProblemJson, TitlesAreStandardReasonPhrases) {
  EXPECT_EQ(nlohmann::json::parse(problem(413, "x").body)["title"], "Content Too Large");
  EXPECT_EQ(nlohmann::json::parse(problem(503, "x").body)["title"], "Service Unavailable");
  EXPECT_EQ(nlohmann::json::parse(problem(401, "x").body)["title"], "Unauthorized");
  EXPECT_EQ(nlohmann::json::parse(problem(431, "x").body)["title"],
            "Request Header Fields Too Large");
}

TEST(ProblemJson, OmitsEmptyRequestId) {
  auto body = nlohmann::json::parse(problem(400, "bad").body);
  EXPECT_FALSE(body.contains("request_id"));
}

TEST(ProblemJson, ErrorUsesMessageNeverDetail) {
  auto res = problem(make_error(Errc::ResourceExhausted, "body too large", "internal detail"), "id1");
  EXPECT_EQ(res.status, 413);
  EXPECT_EQ(res.body.find("internal detail"), std::string::npos);
  auto body = nlohmann::json::parse(res.body);
  EXPECT_EQ(body["detail"], "body too large");
  EXPECT_EQ(body["request_id"], "id1");
}

TEST(ProblemJson, InvalidUtf8InDetailDoesNotThrow) {
  auto res = problem(400, std::string("bad \xff byte"));
  EXPECT_TRUE(nlohmann::json::accept(res.body));
}

}  // namespace
}  // namespace fleetpki::server
