// Health, the OpenAPI document, and CA certificates for AIA caIssuers.
#include "server/api_v1/api_v1.h"
#include "server/api_v1/handlers.h"
#include "server/api_v1/request_helpers.h"
#include "server/problem_json.h"

namespace fleetpki::server::api_v1 {
namespace {

Response health(const Request&) { return json_response(200, {{"status", "ok"}}); }

Response openapi(const Request&) {
  Response r;
  r.content_type = "application/json";
  r.body = std::string(openapi_document());
  return r;
}

/// GET /ca/{tenant}/{file}: file is "<ca>.crt" (DER, application/pkix-cert; RFC 5280 §4.2.2.1).
Response ca_certificate(authority::Authority& authority, Request& request) {
  std::string file = request.path_params["file"];
  constexpr std::string_view kSuffix = ".crt";
  if (file.size() <= kSuffix.size() || file.compare(file.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
    return problem(404, "not found", request.request_id);
  }
  auto der = authority.ca_certificate_der(request.path_params["tenant"], file.substr(0, file.size() - kSuffix.size()));
  if (!der) return error_response(der.error(), request);
  Response r;
  r.content_type = "application/pkix-cert";
  r.body.assign(der->begin(), der->end());
  r.headers.emplace_back("Cache-Control", "public, max-age=86400");
  return r;
}

}  // namespace

void register_system_routes(Router& https, Router& http, authority::Authority& authority) {
  https.add("GET", "/api/v1/health", health);
  http.add("GET", "/api/v1/health", health);
  https.add("GET", "/api/v1/openapi.json", openapi);
  http.add("GET", "/ca/{tenant}/{file}", [&authority](Request& r) { return ca_certificate(authority, r); });
}

}  // namespace fleetpki::server::api_v1
