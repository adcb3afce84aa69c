// HttpServer end to end: a real TLS (and plain) listener on 127.0.0.1:0 and a blocking client.
#include "server/http_server.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "test_http_client.h"
#include "test_identity.h"

namespace fleetpki::server {
namespace {

using testing::ClientOptions;
using testing::HttpReply;
using testing::TestClient;

std::string get(const std::string& target, const std::string& extra_headers = {}) {
  return "GET " + target + " HTTP/1.1\r\nHost: localhost\r\n" + extra_headers + "\r\n";
}

bool is_hex16(const std::string& s) {
  return s.size() == 16 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

void add_routes(Router& router) {
  router.add("GET", "/hello", [](Request&) {
    Response r;
    r.content_type = "text/plain";
    r.body = "hello world";
    return r;
  });
  router.add("GET", "/echo/{name}", [](Request& r) {
    nlohmann::json j = {
        {"method", r.method},         {"path", r.path},
        {"target", r.target},         {"name", r.path_params.at("name")},
        {"query", r.query},           {"x_test", r.header("x-test").value_or("")},
        {"remote", r.remote_address}, {"tls", r.tls},
        {"request_id", r.request_id}, {"client_certs", r.client_cert_chain_der.size()},
    };
    Response out;
    out.body = j.dump();
    return out;
  });
  router.add("POST", "/echo", [](Request& r) {
    Response out;
    out.status = 201;
    out.content_type = "application/octet-stream";
    out.body = r.body;
    out.headers.emplace_back("Location", "/echo/1");
    return out;
  });
  router.add("GET", "/cached", [](Request&) {
    Response out;
    out.body = "{}";
    out.headers.emplace_back("Cache-Control", "max-age=60");
    return out;
  });
  router.add("GET", "/throw", [](Request&) -> Response { throw std::runtime_error("boom"); });
}

class HttpServerTest : public ::testing::Test {
 protected:
  static constexpr std::size_t kBodyLimit = 1024;

  void SetUp() override {
    auto identity = testing::make_identity();
    ASSERT_FALSE(identity.cert_pem.empty());
    auto ctx = make_server_tls_context(identity.cert_pem, identity.key.get());
    ASSERT_TRUE(ctx) << ctx.error().message << ": " << ctx.error().detail;
    tls_ = *ctx;
    add_routes(router_);
    ServerLimits limits;
    limits.body_limit = kBodyLimit;
    limits.read_timeout = std::chrono::seconds(5);
    limits.idle_timeout = std::chrono::seconds(30);
    server_ = std::make_unique<HttpServer>(4, limits, plain_threads());
    auto tls_port = server_->listen_tls("127.0.0.1", 0, tls_.get(), router_);
    ASSERT_TRUE(tls_port) << tls_port.error().message;
    auto plain_port = server_->listen_plain("127.0.0.1", 0, router_);
    ASSERT_TRUE(plain_port) << plain_port.error().message;
    tls_port_ = *tls_port;
    plain_port_ = *plain_port;
    ASSERT_NE(tls_port_, 0);
    ASSERT_NE(plain_port_, 0);
    server_->start();
  }

  void TearDown() override {
    if (server_) {
      server_->stop();
    }
  }

  /// Threads of the plain listener's own io_context (0 = shared with TLS).
  virtual unsigned plain_threads() const { return 0; }

  std::unique_ptr<TestClient> tls_client(ClientOptions options = {}) {
    return TestClient::connect(tls_port_, options);
  }
  std::unique_ptr<TestClient> plain_client() {
    ClientOptions options;
    options.tls = false;
    return TestClient::connect(plain_port_, options);
  }

  std::shared_ptr<SSL_CTX> tls_;
  Router router_;
  std::unique_ptr<HttpServer> server_;
  std::uint16_t tls_port_ = 0;
  std::uint16_t plain_port_ = 0;
};

TEST_F(HttpServerTest, TlsGetReturnsHandlerBodyAndHeaders) {
  auto client = tls_client();
  ASSERT_TRUE(client);
  EXPECT_EQ(::SSL_version(client->ssl()), TLS1_3_VERSION);
  ASSERT_TRUE(client->send(get("/hello")));
  auto reply = client->read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "hello world");
  EXPECT_EQ(reply->header("content-type"), "text/plain");
  EXPECT_EQ(reply->header("content-length"), "11");
  EXPECT_EQ(reply->header("cache-control"), "no-store");
  EXPECT_TRUE(is_hex16(reply->header("x-request-id"))) << reply->header("x-request-id");
}

TEST_F(HttpServerTest, RequestReachesHandlerDecoded) {
  auto client = tls_client();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->send(get("/echo/a%20b?limit=5&status=good+one&x=%26", "X-Test: yes\r\n")));
  auto reply = client->read_reply();
  ASSERT_TRUE(reply);
  ASSERT_EQ(reply->status, 200);
  EXPECT_EQ(reply->header("content-type"), "application/json");
  auto j = nlohmann::json::parse(reply->body);
  EXPECT_EQ(j["method"], "GET");
  EXPECT_EQ(j["path"], "/echo/a b");
  EXPECT_EQ(j["target"], "/echo/a%20b?limit=5&status=good+one&x=%26");
  EXPECT_EQ(j["name"], "a b");
  EXPECT_EQ(j["query"]["limit"], "5");
  EXPECT_EQ(j["query"]["status"], "good one");
  EXPECT_EQ(j["query"]["x"], "&");
  EXPECT_EQ(j["x_test"], "yes");
  EXPECT_EQ(j["remote"], "127.0.0.1");
  EXPECT_EQ(j["tls"], true);
  EXPECT_EQ(j["request_id"], reply->header("x-request-id"));
}

TEST_F(HttpServerTest, ClientCertificateIsRequestedAcceptedAndPassedOn) {
  auto device = testing::make_identity("device-1");
  ASSERT_FALSE(device.cert_pem.empty());
  ClientOptions options;
  options.client_cert_pem = device.cert_pem;
  options.client_key = device.key.get();
  auto client = tls_client(options);
  ASSERT_TRUE(client);  // self-signed and unknown: still accepted at the TLS layer
  ASSERT_TRUE(client->send(get("/echo/me")));
  auto reply = client->read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(nlohmann::json::parse(reply->body)["client_certs"], 1);

  auto anonymous = tls_client();
  ASSERT_TRUE(anonymous);
  ASSERT_TRUE(anonymous->send(get("/echo/anon")));
  reply = anonymous->read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(nlohmann::json::parse(reply->body)["client_certs"], 0);
}

TEST_F(HttpServerTest, ValidClientRequestIdIsEchoedInvalidOneReplaced) {
  auto client = tls_client();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->send(get("/hello", "X-Request-Id: trace-42_A\r\n")));
  auto reply = client->read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->header("x-request-id"), "trace-42_A");
  ASSERT_TRUE(client->send(get("/hello", "X-Request-Id: not valid!\r\n")));
  reply = client->read_reply();
  ASSERT_TRUE(reply);
  EXPECT_TRUE(is_hex16(reply->header("x-request-id")));
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  auto client = tls_client();
  ASSERT_TRUE(client);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client->send(get("/hello")));
    auto reply = client->read_reply();
    ASSERT_TRUE(reply) << "request " << i;
    EXPECT_EQ(reply->status, 200);
    EXPECT_EQ(reply->body, "hello world");
  }
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  auto client = tls_client();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->send(get("/hello") + get("/echo/x") + get("/nothing")));
  auto first = client->read_reply();
  auto second = client->read_reply();
  auto third = client->read_reply();
  ASSERT_TRUE(first && second && third);
  EXPECT_EQ(first->body, "hello world");
  EXPECT_EQ(nlohmann::json::parse(second->body)["name"], "x");
  EXPECT_EQ(third->status, 404);
}

TEST_F(HttpServerTest, PostBodyAndHandlerHeaders) {
  auto client = tls_client();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nabcde"));
  auto reply = client->read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 201);
  EXPECT_EQ(reply->body, "abcde");
  EXPECT_EQ(reply->header("location"), "/echo/1");
  EXPECT_EQ(reply->header("content-type"), "application/octet-stream");
}

TEST_F(HttpServerTest, HandlerCacheControlIsKept) {
  auto client = tls_client();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->send(get("/cached")));
  auto reply = client->read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->header("cache-control"), "max-age=60");
}

TEST_F(HttpServerTest, BodyOverLimitGets413ProblemAndClose) {
  auto client = tls_client();
  ASSERT_TRUE(client);
  const std::string body(4 * kBodyLimit, 'x');
  ASSERT_TRUE(client->send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n" + body));
  auto reply = client->read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 413);
  EXPECT_EQ(reply->header("content-type"), "application/problem+json");
  EXPECT_EQ(reply->header("connection"), "close");
  auto j = nlohmann::json::parse(reply->body);
  EXPECT_EQ(j["status"], 413);
  EXPECT_EQ(j["title"], "Content Too Large");
  EXPECT_EQ(j["request_id"], reply->header("x-request-id"));
}

TEST_F(HttpServerTest, ChunkedBodyOverLimitGets413) {
  auto client = plain_client();
  ASSERT_TRUE(client);
  std::string request = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 4; ++i) {
    request += "200\r\n" + std::string(512, 'y') + "\r\n";
  }
  request += "0\r\n\r\n";
  ASSERT_TRUE(client->send(request));
  auto reply = client->read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 413);
}

TEST_F(HttpServerTest, ExpectContinueGets100ThenFinalReply) {
  auto client = tls_client();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"));
  auto interim = client->read_reply();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client->send("xyz"));
  auto reply = client->read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 201);
  EXPECT_EQ(reply->body, "xyz");
}

TEST_F(HttpServerTest, ExpectContinueOverLimitGets413WithoutContinue) {
  auto client = tls_client();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                           "Content-Length: 100000\r\n\r\n"));
  auto reply = client->read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 413);
}

TEST_F(HttpServerTest, MalformedRequestLineGets400Problem) {
  auto client = tls_client();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->send("THIS IS NOT HTTP\r\n\r\n"));
  auto reply = client->read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 400);
  EXPECT_EQ(reply->header("content-type"), "application/problem+json");
  EXPECT_EQ(reply->header("connection"), "close");
  EXPECT_EQ(nlohmann::json::parse(reply->body)["status"], 400);
}

TEST_F(HttpServerTest, MalformedRequestClosesPlainConnection) {
  auto client = plain_client();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->send("GET /hello HTTP/1.1\r\nBad Header Line\r\n\r\n"));
  auto reply = client->read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 400);
  EXPECT_TRUE(client->wait_closed());
}

TEST_F(HttpServerTest, BadPercentEncodingGets400) {
  auto client = tls_client();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->send(get("/echo/%zz")));
  auto reply = client->read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 400);
  EXPECT_EQ(reply->header("content-type"), "application/problem+json");
}

TEST_F(HttpServerTest, UnknownPathGets404Problem) {
  auto client = tls_client();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->send(get("/does/not/exist")));
  auto reply = client->read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 404);
  EXPECT_EQ(reply->header("content-type"), "application/problem+json");
  auto j = nlohmann::json::parse(reply->body);
  EXPECT_EQ(j["title"], "Not Found");
  EXPECT_EQ(j["request_id"], reply->header("x-request-id"));
  // A 404 keeps the connection usable.
  ASSERT_TRUE(client->send(get("/hello")));
  auto next = client->read_reply();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
}

TEST_F(HttpServerTest, WrongMethodGets405WithAllow) {
  auto client = tls_client();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->send("DELETE /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto reply = client->read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 405);
  EXPECT_EQ(reply->header("allow"), "GET, HEAD");
}

TEST_F(HttpServerTest, HandlerExceptionGets500Problem) {
  auto client = tls_client();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->send(get("/throw")));
  auto reply = client->read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 500);
  EXPECT_EQ(reply->header("content-type"), "application/problem+json");
  EXPECT_EQ(reply->body.find("boom"), std::string::npos);
}

TEST_F(HttpServerTest, HeadSendsHeadersWithoutBody) {
  auto client = tls_client();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->send("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto reply = client->read_reply(/*head=*/true);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->header("content-length"), "11");
  // The next response starts right after the header: no body bytes were sent.
  ASSERT_TRUE(client->send(get("/hello")));
  auto next = client->read_reply();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, "hello world");
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  auto client = plain_client();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->send(get("/hello", "Connection: close\r\n")));
  auto reply = client->read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->header("connection"), "close");
  EXPECT_TRUE(client->wait_closed());
}

TEST_F(HttpServerTest, Tls11IsRefused) {
  ClientOptions options;
  options.max_tls_version = TLS1_1_VERSION;
  EXPECT_FALSE(tls_client(options));
}

TEST_F(HttpServerTest, Tls12UsesEcdheAead) {
  ClientOptions options;
  options.max_tls_version = TLS1_2_VERSION;
  auto client = tls_client(options);
  ASSERT_TRUE(client);
  EXPECT_EQ(::SSL_version(client->ssl()), TLS1_2_VERSION);
  const std::string cipher = ::SSL_CIPHER_get_name(::SSL_get_current_cipher(client->ssl()));
  EXPECT_EQ(cipher.rfind("ECDHE-", 0), 0u) << cipher;
  EXPECT_TRUE(cipher.find("GCM") != std::string::npos || cipher.find("CHACHA20") != std::string::npos)
      << cipher;
  ASSERT_TRUE(client->send(get("/hello")));
  auto reply = client->read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
}

TEST_F(HttpServerTest, PlainListenerServes) {
  auto client = plain_client();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->send(get("/echo/p")));
  auto reply = client->read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(nlohmann::json::parse(reply->body)["tls"], false);
}

TEST_F(HttpServerTest, PlainClientOnTlsPortIsDropped) {
  ClientOptions options;
  options.tls = false;
  auto client = TestClient::connect(tls_port_, options);
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->send(get("/hello")));
  EXPECT_FALSE(client->read_reply());
}

TEST_F(HttpServerTest, FiftyConcurrentConnectionsAreAllAnswered) {
  constexpr int kClients = 50;
  std::atomic<int> answered{0};
  std::vector<std::thread> threads;
  threads.reserve(kClients);
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([this, i, &answered] {
      auto client = tls_client();
      if (!client || !client->send(get("/echo/c" + std::to_string(i)))) {
        return;
      }
      auto reply = client->read_reply();
      if (reply && reply->status == 200 &&
          nlohmann::json::parse(reply->body)["name"] == "c" + std::to_string(i)) {
        ++answered;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(answered.load(), kClients);
}

TEST_F(HttpServerTest, StopReturnsPromptlyWithIdleKeepAliveClient) {
  auto client = tls_client();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->send(get("/hello")));
  ASSERT_TRUE(client->read_reply());
  auto plain = plain_client();  // connected, never sends anything
  ASSERT_TRUE(plain);
  const auto started = std::chrono::steady_clock::now();
  server_->stop();
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_LT(elapsed, std::chrono::seconds(2));
  EXPECT_TRUE(client->wait_closed());
  EXPECT_TRUE(plain->wait_closed());
  server_->stop();  // idempotent
}

// The same server with the plain listener on its own io_context and thread (serve's default).
class HttpServerPlainPoolTest : public HttpServerTest {
 protected:
  unsigned plain_threads() const override { return 1; }
};

TEST_F(HttpServerPlainPoolTest, BothListenersServeConcurrently) {
  constexpr int kClients = 16;
  std::atomic<int> answered{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([this, i, &answered] {
      auto client = i % 2 ? plain_client() : tls_client();
      if (!client) return;
      for (int k = 0; k < 3; ++k) {  // keep-alive: three requests on one connection
        if (!client->send(get("/echo/c" + std::to_string(i)))) return;
        auto reply = client->read_reply();
        if (!reply || reply->status != 200 || nlohmann::json::parse(reply->body)["tls"] != (i % 2 == 0)) return;
      }
      ++answered;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(answered.load(), kClients);
}

TEST_F(HttpServerPlainPoolTest, StopClosesConnectionsOfBothContexts) {
  auto tls = tls_client();
  auto plain = plain_client();
  ASSERT_TRUE(tls && plain);
  ASSERT_TRUE(plain->send(get("/hello")));
  ASSERT_TRUE(plain->read_reply());
  server_->stop();
  EXPECT_TRUE(tls->wait_closed());
  EXPECT_TRUE(plain->wait_closed());
  server_->stop();  // idempotent
}

TEST_F(HttpServerTest, ListenOnBusyPortIsUnavailable) {
  HttpServer other(1);
  auto port = other.listen_plain("127.0.0.1", plain_port_, router_);
  ASSERT_FALSE(port);
  EXPECT_EQ(port.error().code, Errc::Unavailable);
}

TEST_F(HttpServerTest, ListenResolvesLocalhost) {
  HttpServer other(1);
  auto port = other.listen_plain("localhost", 0, router_);
  ASSERT_TRUE(port) << port.error().message;
  other.start();
  ClientOptions options;
  options.tls = false;
  auto client = TestClient::connect(*port, options);
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->send(get("/hello")));
  auto reply = client->read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
}

TEST(HttpServerLimits, ConnectionsBeyondMaxAreRefused) {
  Router router;
  add_routes(router);
  ServerLimits limits;
  limits.max_connections = 2;
  HttpServer server(2, limits);
  auto port = server.listen_plain("127.0.0.1", 0, router);
  ASSERT_TRUE(port);
  server.start();
  ClientOptions options;
  options.tls = false;
  auto a = TestClient::connect(*port, options);
  auto b = TestClient::connect(*port, options);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->send(get("/hello")) && a->read_reply());  // both admitted before the third
  ASSERT_TRUE(b->send(get("/hello")) && b->read_reply());
  auto c = TestClient::connect(*port, options);
  ASSERT_TRUE(c);  // the kernel completes the TCP handshake; the server then closes it
  EXPECT_TRUE(c->wait_closed());
  a.reset();  // a slot frees up once the server notices the close: bounded polling
  bool served = false;
  for (int attempt = 0; attempt < 100 && !served; ++attempt) {
    auto d = TestClient::connect(*port, options);
    served = d && d->send(get("/hello")) && d->read_reply().has_value();
    if (!served) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  EXPECT_TRUE(served);
}

TEST(HttpServerLimits, IdleKeepAliveConnectionIsClosedAfterIdleTimeout) {
  Router router;
  add_routes(router);
  ServerLimits limits;
  limits.idle_timeout = std::chrono::seconds(1);
  HttpServer server(2, limits);
  auto port = server.listen_plain("127.0.0.1", 0, router);
  ASSERT_TRUE(port);
  server.start();
  ClientOptions options;
  options.tls = false;
  options.timeout_seconds = 5;
  auto client = TestClient::connect(*port, options);
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->send(get("/hello")) && client->read_reply());
  EXPECT_TRUE(client->wait_closed());  // within the 5 s receive timeout
}

TEST(HttpServerLimits, HeaderOverLimitGets431) {
  Router router;
  add_routes(router);
  ServerLimits limits;
  limits.header_limit = 512;
  HttpServer server(1, limits);
  auto port = server.listen_plain("127.0.0.1", 0, router);
  ASSERT_TRUE(port);
  server.start();
  ClientOptions options;
  options.tls = false;
  auto client = TestClient::connect(*port, options);
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->send(get("/hello", "X-Big: " + std::string(2000, 'a') + "\r\n")));
  auto reply = client->read_reply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 431);
}

TEST(HttpServerLifecycle, DestructorWithoutStartIsClean) {
  Router router;
  HttpServer server(2);
  ASSERT_TRUE(server.listen_plain("127.0.0.1", 0, router));
}

}  // namespace
}  // namespace fleetpki::server
