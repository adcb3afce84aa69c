// REST v1 routes for device types and devices.
#include "server/api_v1/handlers.h"

namespace fleetpki::server::api_v1 {

void register_device_routes(Router& https, authority::Authority& authority) {
  (void)https;
  (void)authority;
}

}  // namespace fleetpki::server::api_v1
