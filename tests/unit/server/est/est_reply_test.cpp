// EST answers: the Errc → status table, text or problem bodies, 401 challenges, 202 pending.
#include "server/est/est_reply.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace fleetpki::server::est {
namespace {

std::string header(const Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return {};
}

TEST(EstReply, StatusOfEveryErrc) {
  struct Case {
    Errc code;
    int want;
  };
  const Case cases[] = {
      {Errc::InvalidArgument, 400},  {Errc::Unauthenticated, 401},
      {Errc::PermissionDenied, 403}, {Errc::FailedPrecondition, 403},
      {Errc::NotFound, 404},         {Errc::AlreadyExists, 409},
      {Errc::Aborted, 409},          {Errc::ResourceExhausted, 413},
      {Errc::Unimplemented, 501},    {Errc::Unavailable, 503},
      {Errc::DataLoss, 500},         {Errc::Internal, 500},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(est_status(c.code), c.want) << errc_name(c.code);
  }
}

TEST(EstReply, ErrorsAreTextUnlessProblemJsonIsAccepted) {
  Request request;
  request.request_id = "0123456789abcdef";
  const Error error{Errc::PermissionDenied, "device dev-1 is suspended", "secret detail"};

  const Response text = est_error(error, request);
  EXPECT_EQ(text.status, 403);
  EXPECT_EQ(text.content_type.rfind("text/plain", 0), 0u);
  EXPECT_EQ(text.body, "device dev-1 is suspended\n");
  EXPECT_EQ(text.body.find("secret"), std::string::npos);

  request.headers["accept"] = "application/problem+json";
  const Response problem = est_error(error, request);
  EXPECT_EQ(problem.status, 403);
  EXPECT_EQ(problem.content_type, "application/problem+json");
  const auto j = nlohmann::json::parse(problem.body);
  EXPECT_EQ(j["status"], 403);
  EXPECT_EQ(j["detail"], "device dev-1 is suspended");
  EXPECT_EQ(j["request_id"], "0123456789abcdef");
  EXPECT_EQ(problem.body.find("secret"), std::string::npos);
}

TEST(EstReply, UnauthenticatedCarriesABasicChallenge) {
  Request request;
  for (const char* accept : {"", "application/problem+json"}) {
    if (*accept != '\0') request.headers["accept"] = accept;
    const Response r = est_error(Error{Errc::Unauthenticated, "no credential", ""}, request);
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(header(r, "WWW-Authenticate"), "Basic realm=\"fleetpki EST\"");
  }
  const Response forbidden = est_error(Error{Errc::PermissionDenied, "no", ""}, request);
  EXPECT_EQ(header(forbidden, "WWW-Authenticate"), "");
}

TEST(EstReply, PendingIs202WithRetryAfterInSeconds) {
  const Response r = est_pending(60);
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(header(r, "Retry-After"), "60");
  EXPECT_EQ(r.content_type.rfind("text/plain", 0), 0u);
  EXPECT_FALSE(r.body.empty());
  EXPECT_EQ(header(est_pending(0), "Retry-After"), "1") << "Retry-After is at least one second";
}

TEST(EstReply, Base64BodyWithTheGivenType) {
  const Response r = est_base64("application/csrattrs", Bytes{0x30, 0x00});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/csrattrs");
  EXPECT_EQ(r.body, "MAA=\n");
}

}  // namespace
}  // namespace fleetpki::server::est
