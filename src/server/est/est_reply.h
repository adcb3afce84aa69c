// EST answers (RFC 7030 §4.2.3, RFC 8951 §3.3): success bodies and the one Errc → EST status table.
#pragma once

#include <string_view>

#include "common/bytes.h"
#include "common/error.h"
#include "server/http_message.h"

namespace fleetpki::server::est {

/// The realm of the `WWW-Authenticate: Basic` challenge sent with every 401.
inline constexpr std::string_view kBasicRealm = "fleetpki EST";

/// Errc → EST status: InvalidArgument 400, Unauthenticated 401, PermissionDenied and
/// FailedPrecondition 403 (authenticated but not allowed), NotFound 404, AlreadyExists and Aborted
/// 409, ResourceExhausted 413, Unimplemented 501, Unavailable 503, Internal and DataLoss 500.
int est_status(Errc code);

/// An EST error answer: text/plain with error.message (RFC 8951 §3.3 allows it), or
/// application/problem+json when the request's Accept header lists that type. A 401 carries
/// `WWW-Authenticate: Basic realm="fleetpki EST"` (RFC 7030 §3.2.3, RFC 9110 §11.6.1).
/// error.detail is never sent.
Response est_error(const Error& error, const Request& request);

/// 200 with a base64 (RFC 8951) body of `der` and the given content type.
Response est_base64(std::string_view content_type, ByteView der);

/// RFC 7030 §4.2.3: 202 with `Retry-After: seconds` (at least 1) and a short text body.
Response est_pending(int retry_after_seconds);

}  // namespace fleetpki::server::est
