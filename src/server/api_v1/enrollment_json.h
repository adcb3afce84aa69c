// JSON views of EST enrollment endpoints and held enrollments, shared by the REST handlers and
// the CLI (the EnrollmentEndpoint and EnrollmentRequest schemas of the OpenAPI document).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "authority/enrollment_admin.h"
#include "store/records.h"

namespace fleetpki::server::api_v1 {

/// The EST base path of an endpoint (RFC 7030 §3.2.2: /.well-known/est/<label>/<operation>).
std::string est_base_path(const std::string& label);

/// The policy fields (EndpointSpec's JSON form) plus the endpoint's identity, state and URL.
nlohmann::json endpoint_json(const authority::EndpointView& view, const std::string& tenant);

/// A CRL stored for an outside trust anchor of an endpoint (the EndpointCrl schema).
nlohmann::json endpoint_crl_json(const authority::EndpointCrlView& view);

/// A held enrollment; the CSR as PEM (never the raw DER), the request key left out (internal).
nlohmann::json enrollment_request_json(const store::EnrollmentRequestRecord& request);

}  // namespace fleetpki::server::api_v1
