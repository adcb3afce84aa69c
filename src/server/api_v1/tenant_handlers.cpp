// REST v1 routes for tenants, their CAs, tokens and operator certificates.
#include "server/api_v1/handlers.h"

namespace fleetpki::server::api_v1 {

void register_tenant_routes(Router& https, authority::Authority& authority) {
  (void)https;
  (void)authority;
}

}  // namespace fleetpki::server::api_v1
