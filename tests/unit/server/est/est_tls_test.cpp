// EST over a real TLS connection end to end (issue #5 point 4): an OpenSSL client with its IDevID
// computes the channel binding of its own connection — tls-unique on TLS 1.2 (RFC 5929),
// tls-exporter on TLS 1.3 (RFC 9266) — puts it into the CSR's challengePassword and enrolls at an
// endpoint that requires linking, served by HttpServer on 127.0.0.1:0 with the real enrollment
// service. A CSR built on another connection is refused and nothing is issued.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <memory>
#include <optional>
#include <string>

#include "authority/device_registry.h"
#include "authority/enrollment_admin.h"
#include "pki/pem.h"
#include "server/est/est_codec.h"
#include "server/est/est_routes.h"
#include "server/http_server.h"
#include "unit/authority/authority_fixture.h"
#include "unit/server/test_identity.h"

namespace fleetpki::server::est {
namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, Deleter<SSL_CTX, ::SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, Deleter<SSL, ::SSL_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, ::EVP_PKEY_free>>;
using ReqPtr = std::unique_ptr<X509_REQ, Deleter<X509_REQ, ::X509_REQ_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, ::X509_free>>;
using MdPtr = std::unique_ptr<EVP_MD, Deleter<EVP_MD, ::EVP_MD_free>>;

/// A P-256 CSR for CN=serialNumber=`serial` with challengePassword `challenge` (if any), DER.
Bytes make_csr(EVP_PKEY* key, const std::string& serial,
               const std::optional<std::string>& challenge) {
  ReqPtr req(::X509_REQ_new());
  X509_NAME* name = ::X509_REQ_get_subject_name(req.get());
  const auto* value = reinterpret_cast<const unsigned char*>(serial.c_str());
  MdPtr md(::EVP_MD_fetch(nullptr, "SHA256", nullptr));
  bool ok =
      ::X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) == 1 &&
      ::X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, value, -1, -1, 0) == 1 &&
      ::X509_NAME_add_entry_by_txt(name, "serialNumber", MBSTRING_ASC, value, -1, -1, 0) == 1 &&
      ::X509_REQ_set_pubkey(req.get(), key) == 1;
  if (ok && challenge) {
    // RFC 7030 §3.5: the base64 channel binding in the PKCS#9 challengePassword attribute.
    ok = ::X509_REQ_add1_attr_by_NID(req.get(), NID_pkcs9_challengePassword, MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>(challenge->data()),
                                     static_cast<int>(challenge->size())) == 1;
  }
  ok = ok && ::X509_REQ_sign(req.get(), key, md.get()) > 0;
  if (!ok) return {};
  const int length = ::i2d_X509_REQ(req.get(), nullptr);
  Bytes der(static_cast<std::size_t>(length));
  unsigned char* cursor = der.data();
  ::i2d_X509_REQ(req.get(), &cursor);
  return der;
}

/// One mutual-TLS connection to 127.0.0.1:port, version pinned, with its channel binding.
class EstConnection {
 public:
  static std::unique_ptr<EstConnection> open(std::uint16_t port, int version, X509* cert,
                                             EVP_PKEY* key) {
    auto c = std::unique_ptr<EstConnection>(new EstConnection());
    c->fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{};
    tv.tv_sec = 20;
    ::setsockopt(c->fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(c->fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
      return nullptr;
    c->ctx_.reset(::SSL_CTX_new(::TLS_client_method()));
    ::SSL_CTX_set_verify(c->ctx_.get(), SSL_VERIFY_NONE, nullptr);
    ::SSL_CTX_set_min_proto_version(c->ctx_.get(), version);
    ::SSL_CTX_set_max_proto_version(c->ctx_.get(), version);
    if (::SSL_CTX_use_certificate(c->ctx_.get(), cert) != 1 ||
        ::SSL_CTX_use_PrivateKey(c->ctx_.get(), key) != 1) {
      return nullptr;
    }
    c->ssl_.reset(::SSL_new(c->ctx_.get()));
    if (::SSL_set_fd(c->ssl_.get(), c->fd_) != 1 || ::SSL_connect(c->ssl_.get()) != 1) {
      ::ERR_clear_error();
      return nullptr;
    }
    if (version == TLS1_3_VERSION) {
      c->binding_.resize(32);
      ::SSL_export_keying_material(c->ssl_.get(), c->binding_.data(), 32,
                                   "EXPORTER-Channel-Binding", 24, nullptr, 0, 0);
    } else {
      std::array<std::uint8_t, EVP_MAX_MD_SIZE> finished{};
      const std::size_t n = ::SSL_get_finished(c->ssl_.get(), finished.data(), finished.size());
      c->binding_.assign(finished.begin(), finished.begin() + static_cast<std::ptrdiff_t>(n));
    }
    return c;
  }
  ~EstConnection() {
    ssl_.reset();
    if (fd_ >= 0) ::close(fd_);
  }

  const Bytes& binding() const { return binding_; }

  /// POSTs a base64 CSR; returns status and body.
  std::pair<int, std::string> post(const std::string& path, ByteView csr_der) {
    const std::string body = encode_base64_body(csr_der);
    const std::string request =
        "POST " + path + " HTTP/1.1\r\nHost: localhost\r\n" +
        "Content-Type: application/pkcs10\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n\r\n" + body;
    if (::SSL_write(ssl_.get(), request.data(), static_cast<int>(request.size())) <= 0)
      return {0, {}};
    std::string buffer;
    while (true) {
      const auto end = buffer.find("\r\n\r\n");
      if (end != std::string::npos) {
        const auto at = buffer.find("Content-Length: ");
        const std::size_t length = at == std::string::npos ? 0 : std::stoul(buffer.substr(at + 16));
        if (buffer.size() >= end + 4 + length) {
          return {std::stoi(buffer.substr(9, 3)), buffer.substr(end + 4, length)};
        }
      }
      std::array<char, 4096> chunk{};
      const int n = ::SSL_read(ssl_.get(), chunk.data(), static_cast<int>(chunk.size()));
      if (n <= 0) return {0, buffer};
      buffer.append(chunk.data(), static_cast<std::size_t>(n));
    }
  }

 private:
  EstConnection() = default;
  int fd_ = -1;
  SslCtxPtr ctx_;
  SslPtr ssl_;
  Bytes binding_;
};

std::string base64(ByteView data) {
  std::string s = encode_base64_body(data);
  std::erase(s, '\n');
  return s;
}

class EstTlsTest : public authority::AuthorityTest {
 protected:
  void SetUp() override {
    AuthorityTest::SetUp();
    if (HasFatalFailure()) return;
    authority::EndpointSpec spec;
    spec.auth = {authority::EstAuthMode::Idevid};
    spec.linking = authority::EstLinking::Required;
    auto created = authority_->enrollment_admin().create_endpoint(platform_admin_, "default",
                                                                  "linked", spec, {"t"});
    ASSERT_TRUE(created) << created.error().message;

    auto identity = server::testing::make_identity();
    ASSERT_FALSE(identity.cert_pem.empty());
    auto tls = make_server_tls_context(identity.cert_pem, identity.key.get());
    ASSERT_TRUE(tls);
    tls_ = *tls;
    register_routes(router_, *authority_);
    server_ = std::make_unique<HttpServer>(2);
    auto port = server_->listen_tls("127.0.0.1", 0, tls_.get(), router_);
    ASSERT_TRUE(port);
    port_ = *port;
    server_->start();
  }
  void TearDown() override {
    if (server_) server_->stop();
  }

  struct Device {
    KeyPtr key;
    X509Ptr idevid;
  };
  /// A registered device with its birth certificate from the manufacturing CA.
  Device make_device(const std::string& serial) {
    Device d;
    d.key.reset(::EVP_EC_gen("P-256"));
    auto registered = authority_->devices().register_device(platform_admin_, "default", serial,
                                                            std::nullopt, {"t"});
    EXPECT_TRUE(registered) << registered.error().message;
    const std::string csr =
        pki::pem_encode(make_csr(d.key.get(), serial, std::nullopt), "CERTIFICATE REQUEST");
    auto issued =
        authority_->issue(platform_admin_, {"default", "idevid", csr, serial}, {"factory"});
    EXPECT_TRUE(issued) << issued.error().message;
    if (issued) {
      const unsigned char* p = issued->record.der.data();
      d.idevid.reset(::d2i_X509(nullptr, &p, static_cast<long>(issued->record.der.size())));
    }
    return d;
  }

  std::shared_ptr<SSL_CTX> tls_;
  Router router_;
  std::unique_ptr<HttpServer> server_;
  std::uint16_t port_ = 0;
};

constexpr const char* kLinked = "/.well-known/est/linked/simpleenroll";

TEST_F(EstTlsTest, LinkedCsrEnrollsOnTls12AndTls13) {
  int n = 0;
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    const std::string serial = "tls-linked-" + std::to_string(++n);
    Device d = make_device(serial);
    ASSERT_TRUE(d.idevid);
    auto c = EstConnection::open(port_, version, d.idevid.get(), d.key.get());
    ASSERT_TRUE(c) << version;
    ASSERT_EQ(c->binding().size(), version == TLS1_3_VERSION ? 32u : 12u);
    KeyPtr key(::EVP_EC_gen("P-256"));
    const auto before = stored_certificates();
    auto [status, body] = c->post(kLinked, make_csr(key.get(), serial, base64(c->binding())));
    EXPECT_EQ(status, 200) << version << ": " << body;
    EXPECT_EQ(stored_certificates(), before + 1) << version;
  }
}

TEST_F(EstTlsTest, CsrBuiltOnAnotherConnectionIsRefusedOnTls12AndTls13) {
  int n = 0;
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    const std::string serial = "tls-replay-" + std::to_string(++n);
    Device d = make_device(serial);
    ASSERT_TRUE(d.idevid);
    auto first = EstConnection::open(port_, version, d.idevid.get(), d.key.get());
    auto second = EstConnection::open(port_, version, d.idevid.get(), d.key.get());
    ASSERT_TRUE(first && second);
    ASSERT_NE(first->binding(), second->binding());
    KeyPtr key(::EVP_EC_gen("P-256"));
    const auto before = stored_certificates();
    const Bytes replayed = make_csr(key.get(), serial, base64(first->binding()));
    auto [status, body] = second->post(kLinked, replayed);
    EXPECT_EQ(status, 400) << version << ": " << body;
    auto [unlinked, body2] = second->post(kLinked, make_csr(key.get(), serial, std::nullopt));
    EXPECT_EQ(unlinked, 400) << version << ": " << body2;
    EXPECT_EQ(stored_certificates(), before) << version;
  }
}

}  // namespace
}  // namespace fleetpki::server::est
