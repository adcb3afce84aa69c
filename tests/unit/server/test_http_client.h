// Test helper: a small blocking HTTP/1.1 client over TCP or TLS (POSIX sockets + OpenSSL), so
// that tests can send exact bytes (malformed requests, pipelining) without compiling Beast.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <cctype>
#include <csignal>
#include <cerrno>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace fleetpki::server::testing {

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct ClientOptions {
  bool tls = true;
  int max_tls_version = 0;  // 0 = library default (TLS 1.3)
  int timeout_seconds = 10;
  std::string client_cert_pem;         // optional TLS client certificate …
  EVP_PKEY* client_key = nullptr;      // … and its key (not owned)
};

class TestClient final {
 public:
  /// Connects to 127.0.0.1:port (and completes the TLS handshake); nullptr on failure.
  static std::unique_ptr<TestClient> connect(std::uint16_t port, ClientOptions options = {}) {
    // SSL_write/SSL_shutdown write to the socket without MSG_NOSIGNAL: a server that closed first
    // (stop tests) must give EPIPE, not kill the test binary.
    ::signal(SIGPIPE, SIG_IGN);
    auto client = std::unique_ptr<TestClient>(new TestClient());
    client->fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (client->fd_ < 0) {
      return nullptr;
    }
    timeval tv{};
    tv.tv_sec = options.timeout_seconds;
    ::setsockopt(client->fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(client->fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(client->fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      return nullptr;
    }
    if (!options.tls) {
      return client;
    }
    client->ctx_ = ::SSL_CTX_new(::TLS_client_method());
    if (client->ctx_ == nullptr) {
      return nullptr;
    }
    ::SSL_CTX_set_verify(client->ctx_, SSL_VERIFY_NONE, nullptr);
    if (options.max_tls_version != 0) {
      if (::SSL_CTX_set_max_proto_version(client->ctx_, options.max_tls_version) != 1) {
        return nullptr;
      }
      if (options.max_tls_version < TLS1_2_VERSION) {
        // Let the client really offer TLS 1.0/1.1 (OpenSSL 3 refuses them at level >= 1).
        ::SSL_CTX_set_security_level(client->ctx_, 0);
        ::SSL_CTX_set_min_proto_version(client->ctx_, TLS1_VERSION);
        ::SSL_CTX_set_cipher_list(client->ctx_, "DEFAULT:@SECLEVEL=0");
      }
    }
    if (!options.client_cert_pem.empty()) {
      BIO* bio = ::BIO_new_mem_buf(options.client_cert_pem.data(),
                                   static_cast<int>(options.client_cert_pem.size()));
      X509* cert = bio != nullptr ? ::PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr;
      const bool ok = cert != nullptr && ::SSL_CTX_use_certificate(client->ctx_, cert) == 1 &&
                      ::SSL_CTX_use_PrivateKey(client->ctx_, options.client_key) == 1;
      ::X509_free(cert);
      ::BIO_free(bio);
      if (!ok) {
        return nullptr;
      }
    }
    client->ssl_ = ::SSL_new(client->ctx_);
    if (client->ssl_ == nullptr || ::SSL_set_fd(client->ssl_, client->fd_) != 1) {
      return nullptr;
    }
    if (::SSL_connect(client->ssl_) != 1) {
      ::ERR_clear_error();
      return nullptr;
    }
    return client;
  }

  ~TestClient() {
    if (ssl_ != nullptr) {
      ::SSL_free(ssl_);
    }
    if (ctx_ != nullptr) {
      ::SSL_CTX_free(ctx_);
    }
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  SSL* ssl() const { return ssl_; }

  bool send(std::string_view data) {
    while (!data.empty()) {
      const int n = ssl_ != nullptr
                        ? ::SSL_write(ssl_, data.data(), static_cast<int>(data.size()))
                        : static_cast<int>(::send(fd_, data.data(), data.size(), MSG_NOSIGNAL));
      if (n <= 0) {
        ::ERR_clear_error();
        return false;
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  /// Reads one response; `head` = the request was HEAD (no body follows). nullopt on EOF/error.
  std::optional<HttpReply> read_reply(bool head = false) {
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!read_more()) {
        return std::nullopt;
      }
    }
    HttpReply reply;
    const std::string head_text = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    std::size_t line_end = head_text.find("\r\n");
    const std::string status_line = head_text.substr(0, line_end);
    if (status_line.size() < 12 || status_line.compare(0, 5, "HTTP/") != 0) {
      return std::nullopt;
    }
    reply.status = std::stoi(status_line.substr(9, 3));
    while (line_end != std::string::npos) {
      const std::size_t start = line_end + 2;
      line_end = head_text.find("\r\n", start);
      const std::string line = head_text.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
      const auto colon = line.find(':');
      if (colon == std::string::npos) {
        continue;
      }
      std::string name = line.substr(0, colon);
      for (auto& c : name) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') {
        value.erase(0, 1);
      }
      reply.headers[name] = value;
    }
    if (head || reply.status < 200 || reply.status == 204 || reply.status == 304) {
      return reply;
    }
    const auto length_it = reply.headers.find("content-length");
    if (length_it == reply.headers.end()) {
      return std::nullopt;  // the server under test always sends Content-Length
    }
    const std::size_t length = std::stoul(length_it->second);
    while (buffer_.size() < length) {
      if (!read_more()) {
        return std::nullopt;
      }
    }
    reply.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return reply;
  }

  /// True when the peer closes (EOF, close_notify or reset) before the receive timeout and
  /// without sending more data.
  bool wait_closed() {
    if (!buffer_.empty()) {
      return false;
    }
    char c;
    const int n = ssl_ != nullptr ? ::SSL_read(ssl_, &c, 1)
                                  : static_cast<int>(::recv(fd_, &c, 1, 0));
    if (n > 0) {
      return false;
    }
    if (ssl_ != nullptr) {
      const int err = ::SSL_get_error(ssl_, n);
      ::ERR_clear_error();
      if (err == SSL_ERROR_WANT_READ ||
          (err == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK))) {
        return false;  // timed out: still open
      }
      return true;
    }
    return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
  }

 private:
  TestClient() = default;

  bool read_more() {
    char chunk[16384];
    const int n = ssl_ != nullptr ? ::SSL_read(ssl_, chunk, sizeof chunk)
                                  : static_cast<int>(::recv(fd_, chunk, sizeof chunk, 0));
    if (n <= 0) {
      ::ERR_clear_error();
      return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string buffer_;
};

}  // namespace fleetpki::server::testing
