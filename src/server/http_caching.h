// HTTP caching helpers shared by the routes that serve cacheable objects (CRLs, OCSP answers).
#pragma once

#include <string>
#include <string_view>

#include "common/clock.h"

namespace fleetpki::server {

/// RFC 9110 §5.6.7 IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (locale-independent, no printf:
/// the OCSP path writes three per answer).
std::string http_date(TimePoint t);

/// True when an If-None-Match header value matches `etag` (RFC 9110 §13.1.2: "*" or a list of
/// entity tags compared weakly, "W/" ignored).
bool etag_matches(std::string_view if_none_match, std::string_view etag);

}  // namespace fleetpki::server
