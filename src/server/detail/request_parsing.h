// Transport-neutral helpers of the HTTP session: percent-decoding, query parsing, request ids.
// Internal to server/; kept free of Beast so that they are unit-testable and cheap to compile.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace fleetpki::server::detail {

/// RFC 3986 §2.1 percent-decoding. With `plus_is_space` (query strings, HTML form encoding) '+'
/// decodes to ' '. Returns nullopt on a malformed escape or an encoded NUL.
std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space);

/// "a=1&b=x%20y&c" → {a:"1", b:"x y", c:""}; the last of repeated keys wins; empty pairs skipped.
/// nullopt when a key or value is malformed.
std::optional<std::map<std::string, std::string>> parse_query(std::string_view query);

/// True for 1..64 characters of [A-Za-z0-9-_]: a client-chosen X-Request-Id we echo back.
bool is_valid_request_id(std::string_view id);

/// 16 lower-case hex characters from RAND_bytes (a counter-based fallback if the DRBG fails).
std::string new_request_id();

/// ASCII lower-case copy.
std::string to_lower(std::string_view s);

}  // namespace fleetpki::server::detail
