// Tenants, their CAs (platform-rooted or bring-your-own), tokens and operator client certificates.
// A service of the Authority (Authority::tenant_admin()); entry points authorize the principal first.
#pragma once

#include "authority/authority.h"

namespace fleetpki::authority {

class TenantAdmin final {
 public:
  explicit TenantAdmin(Authority& authority) : authority_(authority) {}
  TenantAdmin(const TenantAdmin&) = delete;
  TenantAdmin& operator=(const TenantAdmin&) = delete;

 private:
  Authority& authority_;
};

}  // namespace fleetpki::authority
