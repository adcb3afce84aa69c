// PKCS#10 requests for our own CA keys: a bring-your-own CA's key stays in our vault and the
// customer's CA signs the request.
#pragma once

#include <functional>
#include <optional>

#include "common/bytes.h"
#include "common/result.h"
#include "pki/algorithms.h"

namespace fleetpki::pki {

struct CaRequestSpec {
  Bytes subject_name_der;
  Bytes spki_der;
  std::optional<int> path_len;          // requested basicConstraints pathLenConstraint
  std::optional<Bytes> name_constraints_extension;  // a whole Extension (encode_name_constraints_extension)
};

/// DER CertificationRequest with an extensionRequest for basicConstraints (critical, cA TRUE),
/// keyUsage (critical, keyCertSign + cRLSign) and the optional name constraints, signed by `sign`.
Result<Bytes> make_ca_request(const CaRequestSpec& spec, SignatureAlgorithm alg,
                              const std::function<Result<Bytes>(ByteView)>& sign);

}  // namespace fleetpki::pki
