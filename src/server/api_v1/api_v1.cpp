#include "server/api_v1/api_v1.h"

#include "server/api_v1/handlers.h"

namespace fleetpki::server::api_v1 {

void register_routes(Router& https, Router& http, authority::Authority& authority) {
  register_system_routes(https, http, authority);
  register_certificate_routes(https, authority);
  register_lifecycle_routes(https, authority);
  register_tenant_routes(https, authority);
  register_device_routes(https, authority);
  register_profile_routes(https, authority);
  register_audit_routes(https, authority);
}

}  // namespace fleetpki::server::api_v1
