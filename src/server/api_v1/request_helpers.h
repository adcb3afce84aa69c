// Shared steps of the REST handlers: authentication, JSON bodies and JSON responses.
#pragma once

#include <nlohmann/json.hpp>

#include "authority/authority.h"
#include "common/result.h"
#include "server/http_message.h"

namespace fleetpki::server::api_v1 {

/// The principal behind "Authorization: Bearer …"; Unauthenticated when missing or invalid.
Result<authority::Principal> authenticate(authority::Authority& authority, const Request& request);

/// The body as a JSON object. InvalidArgument when it is not one; when Content-Type is set and is
/// not application/json the message starts with kUnsupportedMediaType (rendered as 415).
Result<nlohmann::json> json_object_body(const Request& request);

/// Checks that `body` has no member outside `allowed` (typos are errors, not silently ignored).
Status only_fields(const nlohmann::json& body, std::initializer_list<std::string_view> allowed);

/// A required string member.
Result<std::string> string_field(const nlohmann::json& body, const char* name);

Response json_response(int status, const nlohmann::json& body);

/// problem+json for an error; adds WWW-Authenticate for 401 and maps the 415 marker.
Response error_response(const Error& error, const Request& request);

/// Marker message prefix turning an InvalidArgument into 415 Unsupported Media Type.
inline constexpr std::string_view kUnsupportedMediaType = "unsupported media type";

}  // namespace fleetpki::server::api_v1
