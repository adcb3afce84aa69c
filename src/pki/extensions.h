// X.509 v3 extension encoders (RFC 5280 §4.2). DER defaults are never written (no critical FALSE).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "pki/names.h"

namespace fleetpki::pki {

/// keyUsage bits, named as in RFC 5280 §4.2.1.3 (bit 0 = digitalSignature).
enum KeyUsage : std::uint16_t {
  kDigitalSignature = 1u << 0,
  kNonRepudiation = 1u << 1,
  kKeyEncipherment = 1u << 2,
  kDataEncipherment = 1u << 3,
  kKeyAgreement = 1u << 4,
  kKeyCertSign = 1u << 5,
  kCrlSign = 1u << 6,
  kEncipherOnly = 1u << 7,
  kDecipherOnly = 1u << 8,
};

namespace oid {
inline constexpr const char* kServerAuth = "1.3.6.1.5.5.7.3.1";
inline constexpr const char* kClientAuth = "1.3.6.1.5.5.7.3.2";
inline constexpr const char* kCodeSigning = "1.3.6.1.5.5.7.3.3";
inline constexpr const char* kEmailProtection = "1.3.6.1.5.5.7.3.4";
inline constexpr const char* kTimeStamping = "1.3.6.1.5.5.7.3.8";
inline constexpr const char* kOcspSigning = "1.3.6.1.5.5.7.3.9";
}  // namespace oid

/// One encoded Extension SEQUENCE { extnID, [critical TRUE], extnValue }.
Bytes encode_extension(std::string_view dotted_oid, bool critical, ByteView value);

Bytes basic_constraints_value(bool ca, std::optional<int> path_len);
Bytes key_usage_value(std::uint16_t bits);  // BIT STRING with trailing zero bits trimmed
Result<Bytes> ext_key_usage_value(const std::vector<std::string>& dotted_oids);
Bytes key_identifier_value(ByteView key_id);           // SubjectKeyIdentifier
Bytes authority_key_identifier_value(ByteView key_id);  // keyIdentifier form only
Bytes subject_alt_name_value(const std::vector<GeneralName>& names);
Bytes crl_distribution_points_value(const std::vector<std::string>& urls);
Bytes authority_info_access_value(const std::vector<std::string>& ocsp_urls,
                                  const std::vector<std::string>& ca_issuer_urls);

}  // namespace fleetpki::pki
