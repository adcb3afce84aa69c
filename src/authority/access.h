// Bearer tokens, roles and the permission table (deny by default).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/result.h"
#include "store/records.h"

namespace fleetpki::authority {

enum class Role { Admin, Operator, Auditor, Enrollment };

std::string_view role_name(Role role);
Result<Role> parse_role(std::string_view name);

/// Who is calling, after authentication.
struct Principal {
  std::string id;                          // token id or "cli"/"system"; safe to log
  std::optional<std::int64_t> tenant_id;   // nullopt = platform scope (all tenants)
  Role role = Role::Auditor;
};

/// What a call wants to do. Every authority entry point names one.
enum class Permission {
  CertificateIssue,   // issue, renew, re-key
  CertificateRead,
  CertificateRevoke,  // revoke, suspend, reactivate, bulk revocation
  TokenCreate,        // tokens and operator client certificates of the tenant
  TokenRead,
  TokenRevoke,
  AuditRead,          // the tenant's audit events and their export
  TenantRead,         // the tenant itself
  CaRead,
  CaManage,           // create, install, disable a tenant's CAs
  ProfileRead,
  ProfileManage,      // create, version, retire profiles
  DeviceRead,         // device types and devices
  DeviceManage,       // register, import, transition devices; manage device types
  DeviceEnroll,       // EST enrollment of the calling device itself (issue #5)
  EnrollmentRead,     // EST enrollment endpoints and held enrollments (issue #5)
  EnrollmentManage,   // create, change, disable enrollment endpoints
  EnrollmentApprove,  // approve/reject held enrollments, device OTPs, renewal grants
};

/// Platform-wide operations (tenant creation, listing and disabling, the platform audit log) are
/// reserved to platform administrators (tenant_id nullopt, Role::Admin): see is_platform_admin.

/// True when `role` may do `permission` (within its tenant). The table is the only place roles
/// are interpreted; anything not listed is denied.
bool role_allows(Role role, Permission permission);

/// A platform administrator: an admin credential not bound to a tenant. May act on every tenant.
inline bool is_platform_admin(const Principal& who) { return !who.tenant_id && who.role == Role::Admin; }

/// A token as handed to a client: "fpk_" + 16 hex id + "_" + 64 hex secret. Only the SHA-256 of
/// the secret is stored; lookup is by id and the hash is compared in constant time.
struct IssuedToken {
  std::string token;
  store::TokenRecord record;
};

Result<IssuedToken> make_token(std::optional<std::int64_t> tenant_id, Role role, std::int64_t now,
                               std::optional<std::int64_t> expires_at);

struct ParsedToken {
  std::string id;
  SecureBytes secret;
};
/// Unauthenticated for anything that is not a well-formed token (the reason does not say which part).
Result<ParsedToken> parse_token(std::string_view token);

/// SHA-256 of the secret.
Bytes hash_token_secret(ByteView secret);

}  // namespace fleetpki::authority
