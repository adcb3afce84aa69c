#include "authority/audit_event.h"

#include "authority/authority.h"

namespace fleetpki::authority {

store::AuditEvent make_audit_event(const Principal& who, std::optional<std::int64_t> tenant_id, std::string action,
                                   std::string object, const CallContext& call, const nlohmann::json& details,
                                   std::int64_t now) {
  store::AuditEvent e;
  e.tenant_id = tenant_id;
  e.actor = who.id;
  e.action = std::move(action);
  e.object = std::move(object);
  e.request_id = call.request_id;
  if (call.audit_details.empty() || !details.is_object()) {
    e.details_json = details.dump();
  } else {
    nlohmann::json merged = details;
    for (const auto& [key, value] : call.audit_details) {
      if (!merged.contains(key)) merged[key] = value;
    }
    e.details_json = merged.dump();
  }
  e.at = now;
  return e;
}

}  // namespace fleetpki::authority
