// Tenants, their CAs (signed by the tenant's platform-held root, or by the customer's own root:
// "bring your own CA"), credentials (bearer tokens, operator client certificates) and idempotency
// keys. A service of the Authority (Authority::tenant_admin()); every entry point authorizes the
// principal first: platform-wide operations need a platform administrator, tenant operations the
// permission of access.h, and another tenant's objects are NotFound.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "authority/authority.h"
#include "pki/name_constraints.h"

namespace fleetpki::authority {

/// A new CA of a tenant. With `external` the key is made here and a CSR is returned for the
/// customer's CA to sign (the CA stays "pending" until install_ca_certificate); otherwise the
/// tenant's CA named `parent` signs it at once.
struct CaSpec {
  std::string name;                       // [a-z0-9-], 1..63, unique in the tenant
  bool external = false;
  std::string parent = "root";            // when not external
  std::string key_type = "ec-p256";       // ec-p256, ec-p384, rsa-2048, rsa-3072 or rsa-4096
  std::string common_name;                // default "<tenant> <name> CA"
  std::string organization;
  int validity_days = 5 * 365;            // capped by the parent's validity when not external
  int path_len = 0;                       // 0: issues end-entity certificates only
  std::optional<pki::NameConstraints> name_constraints;
};

struct TokenSpec {
  Role role = Role::Operator;
  std::optional<std::int64_t> expires_at;  // Unix seconds; nullopt = no expiry
};

struct CreatedToken {
  std::string token;  // shown once
  store::TokenRecord record;
};

class TenantAdmin final {
 public:
  explicit TenantAdmin(Authority& authority) : authority_(authority) {}
  TenantAdmin(const TenantAdmin&) = delete;
  TenantAdmin& operator=(const TenantAdmin&) = delete;

  // ---- tenants ----------------------------------------------------------------------------------
  /// Platform administrators only. The tenant starts with its CAs, profiles and device type.
  Result<store::TenantRecord> create_tenant(const Principal& who, std::string_view name, const CallContext& call);
  /// Platform administrators only.
  Result<store::Page<store::TenantRecord>> list_tenants(const Principal& who, std::int64_t after, int limit);
  /// Platform administrators see disabled tenants too; a tenant's credentials see their own tenant.
  Result<store::TenantRecord> get_tenant(const Principal& who, std::string_view name);
  /// Platform administrators only. A disabled tenant's credentials stop working at once and its
  /// issuance stops; its CRLs and OCSP answers keep being served for relying parties.
  Result<store::TenantRecord> set_tenant_disabled(const Principal& who, std::string_view name, bool disabled,
                                                  const CallContext& call);

  // ---- CAs --------------------------------------------------------------------------------------
  Result<std::vector<store::CaRecord>> list_cas(const Principal& who, std::string_view tenant);
  Result<store::CaRecord> get_ca(const Principal& who, std::string_view tenant, std::string_view name);
  Result<store::CaRecord> create_ca(const Principal& who, std::string_view tenant, const CaSpec& spec,
                                    const CallContext& call);
  /// Installs the certificate the customer's CA signed for a pending CA: same key, a CA
  /// certificate, chaining through `chain_pem` to a self-signed root, valid now.
  Result<store::CaRecord> install_ca_certificate(const Principal& who, std::string_view tenant, std::string_view name,
                                                 std::string_view certificate_pem, std::string_view chain_pem,
                                                 const CallContext& call);
  /// "disabled" stops issuance by the CA (its CRLs and OCSP go on); "active" resumes it. The root
  /// cannot be disabled through this (it signs no end entities).
  Result<store::CaRecord> set_ca_status(const Principal& who, std::string_view tenant, std::string_view name,
                                        bool disabled, const CallContext& call);

  // ---- credentials ------------------------------------------------------------------------------
  /// tenant nullopt = a platform token (platform administrators only).
  Result<CreatedToken> create_token(const Principal& who, std::optional<std::string_view> tenant,
                                    const TokenSpec& spec, const CallContext& call);
  Result<store::Page<store::TokenRecord>> list_tokens(const Principal& who, std::string_view tenant,
                                                      std::int64_t after, int limit);
  Status revoke_token(const Principal& who, std::string_view tenant, std::string_view token_id,
                      const CallContext& call);
  /// Registers an operator client certificate (pinned by its SHA-256) with a role in the tenant.
  Result<store::OperatorCertificateRecord> register_operator_certificate(const Principal& who, std::string_view tenant,
                                                                         std::string_view certificate_pem, Role role,
                                                                         const CallContext& call);
  Result<store::Page<store::OperatorCertificateRecord>> list_operator_certificates(const Principal& who,
                                                                                   std::string_view tenant,
                                                                                   std::int64_t after, int limit);
  Status revoke_operator_certificate(const Principal& who, std::string_view tenant, std::string_view fingerprint,
                                     const CallContext& call);
  /// The principal of a TLS client certificate (leaf DER): registered, not revoked, within its
  /// validity. Unauthenticated otherwise (one message for every reason).
  Result<Principal> authenticate_client_certificate(ByteView leaf_der);

  // ---- idempotency keys -------------------------------------------------------------------------
  Result<std::optional<store::IdempotencyRecord>> find_idempotency(std::string_view principal, std::string_view key);
  /// AlreadyExists when another request stored the key first.
  Status remember_idempotency(const store::IdempotencyRecord& record);

 private:
  /// The tenant record, authorized for `permission`, including a disabled tenant for platform admins.
  Result<std::shared_ptr<const TenantRuntime>> authorize(const Principal& who, std::string_view tenant,
                                                         Permission permission);

  Authority& authority_;
};

/// Parses name constraints from the API's JSON form; InvalidArgument naming the bad member.
Result<pki::NameConstraints> name_constraints_from_json(std::string_view json);
std::string name_constraints_to_json(const pki::NameConstraints& nc);

}  // namespace fleetpki::authority
