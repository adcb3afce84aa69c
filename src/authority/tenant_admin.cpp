#include "authority/tenant_admin.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <nlohmann/json.hpp>

#include "authority/audit_event.h"
#include "authority/ca_factory.h"
#include "authority/default_profiles.h"
#include "pki/ca_request.h"
#include "pki/certificate.h"
#include "pki/chain_verify.h"
#include "pki/names.h"
#include "pki/pem.h"

namespace fleetpki::authority {
namespace {

constexpr std::size_t kMaxPemInput = 64 * 1024;

Status check_limit(int limit) {
  if (limit < 1 || limit > 1000) return fail(Errc::InvalidArgument, "limit must be 1..1000");
  return ok();
}

Status require_platform_admin(const Principal& who) {
  if (!is_platform_admin(who)) return fail(Errc::PermissionDenied, "only a platform administrator may do this");
  return ok();
}

Result<std::string> random_hex(std::size_t bytes) {
  Bytes b(bytes);
  if (::RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) return fail(Errc::Internal, "random generator failed");
  return to_hex(b);
}

std::string sha256_hex(ByteView data) {
  Bytes digest(32);
  std::size_t len = 0;
  ::EVP_Q_digest(nullptr, "SHA256", nullptr, data.data(), data.size(), digest.data(), &len);
  return to_hex(digest);
}

Result<std::vector<std::string>> string_list(const nlohmann::json& j, const char* name) {
  std::vector<std::string> out;
  if (!j.contains(name)) return out;
  const auto& v = j.at(name);
  if (!v.is_array() || v.size() > 64) return fail(Errc::InvalidArgument, std::string(name) + " must be an array of at most 64 strings");
  for (const auto& item : v) {
    if (!item.is_string() || item.get<std::string>().empty() || item.get<std::string>().size() > 253) {
      return fail(Errc::InvalidArgument, std::string(name) + " must hold non-empty strings");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

/// CA key types: EC for IoT (Matter and most device stacks verify only ECDSA), RSA for fleets
/// whose verifiers predate it (IEEE 802.1AR allows RSA-2048). Not Ed25519: few TLS stacks verify
/// Ed25519 certificate chains.
Result<keys::KeyAlgorithm> ca_key_algorithm(std::string_view key_type) {
  if (key_type == "ec-p256") return keys::KeyAlgorithm::EcP256;
  if (key_type == "ec-p384") return keys::KeyAlgorithm::EcP384;
  if (key_type == "rsa-2048") return keys::KeyAlgorithm::Rsa2048;
  if (key_type == "rsa-3072") return keys::KeyAlgorithm::Rsa3072;
  if (key_type == "rsa-4096") return keys::KeyAlgorithm::Rsa4096;
  return fail(Errc::InvalidArgument, "key_type must be ec-p256, ec-p384, rsa-2048, rsa-3072 or rsa-4096");
}

std::string ca_not_found(std::string_view name) { return "CA '" + std::string(name) + "' not found"; }

Result<store::CaRecord> find_ca_record(store::Store& store, std::int64_t tenant_id, std::string_view name) {
  FLEETPKI_TRY(auto cas, store.list_cas(tenant_id));
  for (auto& ca : cas) {
    if (ca.name == name) return ca;
  }
  return fail(Errc::NotFound, ca_not_found(name));
}

}  // namespace

// ---- name constraints as JSON ----------------------------------------------------------------------

Result<pki::NameConstraints> name_constraints_from_json(std::string_view json) {
  auto j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return fail(Errc::InvalidArgument, "name_constraints must be an object");
  static const char* kMembers[] = {"permitted_dns", "excluded_dns", "permitted_ip", "excluded_ip", "permitted_email",
                                   "excluded_email"};
  for (const auto& [key, value] : j.items()) {
    (void)value;
    if (std::find(std::begin(kMembers), std::end(kMembers), key) == std::end(kMembers)) {
      return fail(Errc::InvalidArgument, "name_constraints: unknown member '" + key + "'");
    }
  }
  pki::NameConstraints nc;
  FLEETPKI_TRY(nc.permitted_dns, string_list(j, "permitted_dns"));
  FLEETPKI_TRY(nc.excluded_dns, string_list(j, "excluded_dns"));
  FLEETPKI_TRY(nc.permitted_ip, string_list(j, "permitted_ip"));
  FLEETPKI_TRY(nc.excluded_ip, string_list(j, "excluded_ip"));
  FLEETPKI_TRY(nc.permitted_email, string_list(j, "permitted_email"));
  FLEETPKI_TRY(nc.excluded_email, string_list(j, "excluded_email"));
  FLEETPKI_RETURN_IF_ERROR(pki::encode_name_constraints_value(nc));  // validates every name
  return nc;
}

std::string name_constraints_to_json(const pki::NameConstraints& nc) {
  nlohmann::json j = nlohmann::json::object();
  auto put = [&j](const char* name, const std::vector<std::string>& v) {
    if (!v.empty()) j[name] = v;
  };
  put("permitted_dns", nc.permitted_dns);
  put("excluded_dns", nc.excluded_dns);
  put("permitted_ip", nc.permitted_ip);
  put("excluded_ip", nc.excluded_ip);
  put("permitted_email", nc.permitted_email);
  put("excluded_email", nc.excluded_email);
  return j.dump();
}

// ---- tenants ---------------------------------------------------------------------------------------

Result<std::shared_ptr<const TenantRuntime>> TenantAdmin::authorize(const Principal& who, std::string_view tenant,
                                                                    Permission permission) {
  return authority_.authorize(who, tenant, permission);
}

Result<store::TenantRecord> TenantAdmin::create_tenant(const Principal& who, std::string_view name,
                                                       const CallContext& call) {
  FLEETPKI_RETURN_IF_ERROR(authority_.create_tenant(who, name, call));
  FLEETPKI_TRY(auto tenant, authority_.store().find_tenant(name));
  if (!tenant) return fail(Errc::Internal, "the new tenant cannot be read back");
  return *tenant;
}

Result<store::Page<store::TenantRecord>> TenantAdmin::list_tenants(const Principal& who, std::int64_t after,
                                                                   int limit) {
  FLEETPKI_RETURN_IF_ERROR(require_platform_admin(who));
  FLEETPKI_RETURN_IF_ERROR(check_limit(limit));
  return authority_.store().list_tenants_page(after, limit);
}

Result<store::TenantRecord> TenantAdmin::get_tenant(const Principal& who, std::string_view name) {
  if (is_platform_admin(who)) {
    FLEETPKI_TRY(auto tenant, authority_.store().find_tenant(name));
    if (!tenant) return fail(Errc::NotFound, "tenant '" + std::string(name) + "' not found");
    return *tenant;
  }
  FLEETPKI_TRY(auto runtime, authorize(who, name, Permission::TenantRead));
  return runtime->tenant;
}

Result<store::TenantRecord> TenantAdmin::set_tenant_disabled(const Principal& who, std::string_view name,
                                                             bool disabled, const CallContext& call) {
  FLEETPKI_RETURN_IF_ERROR(require_platform_admin(who));
  FLEETPKI_TRY(auto tenant, authority_.store().find_tenant(name));
  if (!tenant) return fail(Errc::NotFound, "tenant '" + std::string(name) + "' not found");
  const std::int64_t now = to_unix(authority_.clock().now());
  FLEETPKI_RETURN_IF_ERROR(authority_.store().write([&](store::Transaction& tx) -> Status {
    FLEETPKI_RETURN_IF_ERROR(tx.set_tenant_disabled(tenant->id, disabled));
    return tx.append_audit(make_audit_event(who, tenant->id, disabled ? "tenant.disable" : "tenant.enable",
                                            tenant->name, call, nlohmann::json::object(), now));
  }));
  authority_.invalidate_tenant(name);
  tenant->disabled = disabled;
  return *tenant;
}

// ---- CAs -------------------------------------------------------------------------------------------

Result<std::vector<store::CaRecord>> TenantAdmin::list_cas(const Principal& who, std::string_view tenant) {
  FLEETPKI_TRY(auto runtime, authorize(who, tenant, Permission::CaRead));
  return authority_.store().list_cas(runtime->tenant.id);
}

Result<store::CaRecord> TenantAdmin::get_ca(const Principal& who, std::string_view tenant, std::string_view name) {
  FLEETPKI_TRY(auto runtime, authorize(who, tenant, Permission::CaRead));
  return find_ca_record(authority_.store(), runtime->tenant.id, name);
}

Result<store::CaRecord> TenantAdmin::create_ca(const Principal& who, std::string_view tenant, const CaSpec& spec,
                                               const CallContext& call) {
  FLEETPKI_TRY(auto runtime, authorize(who, tenant, Permission::CaManage));
  if (!is_valid_tenant_name(spec.name)) {
    return fail(Errc::InvalidArgument, "CA names are 1..63 characters of a-z, 0-9 and '-'");
  }
  if (spec.validity_days < 1 || spec.validity_days > 30 * 365) {
    return fail(Errc::InvalidArgument, "validity_days must be 1..10950");
  }
  if (spec.path_len < 0 || spec.path_len > 8) return fail(Errc::InvalidArgument, "path_len must be 0..8");
  if (spec.common_name.size() > 64 || spec.organization.size() > 64) {
    return fail(Errc::InvalidArgument, "common_name and organization are at most 64 characters");
  }
  FLEETPKI_TRY(keys::KeyAlgorithm algorithm, ca_key_algorithm(spec.key_type));
  if (find_ca_record(authority_.store(), runtime->tenant.id, spec.name)) {
    return fail(Errc::AlreadyExists, "CA '" + spec.name + "' already exists");
  }
  std::optional<Bytes> constraints;
  if (spec.name_constraints) {
    FLEETPKI_TRY(constraints, pki::encode_name_constraints_value(*spec.name_constraints));
  }
  std::shared_ptr<const CaRuntime> parent;
  if (!spec.external) {
    auto it = runtime->cas.find(spec.parent);
    if (it == runtime->cas.end()) return fail(Errc::NotFound, "parent " + ca_not_found(spec.parent));
    if (it->second->record.status != "active") {
      return fail(Errc::FailedPrecondition, "parent CA '" + spec.parent + "' is not active");
    }
    parent = it->second;
    // Path validation alone would accept the new CA (a path's last certificate is not counted):
    // the parent's pathLenConstraint must leave room for one more CA below it.
    FLEETPKI_TRY(auto parent_len, pki::ca_path_len(authority_.crypto(), parent->certificate->der()));
    if (parent_len && *parent_len <= spec.path_len) {
      return fail(Errc::InvalidArgument, "parent CA '" + spec.parent + "' has pathLenConstraint " +
                                             std::to_string(*parent_len) + ": it cannot sign a CA with path_len " +
                                             std::to_string(spec.path_len));
    }
  }

  const std::string tenant_name(tenant);
  FLEETPKI_TRY(std::string suffix, random_hex(4));
  FLEETPKI_TRY(std::string key_ref, authority_.vault().generate(algorithm, tenant_name + "-" + spec.name + "-" + suffix));
  FLEETPKI_TRY(auto key, authority_.vault().open_signer(key_ref));
  const std::string cn = spec.common_name.empty() ? "fleetpki " + tenant_name + " " + spec.name + " CA" : spec.common_name;
  const std::string org = spec.organization.empty() ? "fleetpki tenant " + tenant_name : spec.organization;

  const std::int64_t now = to_unix(authority_.clock().now());
  store::CaRecord ca;
  ca.tenant_id = runtime->tenant.id;
  ca.name = spec.name;
  ca.key_ref = key_ref;
  ca.created_at = now;
  if (spec.name_constraints) ca.name_constraints_json = name_constraints_to_json(*spec.name_constraints);

  if (spec.external) {
    FLEETPKI_TRY(Bytes subject, pki::encode_name({{"O", org}, {"CN", cn}}));
    pki::CaRequestSpec request{subject, key->public_key_spki(), spec.path_len, std::nullopt};
    if (spec.name_constraints) {
      FLEETPKI_TRY(request.name_constraints_extension, pki::encode_name_constraints_extension(*spec.name_constraints));
    }
    FLEETPKI_TRY(ca.csr_der, pki::make_ca_request(request, key->algorithm(),
                                                  [&key](ByteView tbs) { return key->sign(tbs); }));
    ca.status = "pending";
  } else {
    CaCertificateSpec cert_spec{.common_name = cn, .organization = org, .validity_days = spec.validity_days,
                                .path_len = spec.path_len, .name_constraints = constraints, .not_after = std::nullopt};
    const TimePoint wanted = authority_.clock().now() + std::chrono::days(spec.validity_days);
    if (wanted > parent->certificate->not_after()) cert_spec.not_after = parent->certificate->not_after();
    FLEETPKI_TRY(auto cert, make_intermediate_certificate(authority_.crypto(), authority_.clock(), *parent->certificate,
                                                          *parent->signer, *key, cert_spec));
    // The parent's own constraints (path length, name constraints) must admit the new CA.
    FLEETPKI_TRY(auto chain, pki::pem_decode_all(parent->chain_pem, "CERTIFICATE"));
    Bytes root = chain.back();
    chain.pop_back();
    FLEETPKI_RETURN_IF_ERROR(pki::verify_chain(authority_.crypto(), cert.der(), chain, {root},
                                               authority_.clock().now(), /*leaf_must_be_ca=*/true));
    ca.certificate_der = cert.der();
    ca.parent_id = parent->record.id;
    ca.status = "active";
  }
  FLEETPKI_RETURN_IF_ERROR(authority_.store().write([&](store::Transaction& tx) -> Status {
    FLEETPKI_TRY(ca.id, tx.insert_ca(ca));
    nlohmann::json details = {{"external", spec.external}, {"key_type", spec.key_type}, {"path_len", spec.path_len}};
    if (parent) details["parent"] = parent->record.name;
    if (ca.name_constraints_json) details["name_constraints"] = nlohmann::json::parse(*ca.name_constraints_json);
    return tx.append_audit(make_audit_event(who, ca.tenant_id, "ca.create", ca.name, call, details, now));
  }));
  authority_.invalidate_tenant(tenant);
  return ca;
}

Result<store::CaRecord> TenantAdmin::install_ca_certificate(const Principal& who, std::string_view tenant,
                                                            std::string_view name, std::string_view certificate_pem,
                                                            std::string_view chain_pem, const CallContext& call) {
  FLEETPKI_TRY(auto runtime, authorize(who, tenant, Permission::CaManage));
  if (certificate_pem.size() > kMaxPemInput || chain_pem.size() > kMaxPemInput) {
    return fail(Errc::InvalidArgument, "certificate and chain are limited to 64 KiB each");
  }
  FLEETPKI_TRY(auto ca, find_ca_record(authority_.store(), runtime->tenant.id, name));
  if (ca.status != "pending") {
    return fail(Errc::FailedPrecondition, "CA '" + std::string(name) + "' is not waiting for a certificate");
  }
  FLEETPKI_TRY(auto cert, pki::Certificate::from_pem(authority_.crypto(), certificate_pem));
  FLEETPKI_TRY(auto key, authority_.vault().open_signer(ca.key_ref));
  if (cert.public_key().spki_der != key->public_key_spki()) {
    return fail(Errc::InvalidArgument, "the certificate is not for this CA's key (its CSR)");
  }
  FLEETPKI_TRY(auto chain, pki::pem_decode_all(chain_pem, "CERTIFICATE"));
  if (chain.empty() || chain.size() > 8) {
    return fail(Errc::InvalidArgument, "chain must hold the issuing CA certificates up to the root (1..8)");
  }
  std::vector<Bytes> roots;
  std::vector<Bytes> intermediates;
  for (auto& der : chain) {
    (pki::is_self_signed(authority_.crypto(), der) ? roots : intermediates).push_back(std::move(der));
  }
  if (roots.size() != 1) return fail(Errc::InvalidArgument, "chain must end in exactly one self-signed root");
  FLEETPKI_RETURN_IF_ERROR(pki::verify_chain(authority_.crypto(), cert.der(), intermediates, roots,
                                             authority_.clock().now(), /*leaf_must_be_ca=*/true));
  std::string external_chain;
  for (const auto& der : intermediates) external_chain += pki::pem_encode(der, "CERTIFICATE");
  external_chain += pki::pem_encode(roots.front(), "CERTIFICATE");
  const std::int64_t now = to_unix(authority_.clock().now());
  FLEETPKI_RETURN_IF_ERROR(authority_.store().write([&](store::Transaction& tx) -> Status {
    FLEETPKI_RETURN_IF_ERROR(tx.update_ca(ca.tenant_id, ca.id, cert.der(), "active", external_chain));
    return tx.append_audit(make_audit_event(who, ca.tenant_id, "ca.install", ca.name, call,
                                            {{"subject", cert.subject_string()},
                                             {"sha256", sha256_hex(cert.der())}},
                                            now));
  }));
  authority_.invalidate_tenant(tenant);
  ca.certificate_der = cert.der();
  ca.status = "active";
  ca.external_chain_pem = external_chain;
  return ca;
}

Result<store::CaRecord> TenantAdmin::set_ca_status(const Principal& who, std::string_view tenant,
                                                   std::string_view name, bool disabled, const CallContext& call) {
  FLEETPKI_TRY(auto runtime, authorize(who, tenant, Permission::CaManage));
  FLEETPKI_TRY(auto ca, find_ca_record(authority_.store(), runtime->tenant.id, name));
  if (!ca.parent_id && !ca.external_chain_pem) {
    return fail(Errc::FailedPrecondition, "the root CA cannot be disabled");
  }
  if (ca.status == "pending") return fail(Errc::FailedPrecondition, "CA '" + ca.name + "' has no certificate yet");
  const std::string status = disabled ? "disabled" : "active";
  const std::int64_t now = to_unix(authority_.clock().now());
  FLEETPKI_RETURN_IF_ERROR(authority_.store().write([&](store::Transaction& tx) -> Status {
    FLEETPKI_RETURN_IF_ERROR(tx.update_ca(ca.tenant_id, ca.id, ca.certificate_der, status, ca.external_chain_pem));
    return tx.append_audit(make_audit_event(who, ca.tenant_id, disabled ? "ca.disable" : "ca.enable", ca.name, call,
                                            nlohmann::json::object(), now));
  }));
  authority_.invalidate_tenant(tenant);
  ca.status = status;
  return ca;
}

// ---- credentials -----------------------------------------------------------------------------------

Result<CreatedToken> TenantAdmin::create_token(const Principal& who, std::optional<std::string_view> tenant,
                                               const TokenSpec& spec, const CallContext& call) {
  std::optional<std::int64_t> tenant_id;
  if (tenant) {
    FLEETPKI_TRY(auto runtime, authorize(who, *tenant, Permission::TokenCreate));
    tenant_id = runtime->tenant.id;
  } else {
    FLEETPKI_RETURN_IF_ERROR(require_platform_admin(who));
  }
  const std::int64_t now = to_unix(authority_.clock().now());
  if (spec.expires_at && *spec.expires_at <= now) return fail(Errc::InvalidArgument, "expires_at must be in the future");
  FLEETPKI_TRY(auto issued, make_token(tenant_id, spec.role, now, spec.expires_at));
  FLEETPKI_RETURN_IF_ERROR(authority_.store().write([&](store::Transaction& tx) -> Status {
    FLEETPKI_RETURN_IF_ERROR(tx.insert_token(issued.record));
    nlohmann::json details = {{"role", issued.record.role}};
    if (spec.expires_at) details["expires_at"] = *spec.expires_at;
    return tx.append_audit(make_audit_event(who, tenant_id, "token.create", issued.record.id, call, details, now));
  }));
  return CreatedToken{std::move(issued.token), std::move(issued.record)};
}

Result<store::Page<store::TokenRecord>> TenantAdmin::list_tokens(const Principal& who, std::string_view tenant,
                                                                 std::int64_t after, int limit) {
  FLEETPKI_TRY(auto runtime, authorize(who, tenant, Permission::TokenRead));
  FLEETPKI_RETURN_IF_ERROR(check_limit(limit));
  return authority_.store().list_tokens(runtime->tenant.id, after, limit);
}

Status TenantAdmin::revoke_token(const Principal& who, std::string_view tenant, std::string_view token_id,
                                 const CallContext& call) {
  FLEETPKI_TRY(auto runtime, authorize(who, tenant, Permission::TokenRevoke));
  const std::int64_t now = to_unix(authority_.clock().now());
  return authority_.store().write([&](store::Transaction& tx) -> Status {
    FLEETPKI_RETURN_IF_ERROR(tx.revoke_token(runtime->tenant.id, token_id));
    return tx.append_audit(make_audit_event(who, runtime->tenant.id, "token.revoke", std::string(token_id), call,
                                            nlohmann::json::object(), now));
  });
}

Result<store::OperatorCertificateRecord> TenantAdmin::register_operator_certificate(
    const Principal& who, std::string_view tenant, std::string_view certificate_pem, Role role,
    const CallContext& call) {
  FLEETPKI_TRY(auto runtime, authorize(who, tenant, Permission::TokenCreate));
  if (certificate_pem.size() > kMaxPemInput) return fail(Errc::InvalidArgument, "certificate is limited to 64 KiB");
  if (role == Role::Enrollment) {
    return fail(Errc::InvalidArgument, "operator certificates take the roles admin, operator or auditor");
  }
  FLEETPKI_TRY(auto cert, pki::Certificate::from_pem(authority_.crypto(), certificate_pem));
  const std::int64_t now = to_unix(authority_.clock().now());
  if (to_unix(cert.not_after()) <= now) return fail(Errc::InvalidArgument, "the certificate has expired");
  if (cert.is_ca()) return fail(Errc::InvalidArgument, "a CA certificate cannot be an operator credential");
  store::OperatorCertificateRecord rec;
  rec.fingerprint = sha256_hex(cert.der());
  rec.tenant_id = runtime->tenant.id;
  rec.role = std::string(role_name(role));
  rec.subject = cert.subject_string();
  rec.not_after = to_unix(cert.not_after());
  rec.created_at = now;
  FLEETPKI_RETURN_IF_ERROR(authority_.store().write([&](store::Transaction& tx) -> Status {
    FLEETPKI_RETURN_IF_ERROR(tx.insert_operator_certificate(rec));
    return tx.append_audit(make_audit_event(who, rec.tenant_id, "operator-certificate.register", rec.fingerprint, call,
                                            {{"role", rec.role}, {"subject", rec.subject}}, now));
  }));
  return rec;
}

Result<store::Page<store::OperatorCertificateRecord>> TenantAdmin::list_operator_certificates(
    const Principal& who, std::string_view tenant, std::int64_t after, int limit) {
  FLEETPKI_TRY(auto runtime, authorize(who, tenant, Permission::TokenRead));
  FLEETPKI_RETURN_IF_ERROR(check_limit(limit));
  return authority_.store().list_operator_certificates(runtime->tenant.id, after, limit);
}

Status TenantAdmin::revoke_operator_certificate(const Principal& who, std::string_view tenant,
                                                std::string_view fingerprint, const CallContext& call) {
  FLEETPKI_TRY(auto runtime, authorize(who, tenant, Permission::TokenRevoke));
  const std::int64_t now = to_unix(authority_.clock().now());
  return authority_.store().write([&](store::Transaction& tx) -> Status {
    FLEETPKI_RETURN_IF_ERROR(tx.revoke_operator_certificate(runtime->tenant.id, fingerprint));
    return tx.append_audit(make_audit_event(who, runtime->tenant.id, "operator-certificate.revoke",
                                            std::string(fingerprint), call, nlohmann::json::object(), now));
  });
}

Result<Principal> TenantAdmin::authenticate_client_certificate(ByteView leaf_der) {
  const std::string fingerprint = sha256_hex(leaf_der);
  FLEETPKI_TRY(auto rec, authority_.store().find_operator_certificate(fingerprint));
  const std::int64_t now = to_unix(authority_.clock().now());
  if (!rec || rec->revoked || rec->not_after <= now) {
    return fail(Errc::Unauthenticated, "client certificate is not a registered operator credential");
  }
  auto cert = pki::Certificate::from_der(authority_.crypto(), leaf_der);
  if (!cert || to_unix(cert->not_before()) > now) {
    return fail(Errc::Unauthenticated, "client certificate is not a registered operator credential");
  }
  FLEETPKI_TRY(Role role, parse_role(rec->role));
  // The id names the credential in the audit trail: "cert:" + the first 16 hex of its SHA-256.
  return Principal{"cert:" + fingerprint.substr(0, 16), rec->tenant_id, role};
}

// ---- idempotency keys ------------------------------------------------------------------------------

Result<std::optional<store::IdempotencyRecord>> TenantAdmin::find_idempotency(std::string_view principal,
                                                                             std::string_view key) {
  return authority_.store().find_idempotency(principal, key);
}

Status TenantAdmin::remember_idempotency(const store::IdempotencyRecord& record) {
  return authority_.store().write([&](store::Transaction& tx) -> Status {
    // Keys live for a day; old ones are swept along with new ones, so the table stays small.
    FLEETPKI_RETURN_IF_ERROR(tx.delete_idempotency_before(record.created_at - 24 * 3600));
    return tx.insert_idempotency(record);
  });
}

}  // namespace fleetpki::authority
