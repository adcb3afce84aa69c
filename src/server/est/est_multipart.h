// The multipart/mixed answer of EST /serverkeygen (RFC 7030 §4.4.2 as corrected by RFC 8951).
#pragma once

#include <string>

#include "common/bytes.h"
#include "common/result.h"

namespace fleetpki::server::est {

struct MultipartBody {
  std::string content_type;  // "multipart/mixed; boundary=…"
  std::string body;          // holds the private key in base64: never log it
};

/// RFC 7030 §4.4.2: two parts separated by a random boundary (RFC 2046 §5.1.1), each base64 (RFC
/// 8951 §3.2): first the private key, `application/pkcs8` (PKCS#8 PrivateKeyInfo DER, sent only
/// over TLS), then the certificate, `application/pkcs7-mime; smime-type=certs-only`.
/// Internal when the random generator fails.
Result<MultipartBody> encode_serverkeygen_response(const SecureBytes& private_key_pkcs8,
                                                   ByteView certs_only_der);

}  // namespace fleetpki::server::est
