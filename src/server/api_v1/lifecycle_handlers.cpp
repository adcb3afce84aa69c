// Certificate lifecycle routes: revoke, suspend, reactivate, renew, re-key, revoke-by-query.
#include <charconv>

#include "common/time_format.h"
#include "pki/crl.h"
#include "server/api_v1/certificate_json.h"
#include "server/api_v1/handlers.h"
#include "server/api_v1/request_helpers.h"

namespace fleetpki::server::api_v1 {
namespace {

using nlohmann::json;

/// "reason": an RFC 5280 name ("keyCompromise") or its number; absent = unspecified.
Result<pki::CrlReason> reason_field(const json& body) {
  if (!body.contains("reason")) return pki::CrlReason::Unspecified;
  const json& r = body["reason"];
  if (r.is_string()) return pki::parse_crl_reason(r.get<std::string>());
  if (r.is_number_integer()) return pki::parse_crl_reason(std::to_string(r.get<std::int64_t>()));
  return fail(Errc::InvalidArgument, "reason must be an RFC 5280 reason name or number");
}

/// An optional time member: RFC 3339 text or Unix seconds.
Result<std::optional<std::int64_t>> time_field(const json& body, const char* name) {
  if (!body.contains(name)) return std::optional<std::int64_t>{};
  const json& v = body[name];
  std::optional<std::int64_t> t;
  if (v.is_string()) t = parse_timestamp(v.get<std::string>());
  if (v.is_number_integer()) t = v.get<std::int64_t>();
  if (!t) return fail(Errc::InvalidArgument, std::string(name) + " must be an RFC 3339 time or Unix seconds");
  return t;
}

/// The body of a lifecycle POST: an object, possibly empty (curl -X POST sends none).
Result<json> optional_object_body(const Request& request) {
  if (request.body.empty()) return json::object();
  return json_object_body(request);
}

Response status_change(authority::Authority& authority, Request& request, std::string_view action) {
  auto result = [&]() -> Result<store::CertificateRecord> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto body, optional_object_body(request));
    const auto& tenant = request.path_params["tenant"];
    const auto& serial = request.path_params["serial"];
    if (action == "revoke") {
      FLEETPKI_RETURN_IF_ERROR(only_fields(body, {"reason", "invalidity_date"}));
      FLEETPKI_TRY(auto reason, reason_field(body));
      FLEETPKI_TRY(auto invalidity, time_field(body, "invalidity_date"));
      std::optional<TimePoint> invalidity_date;
      if (invalidity) invalidity_date = from_unix(*invalidity);
      return authority.revoke(who, tenant, serial, reason, invalidity_date, {request.request_id});
    }
    FLEETPKI_RETURN_IF_ERROR(only_fields(body, {}));
    if (action == "suspend") return authority.suspend(who, tenant, serial, {request.request_id});
    return authority.reactivate(who, tenant, serial, {request.request_id});
  }();
  if (!result) return error_response(result.error(), request);
  return json_response(200, certificate_json(*result, false));
}

Response reissue(authority::Authority& authority, Request& request, bool rekey) {
  auto result = [&]() -> Result<authority::IssuedCertificate> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto body, optional_object_body(request));
    const auto& tenant = request.path_params["tenant"];
    const auto& serial = request.path_params["serial"];
    if (!rekey) {
      FLEETPKI_RETURN_IF_ERROR(only_fields(body, {}));
      return authority.renew(who, tenant, serial, {request.request_id});
    }
    FLEETPKI_RETURN_IF_ERROR(only_fields(body, {"csr"}));
    FLEETPKI_TRY(auto csr, string_field(body, "csr"));
    return authority.rekey(who, tenant, serial, csr, {request.request_id});
  }();
  if (!result) return error_response(result.error(), request);
  json j = issued_json(*result);
  j["renewal_of"] = request.path_params["serial"];
  Response r = json_response(201, j);
  r.headers.emplace_back("Location", "/api/v1/tenants/" + request.path_params["tenant"] + "/certificates/" +
                                         result->record.serial_hex);
  return r;
}

Response start_bulk_revocation(authority::Authority& authority, Request& request) {
  auto result = [&]() -> Result<store::BulkJobRecord> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto body, json_object_body(request));
    FLEETPKI_RETURN_IF_ERROR(only_fields(body, {"profile", "ca", "issued_from", "issued_to", "reason"}));
    authority::BulkRevokeQuery query;
    for (const char* name : {"profile", "ca"}) {
      if (!body.contains(name)) continue;
      FLEETPKI_TRY(auto value, string_field(body, name));
      (std::string_view(name) == "profile" ? query.profile : query.ca) = std::move(value);
    }
    FLEETPKI_TRY(query.issued_from, time_field(body, "issued_from"));
    FLEETPKI_TRY(query.issued_to, time_field(body, "issued_to"));
    FLEETPKI_TRY(auto reason, reason_field(body));
    return authority.start_bulk_revoke(who, request.path_params["tenant"], query, reason, {request.request_id});
  }();
  if (!result) return error_response(result.error(), request);
  Response r = json_response(202, bulk_job_json(*result));
  r.headers.emplace_back("Location", "/api/v1/tenants/" + request.path_params["tenant"] + "/bulk-revocations/" +
                                         std::to_string(result->id));
  return r;
}

Response get_bulk_revocation(authority::Authority& authority, Request& request) {
  auto result = [&]() -> Result<store::BulkJobRecord> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    const std::string& id_text = request.path_params["id"];
    std::int64_t id = 0;
    auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
    if (ec != std::errc() || end != id_text.data() + id_text.size() || id <= 0) {
      return fail(Errc::NotFound, "bulk job '" + id_text + "' not found");
    }
    return authority.get_bulk_job(who, request.path_params["tenant"], id);
  }();
  if (!result) return error_response(result.error(), request);
  return json_response(200, bulk_job_json(*result));
}

}  // namespace

void register_lifecycle_routes(Router& https, authority::Authority& authority) {
  const std::string one = "/api/v1/tenants/{tenant}/certificates/{serial}";
  for (const char* action : {"revoke", "suspend", "reactivate"}) {
    https.add("POST", one + "/" + action,
              [&authority, action](Request& r) { return status_change(authority, r, action); });
  }
  https.add("POST", one + "/renew", [&authority](Request& r) { return reissue(authority, r, false); });
  https.add("POST", one + "/rekey", [&authority](Request& r) { return reissue(authority, r, true); });
  const std::string bulk = "/api/v1/tenants/{tenant}/bulk-revocations";
  https.add("POST", bulk, [&authority](Request& r) { return start_bulk_revocation(authority, r); });
  https.add("GET", bulk + "/{id}", [&authority](Request& r) { return get_bulk_revocation(authority, r); });
}

}  // namespace fleetpki::server::api_v1
