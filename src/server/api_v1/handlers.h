// Route handler registration per resource (internal to api_v1).
#pragma once

#include "authority/authority.h"
#include "server/router.h"

namespace fleetpki::server::api_v1 {

void register_certificate_routes(Router& https, authority::Authority& authority);
void register_lifecycle_routes(Router& https, authority::Authority& authority);
void register_system_routes(Router& https, Router& http, authority::Authority& authority);
void register_tenant_routes(Router& https, authority::Authority& authority);  // tenants, their CAs, tokens and operator certificates
void register_device_routes(Router& https, authority::Authority& authority);  // device types and devices
void register_profile_routes(Router& https, authority::Authority& authority);  // certificate profiles
void register_audit_routes(Router& https, authority::Authority& authority);  // the audit log
void register_enrollment_routes(Router& https, authority::Authority& authority);  // EST endpoints, held enrollments, OTPs

}  // namespace fleetpki::server::api_v1
