// GET (and HEAD) /crl/{tenant}/{file} on the plain-HTTP listener: the CRLs of the CRL publisher,
// DER as application/pkix-crl (RFC 2585 §4.2), with HTTP caching headers bounded by nextUpdate.
#pragma once

#include "authority/crl_publisher.h"
#include "common/clock.h"
#include "server/router.h"

namespace fleetpki::server::revocation {

/// Registers the route. {file} is "<ca>[.p<k>][.delta].crl" (authority/crl_partition.h). Answers:
///   200 with Last-Modified (thisUpdate), Expires (nextUpdate), ETag (quoted hex SHA-256 of the
///       body) and Cache-Control "public, max-age=N, no-transform", N = min(the policy's cap,
///       seconds until nextUpdate);
///   304 with the same headers when If-None-Match names the current ETag (RFC 9110 §13.1.2);
///   404 problem+json for a malformed name or an unknown tenant, CA or partition;
///   503 problem+json while the scope's first CRL is being published.
/// `publisher` and `clock` must outlive the router.
void register_crl_routes(Router& http, const authority::CrlPublisher& publisher,
                         const Clock& clock);

}  // namespace fleetpki::server::revocation
