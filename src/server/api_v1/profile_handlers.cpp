// REST v1 routes for certificate profiles.
#include "server/api_v1/handlers.h"

namespace fleetpki::server::api_v1 {

void register_profile_routes(Router& https, authority::Authority& authority) {
  (void)https;
  (void)authority;
}

}  // namespace fleetpki::server::api_v1
