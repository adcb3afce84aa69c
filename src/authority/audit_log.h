// The tamper-evident audit log: listing, JSON-lines export, signed checkpoints, verification.
// A service of the Authority (Authority::audit()); entry points authorize the principal first.
#pragma once

#include "authority/authority.h"

namespace fleetpki::authority {

class AuditLog final {
 public:
  explicit AuditLog(Authority& authority) : authority_(authority) {}
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

 private:
  Authority& authority_;
};

}  // namespace fleetpki::authority
