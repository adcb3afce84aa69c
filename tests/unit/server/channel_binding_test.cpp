// Channel bindings seen by handlers (RFC 7030 §3.5 linking): a real OpenSSL client computes
// tls-unique (RFC 5929) on TLS 1.2 and tls-exporter (RFC 9266) on TLS 1.3 on its side of the
// connection, and the handler of a real HttpServer on 127.0.0.1:0 must have seen the same bytes.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "server/http_server.h"
#include "test_identity.h"

namespace fleetpki::server {
namespace {

struct SslCtxFree {
  void operator()(SSL_CTX* p) const { ::SSL_CTX_free(p); }
};
struct SslFree {
  void operator()(SSL* p) const { ::SSL_free(p); }
};
struct SessionFree {
  void operator()(SSL_SESSION* p) const { ::SSL_SESSION_free(p); }
};
using SessionPtr = std::unique_ptr<SSL_SESSION, SessionFree>;

struct Options {
  int version = TLS1_3_VERSION;   // pinned: min = max
  SSL_SESSION* resume = nullptr;  // offer this session
  bool extended_master_secret = true;
};

/// What one connection saw on both sides.
struct Observed {
  bool reused = false;
  Bytes client_binding;  // computed by the client
  int server_version = -1;
  Bytes server_binding;  // what the handler saw (hex in the body)
  std::vector<std::string> bodies;
  SessionPtr session;
};

/// One TLS connection to 127.0.0.1:port sending `requests` GET /binding on it (keep-alive).
std::optional<Observed> connect_and_ask(std::uint16_t port, const Options& options,
                                        int requests = 1) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return std::nullopt;
  struct FdClose {
    int fd;
    ~FdClose() { ::close(fd); }
  } closer{fd};
  timeval tv{};
  tv.tv_sec = 10;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
    return std::nullopt;

  std::unique_ptr<SSL_CTX, SslCtxFree> ctx(::SSL_CTX_new(::TLS_client_method()));
  if (!ctx) return std::nullopt;
  ::SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  ::SSL_CTX_set_min_proto_version(ctx.get(), options.version);
  ::SSL_CTX_set_max_proto_version(ctx.get(), options.version);
  // No client session cache: freeing a context flushes its cache, which makes the sessions in
  // it non-resumable, and each connection here has its own context.
  if (!options.extended_master_secret) {
    ::SSL_CTX_set_options(ctx.get(), SSL_OP_NO_EXTENDED_MASTER_SECRET);
  }
  std::unique_ptr<SSL, SslFree> ssl(::SSL_new(ctx.get()));
  if (!ssl || ::SSL_set_fd(ssl.get(), fd) != 1) return std::nullopt;
  if (options.resume != nullptr && ::SSL_set_session(ssl.get(), options.resume) != 1)
    return std::nullopt;
  if (::SSL_connect(ssl.get()) != 1) {
    ::ERR_clear_error();
    return std::nullopt;
  }

  Observed out;
  out.reused = ::SSL_session_reused(ssl.get()) == 1;
  if (options.version == TLS1_3_VERSION) {
    // RFC 9266 §2: TLS-Exporter("EXPORTER-Channel-Binding", empty context, 32).
    out.client_binding.resize(32);
    if (::SSL_export_keying_material(ssl.get(), out.client_binding.data(), 32,
                                     "EXPORTER-Channel-Binding", 24, nullptr, 0, 0) != 1) {
      return std::nullopt;
    }
  } else {
    // RFC 5929 §3.1: the first Finished of the handshake: ours in a full handshake, the server's
    // in an abbreviated one.
    std::array<std::uint8_t, EVP_MAX_MD_SIZE> finished{};
    const std::size_t n = out.reused
                              ? ::SSL_get_peer_finished(ssl.get(), finished.data(), finished.size())
                              : ::SSL_get_finished(ssl.get(), finished.data(), finished.size());
    out.client_binding.assign(finished.begin(), finished.begin() + static_cast<std::ptrdiff_t>(n));
  }

  std::string buffer;
  for (int i = 0; i < requests; ++i) {
    const std::string request = "GET /binding HTTP/1.1\r\nHost: localhost\r\n\r\n";
    if (::SSL_write(ssl.get(), request.data(), static_cast<int>(request.size())) <= 0)
      return std::nullopt;
    std::size_t header_end;
    std::size_t length = 0;
    while (true) {
      header_end = buffer.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        const auto at = buffer.find("Content-Length: ");
        if (at == std::string::npos || at > header_end) return std::nullopt;
        length = std::stoul(buffer.substr(at + 16));
        if (buffer.size() >= header_end + 4 + length) break;
      }
      std::array<char, 4096> chunk{};
      const int n = ::SSL_read(ssl.get(), chunk.data(), static_cast<int>(chunk.size()));
      if (n <= 0) return std::nullopt;
      buffer.append(chunk.data(), static_cast<std::size_t>(n));
    }
    out.bodies.push_back(buffer.substr(header_end + 4, length));
    buffer.erase(0, header_end + 4 + length);
  }
  // The body is "<tls_version> <hex binding>".
  const std::string& body = out.bodies.front();
  const auto space = body.find(' ');
  if (space == std::string::npos) return std::nullopt;
  out.server_version = std::stoi(body.substr(0, space));
  if (!from_hex(body.substr(space + 1), out.server_binding)) return std::nullopt;
  out.session.reset(::SSL_get1_session(ssl.get()));
  ::SSL_shutdown(ssl.get());
  return out;
}

class ChannelBindingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto identity = testing::make_identity();
    ASSERT_FALSE(identity.cert_pem.empty());
    auto ctx = make_server_tls_context(identity.cert_pem, identity.key.get());
    ASSERT_TRUE(ctx) << ctx.error().message;
    tls_ = *ctx;
    router_.add("GET", "/binding", [](Request& r) {
      Response out;
      out.content_type = "text/plain";
      out.body = std::to_string(r.tls_version) + " " + to_hex(r.channel_binding);
      return out;
    });
    server_ = std::make_unique<HttpServer>(2);
    auto tls_port = server_->listen_tls("127.0.0.1", 0, tls_.get(), router_);
    ASSERT_TRUE(tls_port);
    auto plain_port = server_->listen_plain("127.0.0.1", 0, router_);
    ASSERT_TRUE(plain_port);
    tls_port_ = *tls_port;
    plain_port_ = *plain_port;
    server_->start();
  }
  void TearDown() override {
    if (server_) server_->stop();
  }

  std::shared_ptr<SSL_CTX> tls_;
  Router router_;
  std::unique_ptr<HttpServer> server_;
  std::uint16_t tls_port_ = 0;
  std::uint16_t plain_port_ = 0;
};

TEST_F(ChannelBindingTest, Tls12FullHandshakeIsTlsUniqueTheClientFinished) {
  auto seen = connect_and_ask(tls_port_, {.version = TLS1_2_VERSION});
  ASSERT_TRUE(seen);
  EXPECT_FALSE(seen->reused);
  EXPECT_EQ(seen->server_version, 0x0303);
  EXPECT_EQ(seen->client_binding.size(), 12u) << "TLS 1.2 verify_data is 12 octets";
  EXPECT_EQ(to_hex(seen->server_binding), to_hex(seen->client_binding));
}

TEST_F(ChannelBindingTest, Tls12ResumedHandshakeIsTlsUniqueTheServerFinished) {
  auto first = connect_and_ask(tls_port_, {.version = TLS1_2_VERSION});
  ASSERT_TRUE(first && first->session);
  auto resumed =
      connect_and_ask(tls_port_, {.version = TLS1_2_VERSION, .resume = first->session.get()});
  ASSERT_TRUE(resumed);
  ASSERT_TRUE(resumed->reused) << "the server did not resume the TLS 1.2 session";
  EXPECT_EQ(resumed->server_version, 0x0303);
  EXPECT_EQ(resumed->client_binding.size(), 12u);
  EXPECT_EQ(to_hex(resumed->server_binding), to_hex(resumed->client_binding));
  EXPECT_NE(to_hex(resumed->server_binding), to_hex(first->server_binding));
}

TEST_F(ChannelBindingTest, Tls13IsTlsExporter) {
  auto seen = connect_and_ask(tls_port_, {.version = TLS1_3_VERSION});
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->server_version, 0x0304);
  EXPECT_EQ(seen->server_binding.size(), 32u);
  EXPECT_EQ(to_hex(seen->server_binding), to_hex(seen->client_binding));
}

TEST_F(ChannelBindingTest, Tls13ResumedIsTlsExporterOfTheNewConnection) {
  auto first = connect_and_ask(tls_port_, {.version = TLS1_3_VERSION});
  ASSERT_TRUE(first && first->session);
  auto resumed =
      connect_and_ask(tls_port_, {.version = TLS1_3_VERSION, .resume = first->session.get()});
  ASSERT_TRUE(resumed);
  EXPECT_TRUE(resumed->reused);
  EXPECT_EQ(to_hex(resumed->server_binding), to_hex(resumed->client_binding));
  EXPECT_NE(to_hex(resumed->server_binding), to_hex(first->server_binding));
}

TEST_F(ChannelBindingTest, EachConnectionHasItsOwnAndKeepsItForEveryRequest) {
  auto a = connect_and_ask(tls_port_, {.version = TLS1_2_VERSION}, 3);
  auto b = connect_and_ask(tls_port_, {.version = TLS1_2_VERSION});
  ASSERT_TRUE(a && b);
  EXPECT_NE(to_hex(a->server_binding), to_hex(b->server_binding));
  ASSERT_EQ(a->bodies.size(), 3u);
  EXPECT_EQ(a->bodies[1], a->bodies[0]);
  EXPECT_EQ(a->bodies[2], a->bodies[0]);
}

TEST_F(ChannelBindingTest, Tls12WithoutExtendedMasterSecretHasNoBinding) {
  // RFC 7627 §1 (triple handshake): without EMS, tls-unique may repeat across connections.
  auto seen =
      connect_and_ask(tls_port_, {.version = TLS1_2_VERSION, .extended_master_secret = false});
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->server_version, 0x0303);
  EXPECT_TRUE(seen->server_binding.empty());
}

TEST_F(ChannelBindingTest, PlainHttpHasNone) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  timeval tv{};
  tv.tv_sec = 10;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(plain_port_);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
  const std::string request = "GET /binding HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  std::string reply;
  std::array<char, 4096> chunk{};
  ssize_t n;
  while ((n = ::recv(fd, chunk.data(), chunk.size(), 0)) > 0)
    reply.append(chunk.data(), static_cast<std::size_t>(n));
  ::close(fd);
  const auto body_at = reply.find("\r\n\r\n");
  ASSERT_NE(body_at, std::string::npos);
  EXPECT_EQ(reply.substr(body_at + 4), "0 ");
}

}  // namespace
}  // namespace fleetpki::server
