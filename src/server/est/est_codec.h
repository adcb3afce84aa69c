// EST wire encodings (RFC 7030 as corrected by RFC 8951): base64 bodies, media types and HTTP
// Basic credentials. Pure functions over untrusted input (fuzzed by tests/fuzz/est_codec_fuzz.cpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/result.h"

namespace fleetpki::server::est {

/// RFC 8951 §3.2 / RFC 4648 §4: decodes a base64 EST body (a PKCS#10 request). CR, LF, SP and TAB
/// are accepted anywhere and ignored; the standard alphabet with its padding is required.
/// A PEM body ("-----BEGIN …") is refused with a message saying that EST wants base64 DER.
/// InvalidArgument for empty, malformed or PEM input; the decoded DER itself is not parsed here.
Result<Bytes> decode_base64_body(std::string_view body);

/// Base64 (RFC 4648 §4) in lines of 64 characters, each ending with "\n" (RFC 8951 bodies).
std::string encode_base64_body(ByteView der);

/// RFC 9110 §8.3.1: true when `content_type` (a Content-Type value) names `type` ("type/subtype",
/// lower case), whatever the case of the header and its parameters ("application/PKCS10;
/// charset=x" matches "application/pkcs10"). False for nullopt or a malformed value.
bool is_media_type(const std::optional<std::string>& content_type, std::string_view type);

/// RFC 9110 §12.5.1: true when an Accept header lists `type` (exactly, not through a wildcard)
/// with a non-zero quality.
bool accepts_media_type(const std::optional<std::string>& accept, std::string_view type);

struct BasicCredentials {
  std::string user;
  std::string password;  // may be empty (RFC 7030 §3.2.3 allows an empty user or password)
};

/// RFC 7617: the credentials of an "Authorization: Basic <base64(user:password)>" value. nullopt
/// when the scheme is not Basic. InvalidArgument when it is Basic but malformed (bad base64, no
/// ':', a control character in the user).
Result<std::optional<BasicCredentials>> parse_basic_authorization(std::string_view authorization);

}  // namespace fleetpki::server::est
