// REST v1: registers every route of the contract on the HTTPS and plain-HTTP routers.
#pragma once

#include <string_view>

#include "authority/authority.h"
#include "server/router.h"

namespace fleetpki::server::api_v1 {

/// HTTPS: health, openapi.json, certificates. Plain HTTP: health and the CA certificates of the
/// AIA caIssuers URLs. `authority` must outlive the routers.
void register_routes(Router& https, Router& http, authority::Authority& authority);

/// The OpenAPI 3 document (docs/api/openapi.json, embedded at build time).
std::string_view openapi_document();

}  // namespace fleetpki::server::api_v1
