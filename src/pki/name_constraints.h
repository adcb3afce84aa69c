// X.509 name constraints (RFC 5280 4.2.1.10) for the CAs an operator restricts: encoding of the
// extension and the same check the CA applies before it signs.
#pragma once

#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "pki/names.h"

namespace fleetpki::pki {

struct NameConstraints {
  std::vector<std::string> permitted_dns;    // "example.com" (the domain and its subdomains), ".example.com" (subdomains only)
  std::vector<std::string> excluded_dns;
  std::vector<std::string> permitted_ip;     // CIDR: "10.0.0.0/8", "2001:db8::/32"
  std::vector<std::string> excluded_ip;
  std::vector<std::string> permitted_email;  // "example.com" (any mailbox there) or a mailbox
  std::vector<std::string> excluded_email;

  bool empty() const;
};

/// The extension value (NameConstraints SEQUENCE). InvalidArgument for malformed names or CIDRs.
Result<Bytes> encode_name_constraints_value(const NameConstraints& nc);
/// The whole Extension (critical, as RFC 5280 requires), e.g. for a CSR's extensionRequest.
Result<Bytes> encode_name_constraints_extension(const NameConstraints& nc);
inline constexpr const char* kNameConstraintsOid = "2.5.29.30";

/// Ok when every SAN is allowed: not within an excluded subtree and, for each name type that has
/// permitted subtrees, within one of them. InvalidArgument naming the first offending name.
Status check_name_constraints(const NameConstraints& nc, const std::vector<GeneralName>& names);

}  // namespace fleetpki::pki
