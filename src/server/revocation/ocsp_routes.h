// OCSP over HTTP (RFC 6960 Appendix A, RFC 9919 §5) on the plain-HTTP listener:
//   POST /ocsp            body = DER OCSPRequest (Content-Type application/ocsp-request)
//   GET  /ocsp/<request>  request = URL-encoded base64 of the DER OCSPRequest
// Every answer that gets this far is HTTP 200 with an application/ocsp-response body, including
// OCSP errors (malformedRequest, unauthorized, tryLater, internalError), as RFC 6960 responders do:
// OCSP clients read the OCSP status, not the HTTP one. Only what never reaches the handler is an
// HTTP error: a body over the server's limit (413), a malformed percent-escape in the path (400).
//
// Caching (RFC 5019 §6.2, STANDARDS.md §5.5): a successful answer without a nonce carries
// Last-Modified (thisUpdate), Expires (nextUpdate), ETag (SHA-256 of the body) and
// Cache-Control: max-age=N, public, no-transform, must-revalidate, N below the time the responder
// re-signs it; a GET with a matching If-None-Match gets 304. Errors and nonce answers carry
// Cache-Control: no-cache, no-store.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string_view>

#include "authority/ocsp_responder.h"
#include "common/bytes.h"
#include "server/router.h"

namespace fleetpki::server::revocation {

struct OcspRouteOptions {
  /// Upper bound of the max-age of cacheable answers: how long an HTTP cache (CDN) may keep
  /// answering "good" after a revocation.
  std::chrono::seconds max_age_cap{300};
};

/// Registers POST /ocsp and GET /ocsp/{request*}. `responder` must outlive the router's use.
void register_ocsp_routes(Router& http, authority::OcspResponder& responder, OcspRouteOptions options = {});

/// The DER request of a GET path remainder: base64 (RFC 4648 §4; padding optional; the URL-safe
/// alphabet of §5 also accepted), whose percent-escapes the server has already decoded. A ' ' is
/// read as '+' (a '+' that went through form decoding somewhere on the way). nullopt for anything
/// else, or when the DER would exceed `max_der` octets.
std::optional<Bytes> decode_ocsp_get_request(std::string_view text, std::size_t max_der);

}  // namespace fleetpki::server::revocation
