// REST v1 routes for the audit log.
#include "server/api_v1/handlers.h"

namespace fleetpki::server::api_v1 {

void register_audit_routes(Router& https, authority::Authority& authority) {
  (void)https;
  (void)authority;
}

}  // namespace fleetpki::server::api_v1
