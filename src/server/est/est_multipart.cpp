// EST /serverkeygen multipart/mixed encoder.
#include "server/est/est_multipart.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "pki/ossl/error.h"
#include "server/est/est_codec.h"

namespace fleetpki::server::est {

Result<MultipartBody> encode_serverkeygen_response(const SecureBytes& private_key_pkcs8,
                                                   ByteView certs_only_der) {
  // RFC 2046 §5.1.1: the boundary must not occur in the parts. Base64 has no '-', so a boundary
  // line "--fleetpki-…" cannot; the random part keeps it unguessable for the client anyway.
  Bytes random(16);
  if (::RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    return fail(pki::ossl::last_error("RAND_bytes", Errc::Internal, "cannot make a MIME boundary"));
  }
  const std::string boundary = "fleetpki-" + to_hex(random);

  std::string key_b64 = encode_base64_body(private_key_pkcs8.view());
  MultipartBody out;
  out.content_type = "multipart/mixed; boundary=" + boundary;
  // MIME lines end with CRLF (RFC 2046 §5.1.1). Content-Transfer-Encoding is ignored by RFC 8951
  // receivers but states the truth for older MIME parsers (libest still sends it).
  out.body.reserve(key_b64.size() + certs_only_der.size() * 2 + 512);
  out.body += "--" + boundary + "\r\n";
  out.body += "Content-Type: application/pkcs8\r\n";
  out.body += "Content-Transfer-Encoding: base64\r\n\r\n";
  out.body += key_b64;
  out.body += "\r\n--" + boundary + "\r\n";
  out.body += "Content-Type: application/pkcs7-mime; smime-type=certs-only\r\n";
  out.body += "Content-Transfer-Encoding: base64\r\n\r\n";
  out.body += encode_base64_body(certs_only_der);
  out.body += "\r\n--" + boundary + "--\r\n";
  ::OPENSSL_cleanse(key_b64.data(), key_b64.size());
  return out;
}

}  // namespace fleetpki::server::est
