// Certificate profiles as data: the profile, not the CSR, decides every field of a certificate.
// The JSON form and its rules are documented in docs/operations.md (## Profiles) and ADR 0011.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "pki/algorithms.h"

namespace fleetpki::authority {

/// Matter Core Specification §6.1.1: Vendor ID and Product ID DN attributes.
inline constexpr const char* kMatterVidOid = "1.3.6.1.4.1.37244.2.1";
inline constexpr const char* kMatterPidOid = "1.3.6.1.4.1.37244.2.2";

/// SAN forms a profile may take over from a CSR.
struct SanRules {
  bool dns = false;
  bool ip = false;
  bool uri = false;
  bool email = false;
  bool required = false;    // at least one SAN must result
  bool cn_as_dns = false;   // no SAN in the CSR: use the CN as dNSName when it is a host name
  /// IEEE 802.1AR §8.10.4 / RFC 4108 §5: otherName hardwareModuleName { hwType, hwSerialNum =
  /// the device serial } added when set (dotted OID of the hardware type).
  std::optional<std::string> hardware_module_type;
};

/// Where a subject attribute's value comes from.
enum class SubjectSource {
  Csr,           // copied from the CSR if present
  DeviceSerial,  // the registry's serial of the device the certificate is issued for
  DeviceType,    // the registry's device type name
  Fixed,         // the profile's own value
};

struct SubjectAttributeRule {
  std::string attribute;  // short name ("CN", "serialNumber", …) or dotted OID (Matter VID/PID)
  SubjectSource source = SubjectSource::Csr;
  std::string value;      // Fixed only
  bool required = false;
  /// Device sources only: without a device in the request, take the value from the CSR (factory
  /// batch issuance before the registry knows the device). Never used when a device is named.
  bool csr_fallback = false;
};

/// An extension the profile adds verbatim (never one the CA controls).
struct ExtraExtension {
  std::string oid;
  bool critical = false;
  Bytes value;  // the DER of extnValue's content
};

/// One version of a profile. Stored as JSON (ProfileRecord::definition_json).
struct Profile {
  std::string name;
  int version = 1;
  std::string ca;                          // CA name within the tenant: "issuing", "manufacturing"
  std::vector<std::string> key_types;      // "ec-p256", "ec-p384", "ed25519", "rsa-2048", …; empty = any
  std::optional<int> validity_days;        // nullopt = no expiry (99991231235959Z)
  std::vector<std::string> key_usage;      // "digitalSignature", "keyEncipherment", …
  bool rsa_key_encipherment = false;       // add keyEncipherment for RSA subject keys (TLS 1.2 RSA kx)
  std::vector<std::string> ext_key_usage;  // "serverAuth", "clientAuth", "codeSigning", … or dotted
  bool ca_certificate = false;             // basicConstraints cA TRUE (Matter PAA/PAI)
  std::optional<int> path_len;             // with ca_certificate only
  bool subject_key_id = true;
  bool ocsp_no_check = false;              // id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1)
  std::vector<SubjectAttributeRule> subject;  // in certificate order; attributes not listed are dropped
  SanRules san;
  std::vector<ExtraExtension> extra_extensions;
  std::optional<int> renewal_window_days;  // renewal allowed this many days before expiry (issue #5)

  /// Parses and validates a definition; InvalidArgument naming the bad field. Unknown fields are
  /// refused. Accepts the legacy fields subject_allowed/subject_required/validity_days.
  static Result<Profile> from_json(std::string_view json);
  std::string to_json() const;

  /// keyUsage bits for a subject key (RSA may add keyEncipherment).
  Result<std::uint16_t> key_usage_bits(bool subject_is_rsa) const;
  /// Dotted OIDs of ext_key_usage.
  Result<std::vector<std::string>> ext_key_usage_oids() const;
  /// InvalidArgument when the subject key's type is not in key_types.
  Status check_key_type(pki::KeyType type, int bits) const;
};

/// The key type name used in profiles ("ec-p256", "rsa-3072", …).
std::string key_type_label(pki::KeyType type, int bits);

/// Matter Core Specification §6.1.1: a VID/PID DN value is exactly 4 uppercase hex digits.
bool is_matter_id(std::string_view value);

/// Profile names: 1..63 of [a-z0-9-], starting with a letter or digit.
bool is_valid_profile_name(std::string_view name);

}  // namespace fleetpki::authority
