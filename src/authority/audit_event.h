// Building audit events: every change appends one in the same transaction as the change.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "authority/access.h"
#include "store/records.h"

namespace fleetpki::authority {

struct CallContext;

/// An event naming who (`who.id`, never a secret), the tenant, the action ("device.create"), the
/// object (a name or serial) and the request id. `details` must not contain secrets.
store::AuditEvent make_audit_event(const Principal& who, std::optional<std::int64_t> tenant_id, std::string action,
                                   std::string object, const CallContext& call, const nlohmann::json& details,
                                   std::int64_t now);

}  // namespace fleetpki::authority
