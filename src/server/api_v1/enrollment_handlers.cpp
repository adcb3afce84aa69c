// REST v1 routes for EST enrollment administration (issue #5): enrollment endpoints, enrollments
// held for approval, device one-time passwords and renewal grants. Thin: authenticate, parse,
// call Authority::enrollment_admin() (which authorizes and audits), render.
#include <charconv>
#include <chrono>

#include "authority/enrollment_admin.h"
#include "common/time_format.h"
#include "server/api_v1/enrollment_json.h"
#include "server/api_v1/handlers.h"
#include "server/api_v1/request_helpers.h"

namespace fleetpki::server::api_v1 {
namespace {

using nlohmann::json;

constexpr std::int64_t kDefaultOtpSeconds = 86400;            // one day
constexpr std::int64_t kDefaultGrantSeconds = 7 * 86400;      // one week
const std::int64_t kMaxCredentialSeconds = authority::kMaxEnrollmentCredentialTtl.count();

Result<json> optional_object_body(const Request& request) {
  if (request.body.empty()) return json::object();
  return json_object_body(request);
}

/// The policy of a POST/PUT body: every member but "label" is an EndpointSpec field (unknown ones
/// are refused by EndpointSpec::from_json, which names the field).
Result<authority::EndpointSpec> spec_of(json body) {
  body.erase("label");
  return authority::EndpointSpec::from_json(body.dump());
}

/// A request id path segment; anything but a positive decimal integer is an unknown request.
Result<std::int64_t> request_id(const Request& request) {
  const std::string& text = request.path_params.at("id");
  std::int64_t id = 0;
  if (text.empty() || text.size() > 18 || text[0] == '0' ||
      std::from_chars(text.data(), text.data() + text.size(), id).ptr != text.data() + text.size() || id < 1) {
    return fail(Errc::NotFound, "enrollment request '" + text + "' not found");
  }
  return id;
}

authority::EnrollmentAdmin& admin(authority::Authority& authority) { return authority.enrollment_admin(); }

// ---- endpoints ------------------------------------------------------------------------------------

Response create_endpoint(authority::Authority& authority, Request& request) {
  const std::string& tenant = request.path_params["tenant"];
  auto result = [&]() -> Result<authority::EndpointView> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto body, json_object_body(request));
    FLEETPKI_TRY(auto label, string_field(body, "label"));
    FLEETPKI_TRY(auto spec, spec_of(std::move(body)));
    return admin(authority).create_endpoint(who, tenant, label, spec, {request.request_id});
  }();
  if (!result) return error_response(result.error(), request);
  Response r = json_response(201, endpoint_json(*result, tenant));
  r.headers.emplace_back("Location", "/api/v1/tenants/" + tenant + "/enrollment-endpoints/" + result->record.label);
  return r;
}

Response list_endpoints(authority::Authority& authority, Request& request) {
  const std::string& tenant = request.path_params["tenant"];
  auto result = [&]() -> Result<store::Page<authority::EndpointView>> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto page, page_params(request));
    return admin(authority).list_endpoints(who, tenant, page.after, page.limit);
  }();
  if (!result) return error_response(result.error(), request);
  json items = json::array();
  for (const auto& view : result->items) items.push_back(endpoint_json(view, tenant));
  return json_response(200, {{"items", std::move(items)}, {"next_cursor", next_cursor_json(result->next_after)}});
}

Response get_endpoint(authority::Authority& authority, Request& request) {
  const std::string& tenant = request.path_params["tenant"];
  auto result = [&]() -> Result<authority::EndpointView> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    return admin(authority).get_endpoint(who, tenant, request.path_params["label"]);
  }();
  if (!result) return error_response(result.error(), request);
  return json_response(200, endpoint_json(*result, tenant));
}

Response update_endpoint(authority::Authority& authority, Request& request) {
  const std::string& tenant = request.path_params["tenant"];
  const std::string& label = request.path_params["label"];
  auto result = [&]() -> Result<authority::EndpointView> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto body, json_object_body(request));
    // The label is the resource's name: it may be repeated, not changed.
    FLEETPKI_TRY(auto named, optional_string_field(body, "label"));
    if (named && *named != label) {
      return fail(Errc::InvalidArgument, "field 'label' cannot change (create a new endpoint instead)");
    }
    FLEETPKI_TRY(auto spec, spec_of(std::move(body)));
    return admin(authority).update_endpoint(who, tenant, label, spec, {request.request_id});
  }();
  if (!result) return error_response(result.error(), request);
  return json_response(200, endpoint_json(*result, tenant));
}

Response set_disabled(authority::Authority& authority, Request& request, bool disabled) {
  const std::string& tenant = request.path_params["tenant"];
  auto result = [&]() -> Result<authority::EndpointView> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto body, optional_object_body(request));
    FLEETPKI_RETURN_IF_ERROR(only_fields(body, {}));
    return admin(authority).set_endpoint_disabled(who, tenant, request.path_params["label"], disabled,
                                                  {request.request_id});
  }();
  if (!result) return error_response(result.error(), request);
  return json_response(200, endpoint_json(*result, tenant));
}

// ---- held enrollments -----------------------------------------------------------------------------

Response list_requests(authority::Authority& authority, Request& request) {
  auto result = [&]() -> Result<store::Page<store::EnrollmentRequestRecord>> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto page, page_params(request, {"state"}));
    std::optional<std::string> state;
    if (auto it = request.query.find("state"); it != request.query.end()) state = it->second;
    return admin(authority).list_requests(who, request.path_params["tenant"], state, page.after, page.limit);
  }();
  if (!result) return error_response(result.error(), request);
  json items = json::array();
  for (const auto& r : result->items) items.push_back(enrollment_request_json(r));
  return json_response(200, {{"items", std::move(items)}, {"next_cursor", next_cursor_json(result->next_after)}});
}

Response get_request(authority::Authority& authority, Request& request) {
  auto result = [&]() -> Result<store::EnrollmentRequestRecord> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto id, request_id(request));
    return admin(authority).get_request(who, request.path_params["tenant"], id);
  }();
  if (!result) return error_response(result.error(), request);
  return json_response(200, enrollment_request_json(*result));
}

Response approve_request(authority::Authority& authority, Request& request) {
  auto result = [&]() -> Result<store::EnrollmentRequestRecord> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto body, optional_object_body(request));
    FLEETPKI_RETURN_IF_ERROR(only_fields(body, {}));
    FLEETPKI_TRY(auto id, request_id(request));
    return admin(authority).approve_request(who, request.path_params["tenant"], id, {request.request_id});
  }();
  if (!result) return error_response(result.error(), request);
  return json_response(200, enrollment_request_json(*result));
}

Response reject_request(authority::Authority& authority, Request& request) {
  auto result = [&]() -> Result<store::EnrollmentRequestRecord> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto body, optional_object_body(request));
    FLEETPKI_RETURN_IF_ERROR(only_fields(body, {"reason"}));
    FLEETPKI_TRY(auto reason, optional_string_field(body, "reason"));
    FLEETPKI_TRY(auto id, request_id(request));
    return admin(authority).reject_request(who, request.path_params["tenant"], id, reason.value_or(""),
                                           {request.request_id});
  }();
  if (!result) return error_response(result.error(), request);
  return json_response(200, enrollment_request_json(*result));
}

// ---- device credentials ---------------------------------------------------------------------------

/// `{"expires_in": seconds}` (optional; 1 s .. 30 days).
Result<std::chrono::seconds> ttl_of(const Request& request, std::int64_t default_seconds) {
  FLEETPKI_TRY(auto body, optional_object_body(request));
  FLEETPKI_RETURN_IF_ERROR(only_fields(body, {"expires_in"}));
  FLEETPKI_TRY(auto seconds, optional_integer_field(body, "expires_in", 1, kMaxCredentialSeconds));
  return std::chrono::seconds(seconds.value_or(default_seconds));
}

Response create_otp(authority::Authority& authority, Request& request) {
  auto result = [&]() -> Result<authority::CreatedOtp> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto ttl, ttl_of(request, kDefaultOtpSeconds));
    return admin(authority).create_otp(who, request.path_params["tenant"], request.path_params["serial"], ttl,
                                       {request.request_id});
  }();
  if (!result) return error_response(result.error(), request);
  // Shown once: the only copy of the password (the store keeps its SHA-256). Never logged.
  Response r = json_response(201, {{"device_serial", result->record.device_serial},
                                   {"otp", result->otp},
                                   {"created_at", format_rfc3339(result->record.created_at)},
                                   {"expires_at", format_rfc3339(result->record.expires_at)}});
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

Response grant_renewal(authority::Authority& authority, Request& request) {
  auto result = [&]() -> Result<store::RenewalGrantRecord> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto ttl, ttl_of(request, kDefaultGrantSeconds));
    return admin(authority).grant_renewal(who, request.path_params["tenant"], request.path_params["serial"], ttl,
                                          {request.request_id});
  }();
  if (!result) return error_response(result.error(), request);
  return json_response(201, {{"device_serial", result->device_serial},
                             {"created_at", format_rfc3339(result->created_at)},
                             {"expires_at", format_rfc3339(result->expires_at)}});
}

// ---- CRLs of outside trust anchors -----------------------------------------------------------------

Response list_crls(authority::Authority& authority, Request& request) {
  auto result = [&]() -> Result<std::vector<authority::EndpointCrlView>> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    return admin(authority).list_endpoint_crls(who, request.path_params["tenant"], request.path_params["label"]);
  }();
  if (!result) return error_response(result.error(), request);
  json items = json::array();
  for (const auto& view : *result) items.push_back(endpoint_crl_json(view));
  return json_response(200, {{"items", std::move(items)}});
}

Response put_crl(authority::Authority& authority, Request& request) {
  auto result = [&]() -> Result<authority::EndpointCrlView> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto body, json_object_body(request));
    FLEETPKI_RETURN_IF_ERROR(only_fields(body, {"crl"}));
    FLEETPKI_TRY(auto crl, string_field(body, "crl"));  // PEM "X509 CRL"; decoded after authorization
    return admin(authority).put_endpoint_crl(who, request.path_params["tenant"], request.path_params["label"],
                                             as_bytes(crl), {request.request_id});
  }();
  if (!result) return error_response(result.error(), request);
  return json_response(result->changed ? 201 : 200, endpoint_crl_json(*result));
}

}  // namespace

void register_enrollment_routes(Router& https, authority::Authority& authority) {
  const std::string endpoints = "/api/v1/tenants/{tenant}/enrollment-endpoints";
  https.add("GET", endpoints, [&authority](Request& r) { return list_endpoints(authority, r); });
  https.add("POST", endpoints, [&authority](Request& r) { return create_endpoint(authority, r); });
  https.add("GET", endpoints + "/{label}", [&authority](Request& r) { return get_endpoint(authority, r); });
  https.add("PUT", endpoints + "/{label}", [&authority](Request& r) { return update_endpoint(authority, r); });
  for (bool disabled : {true, false}) {
    https.add("POST", endpoints + "/{label}/" + (disabled ? "disable" : "enable"),
              [&authority, disabled](Request& r) { return set_disabled(authority, r, disabled); });
  }
  https.add("GET", endpoints + "/{label}/crls", [&authority](Request& r) { return list_crls(authority, r); });
  https.add("POST", endpoints + "/{label}/crls", [&authority](Request& r) { return put_crl(authority, r); });

  const std::string requests = "/api/v1/tenants/{tenant}/enrollment-requests";
  https.add("GET", requests, [&authority](Request& r) { return list_requests(authority, r); });
  https.add("GET", requests + "/{id}", [&authority](Request& r) { return get_request(authority, r); });
  https.add("POST", requests + "/{id}/approve", [&authority](Request& r) { return approve_request(authority, r); });
  https.add("POST", requests + "/{id}/reject", [&authority](Request& r) { return reject_request(authority, r); });

  const std::string device = "/api/v1/tenants/{tenant}/devices/{serial}";
  https.add("POST", device + "/enrollment-otp", [&authority](Request& r) { return create_otp(authority, r); });
  https.add("POST", device + "/renewal-grant", [&authority](Request& r) { return grant_renewal(authority, r); });
}

}  // namespace fleetpki::server::api_v1
