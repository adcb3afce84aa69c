// Device types and devices: registry, state machine, CSV import, certificate links.
// A service of the Authority (Authority::devices()); entry points authorize the principal first.
#pragma once

#include "authority/authority.h"

namespace fleetpki::authority {

class DeviceRegistry final {
 public:
  explicit DeviceRegistry(Authority& authority) : authority_(authority) {}
  DeviceRegistry(const DeviceRegistry&) = delete;
  DeviceRegistry& operator=(const DeviceRegistry&) = delete;

 private:
  Authority& authority_;
};

}  // namespace fleetpki::authority
