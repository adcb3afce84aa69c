// POST /ocsp and GET /ocsp/<base64>: thin handlers over authority::OcspResponder.
#include "server/revocation/ocsp_routes.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/http_caching.h"

namespace fleetpki::server::revocation {
namespace {

constexpr const char* kOcspResponseType = "application/ocsp-response";

/// The Date header of this second, formatted once per second per thread.
const std::string& http_date_now(TimePoint now) {
  thread_local TimePoint cached_at{};
  thread_local std::string cached;
  if (cached.empty() || cached_at != now) {
    cached = http_date(now);
    cached_at = now;
  }
  return cached;
}

Response render(const authority::OcspAnswer& answer, const Request& request, const OcspRouteOptions& options) {
  const authority::OcspResponseBlob& blob = *answer.response;
  Response r;
  r.content_type = kOcspResponseType;
  r.headers.reserve(6);
  r.headers.emplace_back("Date", http_date_now(answer.now));
  if (answer.status == pki::OcspResponseStatus::Successful && blob.cacheable) {
    // RFC 5019 §6.2: max-age below nextUpdate; here below the re-signing point, so that caches
    // fetch the re-signed answer, and never above the configured cap.
    const auto until_refresh = std::max<std::int64_t>(0, (blob.refresh_at - answer.now).count());
    const auto max_age = std::min<std::int64_t>(until_refresh, options.max_age_cap.count());
    r.headers.emplace_back("Last-Modified", http_date(blob.this_update));
    r.headers.emplace_back("Expires", http_date(blob.next_update));
    r.headers.emplace_back("ETag", blob.etag);
    r.headers.emplace_back("Cache-Control",
                           "max-age=" + std::to_string(max_age) + ", public, no-transform, must-revalidate");
    if (request.method != "POST") {
      if (auto inm = request.header("if-none-match"); inm && etag_matches(*inm, blob.etag)) {
        r.status = 304;
        return r;
      }
    }
  } else {
    // STANDARDS.md §5.5: errors and nonce answers must not be stored by caches.
    r.headers.emplace_back("Cache-Control", "no-cache, no-store");
  }
  r.body = blob.der;
  return r;
}

/// Base64 alphabet value of a character (standard and URL-safe); -1 otherwise.
int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-' || c == ' ') return 62;  // ' ': a '+' decoded as a form space
  if (c == '/' || c == '_') return 63;
  return -1;
}

}  // namespace

std::optional<Bytes> decode_ocsp_get_request(std::string_view text, std::size_t max_der) {
  // Padding is optional (some clients strip it); when present it must complete the last quantum.
  std::size_t data_len = text.size();
  while (data_len > 0 && text[data_len - 1] == '=') {
    --data_len;
  }
  const std::size_t pad = text.size() - data_len;
  if (data_len == 0 || pad > 2 || (pad != 0 && text.size() % 4 != 0) || data_len % 4 == 1) {
    return std::nullopt;
  }
  const std::size_t out_len = data_len / 4 * 3 + (data_len % 4 == 0 ? 0 : data_len % 4 - 1);
  if (out_len > max_der) {
    return std::nullopt;
  }
  Bytes out;
  out.reserve(out_len);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < data_len; ++i) {
    const int v = base64_value(text[i]);
    if (v < 0) {
      return std::nullopt;
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>((acc >> bits) & 0xFF));
    }
  }
  // RFC 4648 §3.5: the unused bits of the last character must be zero (one encoding per request).
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    return std::nullopt;
  }
  return out;
}

void register_ocsp_routes(Router& http, authority::OcspResponder& responder, OcspRouteOptions options) {
  // RFC 6960 A.1.1: POST with the DER request as body. The Content-Type is not checked: the body
  // is parsed as strict DER either way.
  http.add("POST", "/ocsp", [&responder, options](Request& request) {
    return render(responder.respond(as_bytes(request.body)), request, options);
  });
  // RFC 6960 A.1.1: GET {url}/{url-encoding of base-64 encoding of the DER encoding of the OCSPRequest}.
  http.add("GET", "/ocsp/{request*}", [&responder, options](Request& request) {
    const std::size_t max_der = responder.policy().max_request_bytes;
    auto der = decode_ocsp_get_request(request.path_params["request"], max_der);
    // An undecodable or oversized GET is answered like any malformed request (through the
    // responder, so that it is counted), with an input it refuses.
    return render(responder.respond(der ? ByteView(*der) : ByteView()), request, options);
  });
}

}  // namespace fleetpki::server::revocation
