// Certificate profiles as data: the profile, not the CSR, decides every field of a certificate.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace fleetpki::authority {

/// SAN forms a profile may take over from a CSR.
struct SanRules {
  bool dns = false;
  bool ip = false;
  bool uri = false;
  bool email = false;
  bool required = false;    // at least one SAN must result
  bool cn_as_dns = false;   // no SAN in the CSR: use the CN as dNSName when it is a host name
};

/// One version of a profile. Stored as JSON (ProfileRecord::definition_json).
struct Profile {
  std::string name;
  int version = 1;
  std::string ca;                          // CA name within the tenant: "issuing", "manufacturing"
  std::optional<int> validity_days;        // nullopt = no expiry (99991231235959Z)
  std::vector<std::string> key_usage;      // "digitalSignature", "keyEncipherment", …
  bool rsa_key_encipherment = false;       // add keyEncipherment for RSA subject keys (TLS 1.2 RSA kx)
  std::vector<std::string> ext_key_usage;  // "serverAuth", "clientAuth", "codeSigning", … or dotted
  bool subject_key_id = true;
  std::vector<std::string> subject_allowed;   // attribute short names copied from the CSR, in this order
  std::vector<std::string> subject_required;  // must be present in the CSR
  SanRules san;

  /// Parses and validates a definition; InvalidArgument naming the bad field.
  static Result<Profile> from_json(std::string_view json);
  std::string to_json() const;

  /// keyUsage bits for a subject key (RSA may add keyEncipherment).
  Result<std::uint16_t> key_usage_bits(bool subject_is_rsa) const;
  /// Dotted OIDs of ext_key_usage.
  Result<std::vector<std::string>> ext_key_usage_oids() const;
};

}  // namespace fleetpki::authority
