#include "server/api_v1/api_v1.h"

#include "server/api_v1/handlers.h"
#include "server/api_v1/idempotency.h"

namespace fleetpki::server::api_v1 {

void register_routes(Router& https, Router& http, authority::Authority& authority) {
  register_system_routes(https, http, authority);
  register_certificate_routes(https, authority);
  register_lifecycle_routes(https, authority);
  register_tenant_routes(https, authority);
  register_device_routes(https, authority);
  register_profile_routes(https, authority);
  register_audit_routes(https, authority);
  register_enrollment_routes(https, authority);
  // Every POST of the REST API honours Idempotency-Key (creating ones matter most; on the others
  // a replay is harmless and saves a client from telling "done" from "lost answer" apart).
  https.decorate([](const RouteInfo& route) { return route.method == "POST" && route.pattern.rfind("/api/v1/", 0) == 0; },
                 [&authority](Handler handler) { return with_idempotency_keys(authority, std::move(handler)); });
}

}  // namespace fleetpki::server::api_v1
