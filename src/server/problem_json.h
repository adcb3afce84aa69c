// RFC 9457 problem details (application/problem+json) and the one Errc → HTTP status table.
#pragma once

#include <string_view>

#include "common/error.h"
#include "server/http_message.h"

namespace fleetpki::server {

/// Errc → HTTP status (ADR 0002): InvalidArgument 400, Unauthenticated 401, PermissionDenied 403,
/// NotFound 404, AlreadyExists/Aborted/FailedPrecondition 409, ResourceExhausted 413 (or 429),
/// Unimplemented 501, Unavailable 503, Internal/DataLoss 500.
int http_status(Errc code);

/// {"type","title","status","detail","request_id"} with content type application/problem+json.
Response problem(int status, std::string_view detail, std::string_view request_id = {});

/// problem() for an Error: status from its code, detail = error.message (never error.detail).
Response problem(const Error& error, std::string_view request_id = {});

}  // namespace fleetpki::server
