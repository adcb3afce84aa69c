// Route handler registration per resource (internal to api_v1).
#pragma once

#include "authority/authority.h"
#include "server/router.h"

namespace fleetpki::server::api_v1 {

void register_certificate_routes(Router& https, authority::Authority& authority);
void register_lifecycle_routes(Router& https, authority::Authority& authority);
void register_system_routes(Router& https, Router& http, authority::Authority& authority);

}  // namespace fleetpki::server::api_v1
