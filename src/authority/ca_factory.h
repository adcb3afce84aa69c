// Creates CA certificates: a self-signed root and intermediates signed by a parent CA.
#pragma once

#include <optional>
#include <string>

#include "common/clock.h"
#include "common/result.h"
#include "keys/signer.h"
#include "pki/certificate.h"
#include "pki/crypto_context.h"

namespace fleetpki::authority {

struct CaCertificateSpec {
  std::string common_name;
  std::string organization;
  int validity_days = 3650;
  std::optional<int> path_len;  // nullopt = unlimited (roots); 0 = issues end entities only
  std::optional<Bytes> name_constraints;  // NameConstraints value (pki/name_constraints.h), critical
  std::optional<TimePoint> not_after;     // overrides validity_days (capped by the parent's)
};

/// Self-signed root: basicConstraints critical CA:TRUE, keyUsage critical keyCertSign+cRLSign, SKI.
Result<pki::Certificate> make_root_certificate(const pki::CryptoContext& ctx, const Clock& clock,
                                               const keys::Signer& key, const CaCertificateSpec& spec);

/// Intermediate CA for `subject_key` signed by `parent_key` (whose certificate is `parent`):
/// CA:TRUE with the spec's pathLen, keyCertSign+cRLSign, SKI, AKI = parent SKI.
Result<pki::Certificate> make_intermediate_certificate(const pki::CryptoContext& ctx, const Clock& clock,
                                                       const pki::Certificate& parent,
                                                       const keys::Signer& parent_key,
                                                       const keys::Signer& subject_key,
                                                       const CaCertificateSpec& spec);

}  // namespace fleetpki::authority
