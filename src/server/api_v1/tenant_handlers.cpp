// REST v1 routes for tenants, their CAs, tokens and operator certificates.
#include <nlohmann/json.hpp>

#include "authority/tenant_admin.h"
#include "common/time_format.h"
#include "pki/pem.h"
#include "server/api_v1/handlers.h"
#include "server/api_v1/request_helpers.h"

namespace fleetpki::server::api_v1 {
namespace {

using nlohmann::json;
using authority::Authority;

json tenant_json(const store::TenantRecord& t) {
  return {{"name", t.name}, {"created_at", format_rfc3339(t.created_at)}, {"disabled", t.disabled}};
}

json ca_json(const store::CaRecord& ca) {
  json j = {{"name", ca.name}, {"status", ca.status}, {"created_at", format_rfc3339(ca.created_at)},
            {"external", ca.external_chain_pem.has_value() || !ca.csr_der.empty()}};
  if (!ca.certificate_der.empty()) j["certificate"] = pki::pem_encode(ca.certificate_der, "CERTIFICATE");
  if (!ca.csr_der.empty()) j["csr"] = pki::pem_encode(ca.csr_der, "CERTIFICATE REQUEST");
  if (ca.name_constraints_json) j["name_constraints"] = json::parse(*ca.name_constraints_json);
  return j;
}

json token_json(const store::TokenRecord& t) {
  json j = {{"id", t.id}, {"role", t.role}, {"created_at", format_rfc3339(t.created_at)}, {"revoked", t.revoked}};
  j["expires_at"] = t.expires_at ? json(format_rfc3339(*t.expires_at)) : json(nullptr);
  return j;
}

json operator_certificate_json(const store::OperatorCertificateRecord& r) {
  return {{"fingerprint", r.fingerprint}, {"role", r.role}, {"subject", r.subject},
          {"not_after", format_rfc3339(r.not_after)}, {"created_at", format_rfc3339(r.created_at)},
          {"revoked", r.revoked}};
}

template <class Record, class ToJson>
json page_json(const store::Page<Record>& page, ToJson to_json) {
  json items = json::array();
  for (const auto& r : page.items) items.push_back(to_json(r));
  return {{"items", std::move(items)}, {"next_cursor", next_cursor_json(page.next_after)}};
}

/// Runs `body` (which returns Result<json>) and answers `status` with its JSON, or the problem.
template <class Body>
Response answer(Request& request, int status, Body body) {
  auto result = body();
  if (!result) return error_response(result.error(), request);
  return json_response(status, *result);
}

std::string tenant_of(Request& r) { return r.path_params["tenant"]; }

// ---- tenants ------------------------------------------------------------------------------------

Response create_tenant(Authority& authority, Request& request) {
  return answer(request, 201, [&]() -> Result<json> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto body, json_object_body(request));
    FLEETPKI_RETURN_IF_ERROR(only_fields(body, {"name"}));
    FLEETPKI_TRY(auto name, string_field(body, "name"));
    FLEETPKI_TRY(auto tenant, authority.tenant_admin().create_tenant(who, name, {request.request_id}));
    return tenant_json(tenant);
  });
}

Response list_tenants(Authority& authority, Request& request) {
  return answer(request, 200, [&]() -> Result<json> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto page, page_params(request));
    FLEETPKI_TRY(auto tenants, authority.tenant_admin().list_tenants(who, page.after, page.limit));
    return page_json(tenants, tenant_json);
  });
}

Response get_tenant(Authority& authority, Request& request) {
  return answer(request, 200, [&]() -> Result<json> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto tenant, authority.tenant_admin().get_tenant(who, tenant_of(request)));
    return tenant_json(tenant);
  });
}

Response set_tenant_disabled(Authority& authority, Request& request, bool disabled) {
  return answer(request, 200, [&]() -> Result<json> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto tenant, authority.tenant_admin().set_tenant_disabled(who, tenant_of(request), disabled,
                                                                          {request.request_id}));
    return tenant_json(tenant);
  });
}

// ---- CAs ----------------------------------------------------------------------------------------

Response list_cas(Authority& authority, Request& request) {
  return answer(request, 200, [&]() -> Result<json> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto page, page_params(request));
    FLEETPKI_TRY(auto cas, authority.tenant_admin().list_cas(who, tenant_of(request)));
    // A tenant has a handful of CAs: paged here, in id order, like every other list.
    store::Page<store::CaRecord> out;
    for (auto& ca : cas) {
      if (ca.id <= page.after) continue;
      if (static_cast<int>(out.items.size()) == page.limit) {
        out.next_after = out.items.back().id;
        break;
      }
      out.items.push_back(std::move(ca));
    }
    return page_json(out, ca_json);
  });
}

Response get_ca(Authority& authority, Request& request) {
  return answer(request, 200, [&]() -> Result<json> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto ca, authority.tenant_admin().get_ca(who, tenant_of(request), request.path_params["ca"]));
    return ca_json(ca);
  });
}

Result<authority::CaSpec> ca_spec(const json& body) {
  FLEETPKI_RETURN_IF_ERROR(only_fields(body, {"name", "external", "parent", "key_type", "common_name", "organization",
                                              "validity_days", "path_len", "name_constraints"}));
  authority::CaSpec spec;
  FLEETPKI_TRY(spec.name, string_field(body, "name"));
  if (body.contains("external")) {
    if (!body["external"].is_boolean()) return fail(Errc::InvalidArgument, "field 'external' must be a boolean");
    spec.external = body["external"].get<bool>();
  }
  FLEETPKI_TRY(auto parent, optional_string_field(body, "parent"));
  if (parent) {
    if (spec.external) return fail(Errc::InvalidArgument, "an external CA has no parent here: its CSR is signed elsewhere");
    spec.parent = *parent;
  }
  FLEETPKI_TRY(auto key_type, optional_string_field(body, "key_type"));
  if (key_type) spec.key_type = *key_type;
  FLEETPKI_TRY(auto cn, optional_string_field(body, "common_name"));
  if (cn) spec.common_name = *cn;
  FLEETPKI_TRY(auto org, optional_string_field(body, "organization"));
  if (org) spec.organization = *org;
  FLEETPKI_TRY(auto days, optional_integer_field(body, "validity_days", 1, 30 * 365));
  if (days) spec.validity_days = static_cast<int>(*days);
  FLEETPKI_TRY(auto path_len, optional_integer_field(body, "path_len", 0, 8));
  if (path_len) spec.path_len = static_cast<int>(*path_len);
  if (body.contains("name_constraints")) {
    FLEETPKI_TRY(spec.name_constraints, authority::name_constraints_from_json(body["name_constraints"].dump()));
  }
  return spec;
}

Response create_ca(Authority& authority, Request& request) {
  return answer(request, 201, [&]() -> Result<json> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto body, json_object_body(request));
    FLEETPKI_TRY(auto spec, ca_spec(body));
    FLEETPKI_TRY(auto ca, authority.tenant_admin().create_ca(who, tenant_of(request), spec, {request.request_id}));
    return ca_json(ca);
  });
}

Response install_ca_certificate(Authority& authority, Request& request) {
  return answer(request, 200, [&]() -> Result<json> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto body, json_object_body(request));
    FLEETPKI_RETURN_IF_ERROR(only_fields(body, {"certificate", "chain"}));
    FLEETPKI_TRY(auto certificate, string_field(body, "certificate"));
    FLEETPKI_TRY(auto chain, string_field(body, "chain"));
    FLEETPKI_TRY(auto ca, authority.tenant_admin().install_ca_certificate(
                              who, tenant_of(request), request.path_params["ca"], certificate, chain,
                              {request.request_id}));
    return ca_json(ca);
  });
}

Response set_ca_disabled(Authority& authority, Request& request, bool disabled) {
  return answer(request, 200, [&]() -> Result<json> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto ca, authority.tenant_admin().set_ca_status(who, tenant_of(request), request.path_params["ca"],
                                                                 disabled, {request.request_id}));
    return ca_json(ca);
  });
}

// ---- tokens and operator certificates -------------------------------------------------------------

Response create_token(Authority& authority, Request& request) {
  return answer(request, 201, [&]() -> Result<json> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto body, json_object_body(request));
    FLEETPKI_RETURN_IF_ERROR(only_fields(body, {"role", "expires_in"}));
    FLEETPKI_TRY(auto role_name, string_field(body, "role"));
    FLEETPKI_TRY(auto role, authority::parse_role(role_name));
    // Lifetime in seconds: one minute to ten years.
    FLEETPKI_TRY(auto expires_in, optional_integer_field(body, "expires_in", 60, 10LL * 366 * 86400));
    authority::TokenSpec spec{role, std::nullopt};
    if (expires_in) spec.expires_at = to_unix(authority.clock().now()) + *expires_in;
    FLEETPKI_TRY(auto created, authority.tenant_admin().create_token(who, tenant_of(request), spec,
                                                                     {request.request_id}));
    json j = token_json(created.record);
    j["token"] = created.token;
    return j;
  });
}

Response list_tokens(Authority& authority, Request& request) {
  return answer(request, 200, [&]() -> Result<json> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto page, page_params(request));
    FLEETPKI_TRY(auto tokens, authority.tenant_admin().list_tokens(who, tenant_of(request), page.after, page.limit));
    return page_json(tokens, token_json);
  });
}

Response revoke_token(Authority& authority, Request& request) {
  return answer(request, 200, [&]() -> Result<json> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    const std::string id = request.path_params["id"];
    FLEETPKI_RETURN_IF_ERROR(authority.tenant_admin().revoke_token(who, tenant_of(request), id, {request.request_id}));
    return json{{"id", id}, {"revoked", true}};
  });
}

Response register_operator_certificate(Authority& authority, Request& request) {
  return answer(request, 201, [&]() -> Result<json> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto body, json_object_body(request));
    FLEETPKI_RETURN_IF_ERROR(only_fields(body, {"certificate", "role"}));
    FLEETPKI_TRY(auto pem, string_field(body, "certificate"));
    FLEETPKI_TRY(auto role_name, string_field(body, "role"));
    FLEETPKI_TRY(auto role, authority::parse_role(role_name));
    FLEETPKI_TRY(auto rec, authority.tenant_admin().register_operator_certificate(who, tenant_of(request), pem, role,
                                                                                  {request.request_id}));
    return operator_certificate_json(rec);
  });
}

Response list_operator_certificates(Authority& authority, Request& request) {
  return answer(request, 200, [&]() -> Result<json> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto page, page_params(request));
    FLEETPKI_TRY(auto certs, authority.tenant_admin().list_operator_certificates(who, tenant_of(request), page.after,
                                                                                 page.limit));
    return page_json(certs, operator_certificate_json);
  });
}

Response revoke_operator_certificate(Authority& authority, Request& request) {
  return answer(request, 200, [&]() -> Result<json> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    const std::string fingerprint = request.path_params["fingerprint"];
    FLEETPKI_RETURN_IF_ERROR(authority.tenant_admin().revoke_operator_certificate(who, tenant_of(request), fingerprint,
                                                                                  {request.request_id}));
    return json{{"fingerprint", fingerprint}, {"revoked", true}};
  });
}

}  // namespace

void register_tenant_routes(Router& https, authority::Authority& authority) {
  auto& a = authority;
  const std::string tenants = "/api/v1/tenants";
  const std::string one = tenants + "/{tenant}";
  https.add("POST", tenants, [&a](Request& r) { return create_tenant(a, r); });
  https.add("GET", tenants, [&a](Request& r) { return list_tenants(a, r); });
  https.add("GET", one, [&a](Request& r) { return get_tenant(a, r); });
  https.add("POST", one + "/disable", [&a](Request& r) { return set_tenant_disabled(a, r, true); });
  https.add("POST", one + "/enable", [&a](Request& r) { return set_tenant_disabled(a, r, false); });

  https.add("GET", one + "/cas", [&a](Request& r) { return list_cas(a, r); });
  https.add("POST", one + "/cas", [&a](Request& r) { return create_ca(a, r); });
  https.add("GET", one + "/cas/{ca}", [&a](Request& r) { return get_ca(a, r); });
  https.add("POST", one + "/cas/{ca}/certificate", [&a](Request& r) { return install_ca_certificate(a, r); });
  https.add("POST", one + "/cas/{ca}/disable", [&a](Request& r) { return set_ca_disabled(a, r, true); });
  https.add("POST", one + "/cas/{ca}/enable", [&a](Request& r) { return set_ca_disabled(a, r, false); });

  https.add("POST", one + "/tokens", [&a](Request& r) { return create_token(a, r); });
  https.add("GET", one + "/tokens", [&a](Request& r) { return list_tokens(a, r); });
  https.add("POST", one + "/tokens/{id}/revoke", [&a](Request& r) { return revoke_token(a, r); });

  https.add("POST", one + "/operator-certificates", [&a](Request& r) { return register_operator_certificate(a, r); });
  https.add("GET", one + "/operator-certificates", [&a](Request& r) { return list_operator_certificates(a, r); });
  https.add("POST", one + "/operator-certificates/{fingerprint}/revoke",
            [&a](Request& r) { return revoke_operator_certificate(a, r); });
}

}  // namespace fleetpki::server::api_v1
