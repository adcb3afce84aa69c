// Shared steps of the REST handlers: authentication, JSON bodies and JSON responses.
#pragma once

#include <nlohmann/json.hpp>

#include "authority/authority.h"
#include "common/result.h"
#include "server/http_message.h"

namespace fleetpki::server::api_v1 {

/// The principal behind "Authorization: Bearer …", or else behind the TLS client certificate
/// (a registered operator certificate); Unauthenticated when missing or invalid.
Result<authority::Principal> authenticate(authority::Authority& authority, const Request& request);

/// The opaque cursor of list answers ("c" + the last id of the page) and its inverse
/// (InvalidArgument for anything else).
std::string encode_cursor(std::int64_t after_id);
Result<std::int64_t> decode_cursor(std::string_view cursor);
/// A `limit` query parameter: an integer 1..1000.
Result<int> parse_limit(std::string_view value);

/// Cursor pagination of list endpoints: `limit` (1..1000, default 100) and an opaque `cursor`
/// (the `next_cursor` of the previous page).
struct PageParams {
  std::int64_t after = 0;
  int limit = 100;
};
/// Reads `limit` and `cursor`; any other query parameter must be in `filters` (InvalidArgument
/// naming an unknown one) and is left for the caller to read.
Result<PageParams> page_params(const Request& request, std::initializer_list<std::string_view> filters = {});
/// The `next_cursor` member: a string, or null on the last page.
nlohmann::json next_cursor_json(const std::optional<std::int64_t>& next_after);

/// An optional integer member; InvalidArgument when present and not an integer in [min, max].
Result<std::optional<std::int64_t>> optional_integer_field(const nlohmann::json& body, const char* name,
                                                           std::int64_t min, std::int64_t max);
/// An optional string member; InvalidArgument when present and not a string.
Result<std::optional<std::string>> optional_string_field(const nlohmann::json& body, const char* name);

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
