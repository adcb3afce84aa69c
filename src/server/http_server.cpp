// Boost.Beast HTTP/1.1 server: listeners, one coroutine per connection on its own strand, limits,
// keep-alive, timeouts and graceful shutdown. The only translation unit that includes Beast/Asio.
#include "server/http_server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/check.h"
#include "common/log.h"
#include "pki/ossl/error.h"
#include "server/detail/request_parsing.h"
#include "server/problem_json.h"

namespace fleetpki::server {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using TlsStream = net::ssl::stream<beast::tcp_stream>;
using BeastRequest = http::request<http::string_body>;
using BeastResponse = http::response<http::string_body>;

const auto kUseTuple = net::as_tuple(net::use_awaitable);
// Writing one response (and a 100 Continue) must finish within this.
constexpr std::chrono::seconds kWriteTimeout{30};
// Closing: the TLS close_notify exchange and the lingering drain after an error reply.
constexpr std::chrono::seconds kCloseTimeout{2};
// After a 400/413 reply, at most this much unread request data is discarded before closing, so
// that the client sees the reply instead of a TCP reset.
constexpr std::size_t kLingerBytes = 1024 * 1024;
constexpr std::size_t kReadChunk = 4096;
// stop() lets in-flight requests finish for at most this long, then stops the io_context.
constexpr std::chrono::seconds kStopGrace{10};
// Back-off after a failed accept (EMFILE, ENFILE, ENOBUFS) so the loop does not spin.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

void log_coroutine_exit(std::exception_ptr error, const char* what) {
  if (!error) {
    return;
  }
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    log::error(std::string(what) + " ended with an exception: " + e.what());
  } catch (...) {
    log::error(std::string(what) + " ended with a non-standard exception");
  }
}

// ---------------------------------------------------------------------------------------------
// Connection registry: admission (max_connections), stop notification and drain waiting.

class SessionBase : public std::enable_shared_from_this<SessionBase> {
 public:
  virtual ~SessionBase() = default;
  /// Thread-safe: asks the session (on its strand) to finish the current response and close.
  virtual void post_stop() = 0;
};

class ServerState;

/// One admitted connection; releases its registry entry when destroyed.
class ConnectionSlot final {
 public:
  ConnectionSlot(ServerState* state, std::uint64_t id) : state_(state), id_(id) {}
  ConnectionSlot(ConnectionSlot&& other) noexcept
      : state_(std::exchange(other.state_, nullptr)), id_(other.id_) {}
  ConnectionSlot& operator=(ConnectionSlot&&) = delete;
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  ~ConnectionSlot();

  std::uint64_t id() const { return id_; }

 private:
  ServerState* state_;
  std::uint64_t id_;
};

class ServerState final {
 public:
  explicit ServerState(ServerLimits limits) : limits_(limits) {}

  const ServerLimits& limits() const { return limits_; }

  /// A slot for a new connection, or nullopt when stopping or at max_connections.
  std::optional<ConnectionSlot> admit() {
    std::lock_guard lock(mutex_);
    if (stopping_ || sessions_.size() >= limits_.max_connections) {
      return std::nullopt;
    }
    const std::uint64_t id = ++next_id_;
    sessions_.emplace(id, std::weak_ptr<SessionBase>());
    return ConnectionSlot(this, id);
  }

  /// Records the session of slot `id`; false when stop() began meanwhile (the caller stops it).
  bool attach(std::uint64_t id, const std::shared_ptr<SessionBase>& session) {
    std::lock_guard lock(mutex_);
    sessions_[id] = session;
    return !stopping_;
  }

  void release(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    sessions_.erase(id);
    if (sessions_.empty()) {
      drained_.notify_all();
    }
  }

  /// Refuses new connections from now on and returns the live ones.
  std::vector<std::weak_ptr<SessionBase>> begin_stop() {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    std::vector<std::weak_ptr<SessionBase>> out;
    out.reserve(sessions_.size());
    for (const auto& entry : sessions_) {
      out.push_back(entry.second);
    }
    return out;
  }

  bool wait_drained(std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    return drained_.wait_for(lock, timeout, [this] { return sessions_.empty(); });
  }

 private:
  const ServerLimits limits_;
  std::mutex mutex_;
  std::condition_variable drained_;
  std::unordered_map<std::uint64_t, std::weak_ptr<SessionBase>> sessions_;
  std::uint64_t next_id_ = 0;
  bool stopping_ = false;
};

ConnectionSlot::~ConnectionSlot() {
  if (state_ != nullptr) {
    state_->release(id_);
  }
}

// ---------------------------------------------------------------------------------------------
// Request/response conversion (Beast ↔ transport-neutral server::Request/Response).

/// Fills `out` from `in` (moving the body). Returns a client-safe reason on a malformed target.
std::optional<std::string> fill_request(BeastRequest& in, Request& out) {
  out.method = std::string(in.method_string());
  out.target = std::string(in.target());
  for (const auto& field : in) {
    std::string name = detail::to_lower(field.name_string());
    auto [it, inserted] = out.headers.emplace(std::move(name), std::string(field.value()));
    if (!inserted) {
      // RFC 9110 §5.3: repeated fields combine into one comma-separated list.
      it->second += ", ";
      it->second += std::string(field.value());
    }
  }
  out.body = std::move(in.body());

  const std::string_view target = out.target;
  if (target.empty() || target.front() != '/') {
    return "request target must be an absolute path";
  }
  const auto question = target.find('?');
  auto path = detail::percent_decode(target.substr(0, question), false);
  if (!path) {
    return "malformed percent-encoding in path";
  }
  out.path = std::move(*path);
  if (question != std::string_view::npos) {
    auto query = detail::parse_query(target.substr(question + 1));
    if (!query) {
      return "malformed percent-encoding in query";
    }
    out.query = std::move(*query);
  }
  return std::nullopt;
}

bool is_token_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

/// RFC 9110 §5.1/§5.5: a token name and a value without CR, LF or NUL.
bool is_valid_header(std::string_view name, std::string_view value) {
  if (name.empty()) {
    return false;
  }
  for (const char c : name) {
    if (!is_token_char(c)) {
      return false;
    }
  }
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

BeastResponse to_beast(Response response, const std::string& request_id, unsigned version,
                       bool head, bool keep_alive) {
  if (response.status < 200 || response.status > 599) {
    log::error("request " + request_id + ": handler returned invalid status " +
               std::to_string(response.status));
    response = problem(500, "internal error", request_id);
  }
  BeastResponse res;
  res.version(version);
  res.result(static_cast<unsigned>(response.status));
  if (!response.content_type.empty() && is_valid_header("Content-Type", response.content_type)) {
    res.set(http::field::content_type, response.content_type);
  }
  bool has_cache_control = false;
  for (auto& [name, value] : response.headers) {
    if (!is_valid_header(name, value)) {
      log::warn("request " + request_id + ": dropped an invalid response header from a handler");
      continue;
    }
    const std::string lower = detail::to_lower(name);
    // Framing and correlation headers belong to the session.
    if (lower == "content-length" || lower == "transfer-encoding" || lower == "connection" ||
        lower == "x-request-id") {
      continue;
    }
    if (lower == "cache-control") {
      has_cache_control = true;
    }
    if (lower == "content-type") {
      res.set(name, value);
    } else {
      res.insert(name, value);
    }
  }
  if (!has_cache_control) {
    res.set(http::field::cache_control, "no-store");
  }
  res.set("X-Request-Id", request_id);
  // RFC 9110 §8.6: no Content-Length (and no content) in 204 and 304 responses.
  if (response.status != 204 && response.status != 304) {
    res.content_length(response.body.size());
    if (!head) {
      res.body() = std::move(response.body);
    }
  }
  res.keep_alive(keep_alive);
  return res;
}

/// The reply to a failed read, or nullopt to close silently (EOF, timeout, reset, stop).
std::optional<Response> read_error_reply(const beast::error_code& ec, const ServerLimits& limits,
                                         const std::string& request_id) {
  if (ec == http::error::body_limit) {
    return problem(413, "request body exceeds " + std::to_string(limits.body_limit) + " bytes",
                   request_id);
  }
  if (ec == http::error::header_limit) {
    return problem(431, "request header exceeds " + std::to_string(limits.header_limit) + " bytes",
                   request_id);
  }
  if (ec == http::error::end_of_stream || ec == http::error::partial_message) {
    return std::nullopt;
  }
  if (ec.category() == http::make_error_code(http::error::bad_method).category()) {
    return problem(400, "malformed HTTP request", request_id);
  }
  return std::nullopt;
}

bool append_der(X509* cert, std::vector<std::vector<std::uint8_t>>& out) {
  const int length = ::i2d_X509(cert, nullptr);
  if (length <= 0) {
    return false;
  }
  std::vector<std::uint8_t> der(static_cast<std::size_t>(length));
  unsigned char* cursor = der.data();
  if (::i2d_X509(cert, &cursor) != length) {
    return false;
  }
  out.push_back(std::move(der));
  return true;
}

/// The client's certificate chain (leaf first) as DER; empty when it sent none. On the server
/// side SSL_get_peer_cert_chain() excludes the leaf, so the leaf is taken separately.
std::vector<std::vector<std::uint8_t>> client_chain_der(SSL* ssl) {
  std::vector<std::vector<std::uint8_t>> out;
  X509* leaf = ::SSL_get0_peer_certificate(ssl);
  if (leaf == nullptr) {
    return out;
  }
  bool ok = append_der(leaf, out);
  STACK_OF(X509)* chain = ::SSL_get_peer_cert_chain(ssl);
  for (int i = 0; ok && chain != nullptr && i < sk_X509_num(chain); ++i) {
    ok = append_der(sk_X509_value(chain, i), out);
  }
  if (!ok) {
    log::warn(pki::ossl::last_error("cannot encode the TLS client certificate chain").detail);
    out.clear();
  }
  return out;
}

/// RFC 7030 §3.5 channel binding of a completed handshake (see Request::channel_binding).
/// TLS 1.3: tls-exporter (RFC 9266 §2). TLS 1.2: tls-unique (RFC 5929 §3.1), the first Finished
/// message of the handshake: the client's in a full handshake (on this side the peer's), the
/// server's own in an abbreviated (resumed) one. Without the extended master secret (RFC 7627)
/// tls-unique is not unique to the connection (triple handshake, RFC 7627 §1), so none is offered
/// and linking fails closed. Empty when nothing can be computed.
std::vector<std::uint8_t> channel_binding_of(SSL* ssl) {
  std::vector<std::uint8_t> out;
  const int version = ::SSL_version(ssl);
  if (version == TLS1_3_VERSION) {
    static constexpr char kLabel[] = "EXPORTER-Channel-Binding";
    out.resize(32);
    if (::SSL_export_keying_material(ssl, out.data(), out.size(), kLabel, sizeof kLabel - 1,
                                     nullptr, 0, 0) != 1) {
      log::warn(pki::ossl::last_error("SSL_export_keying_material (tls-exporter)").detail);
      out.clear();
    }
    return out;
  }
  if (version != TLS1_2_VERSION || ::SSL_get_extms_support(ssl) != 1) {
    return out;
  }
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> finished{};
  const std::size_t n = ::SSL_session_reused(ssl) == 1
                            ? ::SSL_get_finished(ssl, finished.data(), finished.size())
                            : ::SSL_get_peer_finished(ssl, finished.data(), finished.size());
  if (n > 0 && n <= finished.size()) {
    out.assign(finished.begin(), finished.begin() + static_cast<std::ptrdiff_t>(n));
  }
  return out;
}

std::string remote_address_of(const tcp::socket& socket) {
  beast::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) {
    return "unknown";
  }
  auto address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = net::ip::make_address_v4(net::ip::v4_mapped, address.to_v6());
  }
  return address.to_string();
}

// ---------------------------------------------------------------------------------------------
// One connection. Every member function runs on the connection's strand (the executor of its
// socket): the coroutine run() and the on_stop() posted by post_stop().

template <class Stream>
class Session final : public SessionBase {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  template <class... StreamArgs>
  Session(ConnectionSlot slot, const Router& router, const ServerLimits& limits,
          std::string remote_address, StreamArgs&&... stream_args)
      : slot_(std::move(slot)),
        router_(router),
        limits_(limits),
        remote_address_(std::move(remote_address)),
        stream_(std::forward<StreamArgs>(stream_args)...) {}

  net::any_io_executor executor() { return tcp().get_executor(); }

  void post_stop() override {
    net::post(executor(), [self = shared_from_this(), this] { on_stop(); });
  }

  /// The connection's life; `self` keeps the session alive until the coroutine ends.
  net::awaitable<void> run(std::shared_ptr<SessionBase> self) {
    (void)self;
    if (stop_requested_) {
      co_return;
    }
    if constexpr (kTls) {
      state_ = State::Handshake;
      tcp().expires_after(limits_.read_timeout);
      auto [handshake_ec] = co_await stream_.async_handshake(net::ssl::stream_base::server, kUseTuple);
      if (handshake_ec) {
        log::debug("TLS handshake with " + remote_address_ + " failed: " + handshake_ec.message());
        co_return;
      }
      client_chain_ = client_chain_der(stream_.native_handle());
      tls_version_ = ::SSL_version(stream_.native_handle());
      channel_binding_ = channel_binding_of(stream_.native_handle());
    }
    beast::flat_buffer buffer;
    bool first = true;
    while (!stop_requested_) {
      // Keep-alive: wait up to idle_timeout for the first byte of the next request.
      if (!first && buffer.size() == 0) {
        state_ = State::Idle;
        tcp().expires_after(limits_.idle_timeout);
        auto [idle_ec, idle_n] = co_await stream_.async_read_some(buffer.prepare(kReadChunk), kUseTuple);
        if (idle_ec) {
          co_return;  // idle timeout, client closed, or stop()
        }
        buffer.commit(idle_n);
      }
      first = false;

      // From the first byte to the end of the request: read_timeout.
      state_ = State::Reading;
      tcp().expires_after(limits_.read_timeout);
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(
          std::min<std::size_t>(limits_.header_limit, std::numeric_limits<std::uint32_t>::max())));
      parser.body_limit(limits_.body_limit);
      auto [read_ec, read_n] = co_await http::async_read_header(stream_, buffer, parser, kUseTuple);
      (void)read_n;
      if (!read_ec && !parser.is_done()) {
        // RFC 9110 §10.1.1: answer "Expect: 100-continue" once the header passed the limits.
        if (parser.get().version() >= 11 &&
            beast::iequals(parser.get()[http::field::expect], "100-continue")) {
          http::response<http::empty_body> proceed{http::status::continue_, 11};
          state_ = State::Writing;
          tcp().expires_after(kWriteTimeout);
          auto [continue_ec, continue_n] = co_await http::async_write(stream_, proceed, kUseTuple);
          (void)continue_n;
          if (continue_ec || stop_requested_) {
            co_return;
          }
          state_ = State::Reading;
          tcp().expires_after(limits_.read_timeout);
        }
        auto [body_ec, body_n] = co_await http::async_read(stream_, buffer, parser, kUseTuple);
        (void)body_n;
        read_ec = body_ec;
      }
      if (read_ec) {
        const std::string request_id = detail::new_request_id();
        auto reply = read_error_reply(read_ec, limits_, request_id);
        if (!reply || stop_requested_) {
          co_return;
        }
        log::info("request " + request_id + " from " + remote_address_ + ": " +
                  std::to_string(reply->status) + " (" + read_ec.message() + ")");
        co_await reply_and_close(std::move(*reply), request_id);
        co_return;
      }

      state_ = State::Processing;
      const bool keep_alive = co_await serve(parser.release());
      if (!keep_alive) {
        co_await graceful_close(false);
        co_return;
      }
    }
  }

 private:
  enum class State { Handshake, Idle, Reading, Processing, Writing, Closing };

  beast::tcp_stream& tcp() {
    if constexpr (kTls) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }

  /// Converts, dispatches and answers one request; true when the connection stays open.
  net::awaitable<bool> serve(BeastRequest beast_request) {
    const auto started = std::chrono::steady_clock::now();
    Request request;
    const auto client_id = beast_request["X-Request-Id"];
    request.request_id = detail::is_valid_request_id(client_id) ? std::string(client_id)
                                                                 : detail::new_request_id();
    request.remote_address = remote_address_;
    request.tls = kTls;
    request.client_cert_chain_der = client_chain_;
    request.tls_version = tls_version_;
    request.channel_binding = channel_binding_;
    const bool head = beast_request.method() == http::verb::head;
    const unsigned version = beast_request.version();
    const bool keep_alive = beast_request.keep_alive() && !stop_requested_;

    // The session boundary (ADR 0002): no exception gets past this point.
    BeastResponse res;
    try {
      Response response;
      if (auto bad = fill_request(beast_request, request)) {
        response = problem(400, *bad, request.request_id);
      } else {
        response = router_.dispatch(request);
      }
      res = to_beast(std::move(response), request.request_id, version, head, keep_alive);
    } catch (const std::exception& e) {
      log::error("request " + request.request_id + ": " + e.what());
      res = to_beast(problem(500, "internal error", request.request_id), request.request_id,
                     version, head, keep_alive);
    }

    state_ = State::Writing;
    tcp().expires_after(kWriteTimeout);
    auto [write_ec, write_n] = co_await http::async_write(stream_, res, kUseTuple);
    (void)write_n;
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count();
    // Never log bodies, query strings or Authorization headers. The message is built only when
    // debug logging is on: on the OCSP path it cost more than the handler.
    if (log::enabled(log::Level::Debug)) {
      log::debug("request " + request.request_id + " " + request.method + " " + request.path + " " +
                 std::to_string(res.result_int()) + " " + std::to_string(micros) + "us");
    }
    if (write_ec) {
      co_return false;
    }
    co_return keep_alive && !stop_requested_;
  }

  /// Error replies (400, 413, 431) close the connection: the rest of the stream is unparsable.
  net::awaitable<void> reply_and_close(Response response, const std::string& request_id) {
    BeastResponse res = to_beast(std::move(response), request_id, 11, false, false);
    state_ = State::Writing;
    tcp().expires_after(kWriteTimeout);
    auto [write_ec, write_n] = co_await http::async_write(stream_, res, kUseTuple);
    (void)write_n;
    if (write_ec) {
      co_return;
    }
    co_await graceful_close(true);
  }

  /// TLS close_notify (plain: FIN), after draining unread request data when `drain` is set
  /// (lingering close, so that the client reads our reply rather than a reset). Bounded by
  /// kCloseTimeout.
  net::awaitable<void> graceful_close(bool drain) {
    state_ = State::Closing;
    if (stop_requested_) {
      tcp().close();
      co_return;
    }
    tcp().expires_after(kCloseTimeout);
    beast::error_code ignored;
    if constexpr (!kTls) {
      tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
    if (drain) {
      std::array<char, kReadChunk> sink{};
      std::size_t drained = 0;
      while (drained < kLingerBytes) {
        auto [drain_ec, drain_n] = co_await stream_.async_read_some(net::buffer(sink), kUseTuple);
        if (drain_ec) {
          break;
        }
        drained += drain_n;
      }
    }
    if constexpr (kTls) {
      if (tcp().socket().is_open()) {
        auto [shutdown_ec] = co_await stream_.async_shutdown(kUseTuple);
        (void)shutdown_ec;
      }
    }
    tcp().close();
  }

  /// stop(): an idle, reading or handshaking connection closes now; one being answered finishes
  /// its response first (run() sees stop_requested_ afterwards).
  void on_stop() {
    stop_requested_ = true;
    if (state_ == State::Processing || state_ == State::Writing) {
      return;
    }
    beast::error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp().close();
  }

  ConnectionSlot slot_;  // first member: released last, after the stream is closed
  const Router& router_;
  const ServerLimits& limits_;
  const std::string remote_address_;
  Stream stream_;
  std::vector<std::vector<std::uint8_t>> client_chain_;  // from the handshake; same for every request
  int tls_version_ = 0;                               // from the handshake (no renegotiation)
  std::vector<std::uint8_t> channel_binding_;         // from the handshake (no renegotiation)
  State state_ = State::Handshake;
  bool stop_requested_ = false;
};

// ---------------------------------------------------------------------------------------------
// Listeners.

struct Listener {
  explicit Listener(net::io_context& ioc) : strand(net::make_strand(ioc)), acceptor(strand) {}
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  ~Listener() {
    if (tls != nullptr) {
      ::SSL_CTX_free(tls);
    }
  }

  net::strand<net::io_context::executor_type> strand;
  tcp::acceptor acceptor;
  SSL_CTX* tls = nullptr;  // our own reference (SSL_CTX_up_ref); nullptr for plain HTTP
  const Router* router = nullptr;
};

template <class Stream, class... StreamArgs>
void spawn_session(ConnectionSlot slot, const Listener& listener, ServerState& state,
                   std::string remote, StreamArgs&&... stream_args) {
  const std::uint64_t id = slot.id();
  auto session = std::make_shared<Session<Stream>>(std::move(slot), *listener.router, state.limits(),
                                                   std::move(remote),
                                                   std::forward<StreamArgs>(stream_args)...);
  const bool admitted = state.attach(id, session);
  net::co_spawn(session->executor(), session->run(session),
                [](std::exception_ptr e) { log_coroutine_exit(e, "HTTP session"); });
  if (!admitted) {
    session->post_stop();  // stop() began between admit() and attach()
  }
}

void start_session(const Listener& listener, ServerState& state, tcp::socket socket) {
  auto slot = state.admit();
  if (!slot) {
    static std::atomic<std::uint64_t> refused{0};
    if (refused.fetch_add(1) % 1000 == 0) {
      log::warn("refusing connections: max_connections (" +
                std::to_string(state.limits().max_connections) + ") reached or stopping");
    }
    beast::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    return;
  }
  std::string remote = remote_address_of(socket);
  if (listener.tls == nullptr) {
    spawn_session<beast::tcp_stream>(std::move(*slot), listener, state, std::move(remote),
                                     std::move(socket));
    return;
  }
  SSL* ssl = ::SSL_new(listener.tls);
  if (ssl == nullptr) {
    log::error(pki::ossl::last_error("SSL_new failed").detail);
    return;  // the slot's destructor unregisters; the socket's closes the connection
  }
  // The ssl::stream takes ownership of `ssl` (stream(Arg&&, SSL*) constructor).
  spawn_session<TlsStream>(std::move(*slot), listener, state, std::move(remote), std::move(socket),
                           ssl);
}

net::awaitable<void> accept_loop(std::shared_ptr<Listener> listener, ServerState& state,
                                 net::io_context& ioc) {
  for (;;) {
    auto [accept_ec, socket] = co_await listener->acceptor.async_accept(net::make_strand(ioc), kUseTuple);
    if (accept_ec) {
      if (accept_ec == net::error::operation_aborted || !listener->acceptor.is_open()) {
        co_return;
      }
      log::warn("accept failed: " + accept_ec.message());
      net::steady_timer timer(listener->strand);
      timer.expires_after(kAcceptRetryDelay);
      auto [timer_ec] = co_await timer.async_wait(kUseTuple);
      (void)timer_ec;
      continue;
    }
    start_session(*listener, state, tcp::socket(std::move(socket)));
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------

struct HttpServer::Impl {
  Impl(unsigned thread_count, ServerLimits limits, unsigned plain_thread_count)
      : threads_wanted(thread_count == 0 ? 1 : thread_count),
        plain_threads_wanted(plain_thread_count),
        state(limits),
        ioc(static_cast<int>(threads_wanted)),
        work(net::make_work_guard(ioc)) {
    if (plain_threads_wanted > 0) {
      plain_ioc.emplace(static_cast<int>(plain_threads_wanted));
      plain_work.emplace(net::make_work_guard(*plain_ioc));
    }
  }

  Result<std::uint16_t> listen(const std::string& host, std::uint16_t port, SSL_CTX* tls,
                               const Router& router);
  bool on_io_thread() const;
  /// The context that runs a listener's connections.
  net::io_context& context_for(bool tls) { return !tls && plain_ioc ? *plain_ioc : ioc; }

  const unsigned threads_wanted;
  const unsigned plain_threads_wanted;  // 0: plain listeners share the main pool
  std::mutex lifecycle_mutex;
  bool started = false;
  bool stopped = false;
  // Declaration order is destruction order reversed: sessions destroyed with the contexts still
  // unregister from `state`; listeners (acceptors) go before the contexts.
  ServerState state;
  net::io_context ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::optional<net::io_context> plain_ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> plain_work;
  std::vector<std::shared_ptr<Listener>> listeners;
  std::vector<std::thread> threads;
};

Result<std::uint16_t> HttpServer::Impl::listen(const std::string& host, std::uint16_t port,
                                               SSL_CTX* tls, const Router& router) {
  {
    std::lock_guard lock(lifecycle_mutex);
    if (stopped) {
      return fail(Errc::FailedPrecondition, "server is stopped");
    }
  }
  const std::string where = host + ":" + std::to_string(port);
  beast::error_code ec;
  tcp::endpoint endpoint;
  const auto address = net::ip::make_address(host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, port);
  } else {
    tcp::resolver resolver(ioc);
    const auto results = resolver.resolve(host, std::to_string(port), tcp::resolver::passive, ec);
    if (ec || results.empty()) {
      return fail(Errc::InvalidArgument, "cannot resolve listen address " + where,
                  ec ? ec.message() : std::string("no addresses"));
    }
    endpoint = results.begin()->endpoint();
    for (const auto& entry : results) {  // "localhost": prefer IPv4, which every client tries
      if (entry.endpoint().address().is_v4()) {
        endpoint = entry.endpoint();
        break;
      }
    }
  }

  net::io_context& context = context_for(tls != nullptr);
  auto listener = std::make_shared<Listener>(context);
  listener->router = &router;
  if (tls != nullptr) {
    if (::SSL_CTX_up_ref(tls) != 1) {
      return fail(pki::ossl::last_error("SSL_CTX_up_ref", Errc::Internal, "cannot use TLS context"));
    }
    listener->tls = tls;
  }
  auto& acceptor = listener->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor.set_option(net::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor.listen(net::socket_base::max_listen_connections, ec);
  }
  tcp::endpoint bound;
  if (!ec) {
    bound = acceptor.local_endpoint(ec);
  }
  if (ec) {
    return fail(Errc::Unavailable, "cannot listen on " + where, ec.message());
  }
  log::debug(std::string(tls != nullptr ? "https" : "http") + " listener bound to " +
             bound.address().to_string() + ":" + std::to_string(bound.port()));
  listeners.push_back(listener);
  net::co_spawn(listener->strand, accept_loop(listener, state, context),
                [](std::exception_ptr e) { log_coroutine_exit(e, "accept loop"); });
  return bound.port();
}

bool HttpServer::Impl::on_io_thread() const {
  const auto self = std::this_thread::get_id();
  for (const auto& thread : threads) {
    if (thread.get_id() == self) {
      return true;
    }
  }
  return false;
}

HttpServer::HttpServer(unsigned threads, ServerLimits limits, unsigned plain_threads)
    : impl_(std::make_unique<Impl>(threads, limits, plain_threads)) {}

HttpServer::~HttpServer() { stop(); }

Result<std::uint16_t> HttpServer::listen_tls(const std::string& host, std::uint16_t port,
                                             SSL_CTX* tls, const Router& router) {
  if (tls == nullptr) {
    return fail(Errc::InvalidArgument, "TLS listener without a TLS context");
  }
  return impl_->listen(host, port, tls, router);
}

Result<std::uint16_t> HttpServer::listen_plain(const std::string& host, std::uint16_t port,
                                               const Router& router) {
  return impl_->listen(host, port, nullptr, router);
}

void HttpServer::start() {
  std::lock_guard lock(impl_->lifecycle_mutex);
  if (impl_->started || impl_->stopped) {
    return;
  }
  impl_->started = true;
  const auto run = [](net::io_context& context) {
    for (;;) {
      try {
        context.run();
        return;
      } catch (const std::exception& e) {
        log::error(std::string("io thread: uncaught exception: ") + e.what());
      }
    }
  };
  for (unsigned i = 0; i < impl_->threads_wanted; ++i) {
    impl_->threads.emplace_back([impl = impl_.get(), run] { run(impl->ioc); });
  }
  for (unsigned i = 0; i < impl_->plain_threads_wanted; ++i) {
    impl_->threads.emplace_back([impl = impl_.get(), run] { run(*impl->plain_ioc); });
  }
}

void HttpServer::stop() {
  bool was_started = false;
  {
    std::lock_guard lock(impl_->lifecycle_mutex);
    if (impl_->stopped) {
      return;
    }
    impl_->stopped = true;
    was_started = impl_->started;
  }
  FLEETPKI_CHECK(!impl_->on_io_thread(), "HttpServer::stop() would join the calling thread");

  const auto sessions = impl_->state.begin_stop();
  for (const auto& listener : impl_->listeners) {
    net::post(listener->strand, [listener] {
      beast::error_code ignored;
      listener->acceptor.close(ignored);
    });
  }
  for (const auto& weak : sessions) {
    if (auto session = weak.lock()) {
      session->post_stop();
    }
  }
  impl_->work.reset();
  impl_->plain_work.reset();
  if (was_started) {
    if (!impl_->state.wait_drained(kStopGrace)) {
      log::warn("HTTP server stop: connections still busy after the grace period; forcing");
    }
    impl_->ioc.stop();
    if (impl_->plain_ioc) {
      impl_->plain_ioc->stop();
    }
    for (auto& thread : impl_->threads) {
      thread.join();
    }
    impl_->threads.clear();
  }
}

}  // namespace fleetpki::server
