// EST (RFC 7030 as corrected by RFC 8951) on the HTTPS listener. For now: /cacerts.
#pragma once

#include "authority/authority.h"
#include "server/router.h"

namespace fleetpki::server::est {

/// Registers /.well-known/est/cacerts (no label = tenant "default", issuing CA).
void register_routes(Router& https, authority::Authority& authority);

}  // namespace fleetpki::server::est
