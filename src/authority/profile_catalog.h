// Certificate profiles as data: create, version, retire; built-in templates.
// A service of the Authority (Authority::profiles()); entry points authorize the principal first.
#pragma once

#include "authority/authority.h"

namespace fleetpki::authority {

class ProfileCatalog final {
 public:
  explicit ProfileCatalog(Authority& authority) : authority_(authority) {}
  ProfileCatalog(const ProfileCatalog&) = delete;
  ProfileCatalog& operator=(const ProfileCatalog&) = delete;

 private:
  Authority& authority_;
};

}  // namespace fleetpki::authority
