// /api/v1/tenants/{tenant}/certificates: issue, get, list.
#include <charconv>

#include "common/time_format.h"
#include "server/api_v1/certificate_json.h"
#include "server/api_v1/handlers.h"
#include "server/api_v1/request_helpers.h"

namespace fleetpki::server::api_v1 {
namespace {

using nlohmann::json;

Result<store::CertificateFilter> parse_filter(const Request& request) {
  store::CertificateFilter filter;
  for (const auto& [key, value] : request.query) {
    if (key == "status") {
      filter.status = value;
    } else if (key == "expires_before") {
      auto t = parse_timestamp(value);
      if (!t) return fail(Errc::InvalidArgument, "expires_before must be an RFC 3339 time or Unix seconds");
      filter.expires_before = *t;
    } else if (key == "profile") {
      filter.profile = value;
    } else if (key == "limit") {
      FLEETPKI_TRY(filter.limit, parse_limit(value));
    } else if (key == "cursor") {
      FLEETPKI_TRY(filter.after_id, decode_cursor(value));
    } else {
      return fail(Errc::InvalidArgument, "unknown query parameter '" + key + "'");
    }
  }
  return filter;
}

Response issue(authority::Authority& authority, Request& request) {
  auto result = [&]() -> Result<authority::IssuedCertificate> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto body, json_object_body(request));
    FLEETPKI_RETURN_IF_ERROR(only_fields(body, {"profile", "csr", "device"}));
    authority::IssueRequest issue;
    issue.tenant = request.path_params["tenant"];
    FLEETPKI_TRY(issue.profile, string_field(body, "profile"));
    FLEETPKI_TRY(issue.csr_pem, string_field(body, "csr"));
    if (body.contains("device")) {
      FLEETPKI_TRY(issue.device, string_field(body, "device"));
    }
    return authority.issue(who, issue, {request.request_id});
  }();
  if (!result) return error_response(result.error(), request);
  Response r = json_response(201, issued_json(*result));
  r.headers.emplace_back("Location", "/api/v1/tenants/" + request.path_params["tenant"] + "/certificates/" +
                                         result->record.serial_hex);
  return r;
}

Response get_one(authority::Authority& authority, Request& request) {
  auto result = [&]() -> Result<store::CertificateRecord> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    return authority.get_certificate(who, request.path_params["tenant"], request.path_params["serial"]);
  }();
  if (!result) return error_response(result.error(), request);
  return json_response(200, certificate_json(*result, true));
}

Response list(authority::Authority& authority, Request& request) {
  auto result = [&]() -> Result<store::CertificatePage> {
    FLEETPKI_TRY(auto who, authenticate(authority, request));
    FLEETPKI_TRY(auto filter, parse_filter(request));
    return authority.list_certificates(who, request.path_params["tenant"], filter);
  }();
  if (!result) return error_response(result.error(), request);
  json items = json::array();
  for (const auto& rec : result->items) items.push_back(certificate_json(rec, false));
  json next = result->next_after_id ? json(encode_cursor(*result->next_after_id)) : json(nullptr);
  return json_response(200, {{"items", std::move(items)}, {"next_cursor", std::move(next)}});
}

}  // namespace

void register_certificate_routes(Router& https, authority::Authority& authority) {
  const std::string base = "/api/v1/tenants/{tenant}/certificates";
  https.add("POST", base, [&authority](Request& r) { return issue(authority, r); });
  https.add("GET", base, [&authority](Request& r) { return list(authority, r); });
  https.add("GET", base + "/{serial}", [&authority](Request& r) { return get_one(authority, r); });
}

}  // namespace fleetpki::server::api_v1
