// Transport-neutral request and response seen by handlers (thin handlers never touch Beast).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fleetpki::server {

struct Request {
  std::string method;                            // "GET", "POST", …
  std::string target;                            // raw target: path + query
  std::string path;                              // percent-decoded path, no query
  std::map<std::string, std::string> query;      // decoded query parameters (last one wins)
  std::map<std::string, std::string> headers;    // field names lower-cased
  std::string body;
  std::map<std::string, std::string> path_params;  // filled by the Router from "{name}" segments
  std::string request_id;                        // random, echoed as X-Request-Id
  std::string remote_address;                    // peer IP address (no port)
  bool tls = false;
  /// TLS client certificate chain as DER, leaf first; empty when the client sent none (or plain
  /// HTTP). NOT verified by the TLS layer: the application validates it (see tls_context.cpp).
  std::vector<std::vector<std::uint8_t>> client_cert_chain_der;
  /// TLS protocol of the connection: 0x0303 (TLS 1.2), 0x0304 (TLS 1.3); 0 on plain HTTP.
  int tls_version = 0;
  /// Channel binding of the connection (RFC 7030 §3.5 proof-of-possession linking): on TLS 1.2
  /// tls-unique (RFC 5929: the first Finished message of the handshake, 12 bytes), on TLS 1.3
  /// tls-exporter (RFC 9266: 32 bytes exported with label "EXPORTER-Channel-Binding", no
  /// context). Empty on plain HTTP. Computed once per connection after the handshake.
  std::vector<std::uint8_t> channel_binding;

  /// Header value by lower-case name.
  std::optional<std::string> header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    if (it == headers.end()) return std::nullopt;
    return it->second;
  }
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

}  // namespace fleetpki::server
