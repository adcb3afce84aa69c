// Boost.Beast HTTP/1.1 server: TLS 1.2/1.3 and plain listeners on one thread pool.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <openssl/ssl.h>

#include "common/result.h"
#include "server/router.h"

namespace fleetpki::server {

struct ServerLimits {
  std::size_t body_limit = 64 * 1024;         // larger bodies: 413 problem
  std::size_t header_limit = 16 * 1024;
  std::chrono::seconds read_timeout{10};      // a request must arrive within this
  std::chrono::seconds idle_timeout{60};      // keep-alive connections closed after this
  std::size_t max_connections = 4096;
};

/// Owns the io_context and its threads. Listeners are added before start().
///
/// Threading: every connection runs on its own strand; a request's handler is called
/// synchronously on one of the `threads` io threads, so handlers of different connections run
/// concurrently and must be thread-safe, and a blocking handler occupies a thread (use >= 4
/// threads when handlers wait for the database). The Router is used by reference: it must outlive
/// the server and must not be modified after start(). listen_tls() takes its own reference on the
/// SSL_CTX (SSL_CTX_up_ref). stop() must not be called from a handler (it joins the io threads).
/// Responses always carry Content-Length, X-Request-Id and (unless the handler set one)
/// Cache-Control: no-store; Content-Length, Transfer-Encoding, Connection and X-Request-Id set by
/// a handler are ignored. HEAD is answered by the GET handler without a body.
class HttpServer final {
 public:
  /// `threads` run the TLS listeners (and the plain ones when `plain_threads` is 0). With
  /// `plain_threads` > 0 the plain listeners (OCSP, CRL, metrics: short, non-blocking handlers)
  /// get their own io_context and threads, so that they never wait behind handlers that block on
  /// the database and, with one thread, run without cross-thread wake-ups.
  explicit HttpServer(unsigned threads, ServerLimits limits = {}, unsigned plain_threads = 0);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Binds host:port (port 0 = any free port) and serves `router` over TLS with `tls` (which must
  /// outlive the server). Returns the bound port. Unavailable when the address cannot be bound.
  Result<std::uint16_t> listen_tls(const std::string& host, std::uint16_t port, SSL_CTX* tls,
                                   const Router& router);
  /// Same over plain HTTP (OCSP, CRL, health).
  Result<std::uint16_t> listen_plain(const std::string& host, std::uint16_t port,
                                     const Router& router);

  /// Starts the worker threads; returns at once.
  void start();
  /// Stops accepting, closes connections, joins the threads. Idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// A server TLS context: TLS 1.2 and 1.3 only, ECDHE AEAD suites, the given chain and key.
/// Client certificates are requested but not required (mutual TLS for EST/operators later).
Result<std::shared_ptr<SSL_CTX>> make_server_tls_context(const std::string& chain_pem,
                                                         EVP_PKEY* private_key);

}  // namespace fleetpki::server
