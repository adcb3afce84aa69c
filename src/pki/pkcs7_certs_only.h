// PKCS#7 / CMS "certs-only" SignedData (RFC 5652 §5, RFC 7030 §4.1.3): a bag of certificates.
#pragma once

#include <string>
#include <vector>

#include "common/bytes.h"

namespace fleetpki::pki {

/// DER ContentInfo{ signedData, SignedData{ v1, {}, {id-data}, [0] certificates, {} } }. The
/// certificates SET OF is sorted by encoding, as DER requires.
Bytes encode_certs_only(const std::vector<Bytes>& certificates_der);

/// Base64 (RFC 4648 §4) in lines of 64 characters each ending with "\n" (RFC 8951 bodies).
std::string base64_lines(ByteView data);

}  // namespace fleetpki::pki
