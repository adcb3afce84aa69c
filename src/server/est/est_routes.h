// EST (RFC 7030 as corrected by RFC 8951) on the HTTPS listener: thin handlers over
// authority::EstEnrollment (decode, describe the caller, call, encode).
#pragma once

#include "authority/authority.h"
#include "server/router.h"

namespace fleetpki::server::est {

/// Registers, on the HTTPS router only, GET cacerts and csrattrs and POST simpleenroll,
/// simplereenroll and serverkeygen under both `/.well-known/est/{op}` (the default enrollment
/// endpoint of tenant "default") and `/.well-known/est/{label}/{op}`. Other operations answer 404
/// (the router's). `authority` must outlive the router's use.
void register_routes(Router& https, authority::Authority& authority);

}  // namespace fleetpki::server::est
