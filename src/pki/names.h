// Distinguished names and general names as fleetpki handles them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"

namespace fleetpki::pki {

/// One AttributeTypeAndValue of a DN. `der` is its whole encoding (kept byte-for-byte when copied).
struct NameAttribute {
  std::string oid;         // dotted, e.g. "2.5.4.3"
  std::string short_name;  // "CN", "O", "OU", "C", "serialNumber", … or the dotted OID
  std::string value;       // the string value as UTF-8
  Bytes der;
};

/// Builds a Name (SEQUENCE OF RDN, one attribute per RDN) from attributes, in order.
/// Strings are UTF8String except C and serialNumber, which are PrintableString (RFC 5280 App. A).
/// InvalidArgument when a PrintableString value has characters outside its set.
Result<Bytes> encode_name(const std::vector<std::pair<std::string, std::string>>& short_name_values);

/// Parses a Name's attributes (any string type accepted on input, value decoded to UTF-8).
Result<std::vector<NameAttribute>> decode_name(ByteView name_der);

/// RFC 4514-like one-line rendering, most significant first: "CN=dev1,O=Acme".
std::string name_to_string(const std::vector<NameAttribute>& attributes);

/// Forms of GeneralName fleetpki handles (RFC 5280 §4.2.1.6).
enum class GeneralNameType { Dns, Ip, Uri, Email, OtherName, DirectoryName, Other };

struct GeneralName {
  GeneralNameType type = GeneralNameType::Other;
  std::string value;  // dns/uri/email text; IP as text ("10.0.0.1", "::1"); OtherName type-id OID
  Bytes der;          // the whole GeneralName encoding
};

/// Encoders for the forms the profiles emit.
GeneralName dns_name(std::string_view name);
GeneralName uri_name(std::string_view uri);
GeneralName email_name(std::string_view email);
/// IP from text; InvalidArgument when not an IPv4/IPv6 literal.
Result<GeneralName> ip_name(std::string_view ip_text);
/// RFC 4108 §5 (IEEE 802.1AR §8.10.4): otherName id-on-hardwareModuleName (1.3.6.1.5.5.7.8.4)
/// with HardwareModuleName ::= SEQUENCE { hwType OBJECT IDENTIFIER, hwSerialNum OCTET STRING }.
/// InvalidArgument for a malformed OID or a serial of 0 or more than 64 octets.
Result<GeneralName> hardware_module_name(std::string_view hw_type_oid, std::string_view hw_serial);

inline constexpr const char* kHardwareModuleNameOid = "1.3.6.1.5.5.7.8.4";

/// Parses a GeneralNames SEQUENCE (the value of subjectAltName).
Result<std::vector<GeneralName>> decode_general_names(ByteView seq_der);

}  // namespace fleetpki::pki
