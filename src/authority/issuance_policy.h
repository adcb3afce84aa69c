// Applies a profile to a CSR: what the certificate will say, or why the CSR is refused.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "authority/profile.h"
#include "common/bytes.h"
#include "common/result.h"
#include "pki/csr.h"
#include "pki/names.h"

namespace fleetpki::authority {

/// The per-certificate decisions. Extensions fixed by the profile live in its TbsTemplate.
struct SubjectDecision {
  Bytes subject_der;
  std::string subject_text;
  std::vector<pki::GeneralName> subject_alt_names;
};

/// What the device registry knows about the device a certificate is issued for (issue #4):
/// profiles may take subject values from it instead of trusting the CSR.
struct DeviceContext {
  std::string serial;  // the device's serial number in the registry
  std::string type;    // its device type name
};

/// Refuses (InvalidArgument with a reason) a CSR that asks for what only a CA decides: cA TRUE,
/// keyCertSign/cRLSign, EKUs the profile does not grant, nameConstraints, CRL DP or AIA URLs,
/// or SAN forms the profile does not allow. Otherwise builds the subject from the attributes the
/// profile allows (others are dropped) and the SANs it allows. PITFALLS §11.
Result<SubjectDecision> decide_subject(const Profile& profile, const pki::Csr& csr,
                                       const DeviceContext* device = nullptr);

/// True for an LDH host name of 1..253 octets with labels of 1..63 (no wildcard, no trailing dot).
bool is_valid_dns_name(std::string_view name);

}  // namespace fleetpki::authority
