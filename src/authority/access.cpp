#include "authority/access.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cctype>

#include "common/check.h"

namespace fleetpki::authority {

std::string_view role_name(Role role) {
  switch (role) {
    case Role::Admin: return "admin";
    case Role::Operator: return "operator";
    case Role::Auditor: return "auditor";
    case Role::Enrollment: return "enrollment";
  }
  return "auditor";
}

Result<Role> parse_role(std::string_view name) {
  if (name == "admin") return Role::Admin;
  if (name == "operator") return Role::Operator;
  if (name == "auditor") return Role::Auditor;
  if (name == "enrollment") return Role::Enrollment;
  return fail(Errc::InvalidArgument, "unknown role '" + std::string(name) + "' (admin, operator, auditor, enrollment)");
}

bool role_allows(Role role, Permission permission) {
  // The role matrix (deny by default). Enrollment credentials belong to devices: they may only
  // enroll or re-enroll themselves (issue #5), never read or change anything else.
  switch (role) {
    case Role::Admin: return permission != Permission::DeviceEnroll;
    case Role::Operator:
      switch (permission) {
        case Permission::CertificateIssue:
        case Permission::CertificateRead:
        case Permission::CertificateRevoke:
        case Permission::TenantRead:
        case Permission::CaRead:
        case Permission::ProfileRead:
        case Permission::DeviceRead:
        case Permission::DeviceManage:
        case Permission::EnrollmentRead:
        case Permission::EnrollmentApprove: return true;
        default: return false;
      }
    case Role::Auditor:
      switch (permission) {
        case Permission::CertificateRead:
        case Permission::TokenRead:
        case Permission::AuditRead:
        case Permission::TenantRead:
        case Permission::CaRead:
        case Permission::ProfileRead:
        case Permission::DeviceRead:
        case Permission::EnrollmentRead: return true;
        default: return false;
      }
    case Role::Enrollment: return permission == Permission::DeviceEnroll;
  }
  return false;
}

Bytes hash_token_secret(ByteView secret) {
  Bytes digest(32);
  std::size_t len = 0;
  FLEETPKI_CHECK(::EVP_Q_digest(nullptr, "SHA256", nullptr, secret.data(), secret.size(), digest.data(), &len) == 1 && len == 32,
                 "SHA-256 is always available");
  return digest;
}

Result<IssuedToken> make_token(std::optional<std::int64_t> tenant_id, Role role, std::int64_t now,
                               std::optional<std::int64_t> expires_at) {
  Bytes id(8);
  SecureBytes secret(32);
  if (::RAND_bytes(id.data(), static_cast<int>(id.size())) != 1 ||
      ::RAND_bytes(secret.data(), static_cast<int>(secret.size())) != 1) {
    return fail(Errc::Internal, "random generator failed");
  }
  IssuedToken out;
  out.record.id = to_hex(id);
  out.record.tenant_id = tenant_id;
  out.record.role = std::string(role_name(role));
  out.record.secret_hash = hash_token_secret(secret.view());
  out.record.created_at = now;
  out.record.expires_at = expires_at;
  out.token = "fpk_" + out.record.id + "_" + to_hex(secret.view());
  return out;
}

Result<ParsedToken> parse_token(std::string_view token) {
  auto malformed = [] { return fail(Errc::Unauthenticated, "invalid bearer token"); };
  // fpk_ + 16 + _ + 64
  if (token.size() != 4 + 16 + 1 + 64 || token.substr(0, 4) != "fpk_" || token[20] != '_') return malformed();
  Bytes id, secret;
  if (!from_hex(token.substr(4, 16), id) || !from_hex(token.substr(21), secret)) return malformed();
  ParsedToken out;
  out.id = std::string(token.substr(4, 16));
  for (char& c : out.id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  out.secret = SecureBytes(secret);
  ::OPENSSL_cleanse(secret.data(), secret.size());
  return out;
}

}  // namespace fleetpki::authority
