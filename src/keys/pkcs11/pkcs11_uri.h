// RFC 7512 "pkcs11:" URIs naming a key in a token: the references a Pkcs11KeyVault hands out and
// the store keeps, e.g. "pkcs11:token=fleet-ca;object=issuing-ca;id=%a1%b2;type=private".
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/result.h"

namespace fleetpki::keys {

/// The path attributes fleetpki uses (RFC 7512 §2.3). Absent attributes match anything.
struct Pkcs11Uri {
  std::optional<std::string> token;   // CKA token label (CK_TOKEN_INFO.label, at most 32 bytes)
  std::optional<std::string> object;  // CKA_LABEL
  std::optional<Bytes> id;            // CKA_ID
  std::optional<std::string> type;    // "public", "private", "cert", "secret-key" or "data"

  bool operator==(const Pkcs11Uri&) const = default;
};

/// Strict parser. Accepted: the scheme "pkcs11:" (any letter case), then zero or more
/// `name=value` path attributes separated by ';' from {token, object, id, type}, each at most
/// once, values percent-decoded (RFC 3986 pct-encoded; only RFC 7512 p11-pchar characters may
/// appear unencoded). Refused with InvalidArgument: other attributes (manufacturer, serial,
/// slot-id… are not honoured, so accepting them would widen what a reference matches), any query
/// part ("?pin-value=…": a PIN never travels in a reference), empty values, a token label over
/// 32 bytes, an unknown type, bad escapes, and anything over 4 KiB.
Result<Pkcs11Uri> parse_pkcs11_uri(std::string_view text);

/// The canonical text: attributes in the order token, object, id, type; labels percent-encode
/// everything but RFC 3986 unreserved characters, the id is fully percent-encoded (lower-case
/// hex). parse_pkcs11_uri(format_pkcs11_uri(u)) == u for every valid u.
std::string format_pkcs11_uri(const Pkcs11Uri& uri);

}  // namespace fleetpki::keys
