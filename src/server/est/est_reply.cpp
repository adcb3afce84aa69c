// EST answers and the Errc → EST status table.
#include "server/est/est_reply.h"

#include <algorithm>
#include <string>

#include "server/est/est_codec.h"
#include "server/problem_json.h"

namespace fleetpki::server::est {

int est_status(Errc code) {
  switch (code) {
    case Errc::InvalidArgument:
      return 400;
    case Errc::Unauthenticated:
      return 401;
    case Errc::PermissionDenied:
      return 403;
    // RFC 7030 §4.2.3 leaves refusals of an authenticated client to the server: the device, the
    // certificate or the renewal window is in the wrong state, so 403 rather than REST's 409.
    case Errc::FailedPrecondition:
      return 403;
    case Errc::NotFound:
      return 404;
    case Errc::AlreadyExists:
      return 409;
    case Errc::Aborted:
      return 409;
    case Errc::ResourceExhausted:
      return 413;
    case Errc::Unimplemented:
      return 501;
    case Errc::Unavailable:
      return 503;
    case Errc::DataLoss:
      return 500;
    case Errc::Internal:
      return 500;
  }
  return 500;
}

Response est_error(const Error& error, const Request& request) {
  const int status = est_status(error.code);
  const std::string_view message =
      error.message.empty() ? std::string_view("request refused") : std::string_view(error.message);
  Response r;
  if (accepts_media_type(request.header("accept"), "application/problem+json")) {
    r = problem(status, message, request.request_id);
  } else {
    r.status = status;
    r.content_type = "text/plain; charset=utf-8";
    r.body = std::string(message) + "\n";
  }
  if (status == 401) {
    r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"" + std::string(kBasicRealm) + "\"");
  }
  return r;
}

Response est_base64(std::string_view content_type, ByteView der) {
  Response r;
  r.content_type = std::string(content_type);
  r.body = encode_base64_body(der);
  return r;
}

Response est_pending(int retry_after_seconds) {
  const int seconds = std::max(1, retry_after_seconds);
  Response r;
  r.status = 202;
  r.content_type = "text/plain; charset=utf-8";
  r.body = "enrollment pending approval; retry the same request after " + std::to_string(seconds) +
           " seconds\n";
  r.headers.emplace_back("Retry-After", std::to_string(seconds));
  return r;
}

}  // namespace fleetpki::server::est
