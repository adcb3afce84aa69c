// OCSP (RFC 6960, lightweight profile RFC 9919): strict request parsing and response encoding.
//
//   auto request = parse_ocsp_request(der, {.max_entries = 8});   // InvalidArgument = malformed
//   Bytes data = encode_response_data({.responder_key_hash = …, .produced_at = now,
//                                      .responses = {{.cert_id_der = id.encoded, …}}}).value();
//   Bytes response = assemble_ocsp_response(data, alg, signer.sign(data).value(), {responder_cert});
//
// Unsuccessful responses (encode_ocsp_error) carry no responseBytes and are never signed.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/result.h"
#include "pki/algorithms.h"
#include "pki/crl.h"

namespace fleetpki::pki {

enum class OcspResponseStatus : int {
  Successful = 0,
  MalformedRequest = 1,
  InternalError = 2,
  TryLater = 3,
  SigRequired = 5,
  Unauthorized = 6,
};

/// CertID hash algorithms the responder answers. Requests with any other are malformed.
enum class OcspHashAlgorithm { Sha1, Sha256 };

/// One CertID of a request.
struct OcspCertId {
  OcspHashAlgorithm hash = OcspHashAlgorithm::Sha1;
  Bytes issuer_name_hash;   // 20 (SHA-1) or 32 (SHA-256) octets, checked
  Bytes issuer_key_hash;    // same length
  Bytes serial;             // positive magnitude (as serial_from_hex returns), 1..20 octets;
                            // equal to the content octets for serials made by generate_serial
  Bytes encoded;            // the whole CertID as sent: echoed byte for byte in the response
};

struct OcspRequest {
  std::vector<OcspCertId> cert_ids;   // 1..max_entries
  std::optional<Bytes> nonce;         // the nonce's inner OCTET STRING content, 1..32 octets
};

struct OcspRequestLimits {
  std::size_t max_entries = 8;
};

/// Parses a DER OCSPRequest. InvalidArgument (answer malformedRequest) for anything not strict
/// DER, trailing bytes, an empty request list or more than `max_entries` entries, an unsupported
/// hash algorithm, hash lengths that do not match it, a non-positive serial, a nonce of 0 or more
/// than 32 octets (RFC 8954), a duplicate extension, or an unknown critical extension.
/// A signed request is accepted; its optionalSignature is ignored (RFC 9919 clients do not sign).
/// Also refused: a version other than v1, a serial magnitude over 20 octets, hash parameters other
/// than absent/NULL, an empty Extensions list, an encoded critical FALSE (not DER), more than 16
/// extensions in one list. Unknown non-critical extensions (request and single) are ignored.
/// Work is linear in the input; the caller bounds the input size.
Result<OcspRequest> parse_ocsp_request(ByteView der, const OcspRequestLimits& limits = {});

/// The CertID DER for the given parts (AlgorithmIdentifier with NULL parameters, as OpenSSL and
/// most clients send it): the key of pre-signed responses.
Bytes encode_cert_id(OcspHashAlgorithm hash, ByteView issuer_name_hash, ByteView issuer_key_hash,
                     ByteView serial);

/// Hash of the issuer's Name DER and of its public key BIT STRING contents (RFC 6960 §4.1.1).
struct IssuerHashes {
  Bytes name_sha1, key_sha1, name_sha256, key_sha256;
};
/// `issuer_name_der` is the CA's subject Name; `issuer_spki_der` its SubjectPublicKeyInfo.
Result<IssuerHashes> issuer_hashes(ByteView issuer_name_der, ByteView issuer_spki_der);

enum class OcspCertStatus { Good, Revoked, Unknown };

struct OcspSingleResponse {
  ByteView cert_id_der;                 // echoed CertID
  OcspCertStatus status = OcspCertStatus::Good;
  TimePoint revocation_time{};          // Revoked only
  std::optional<CrlReason> revocation_reason;  // Revoked only; Unspecified is omitted (as in
                                               // CRL entries), RemoveFromCrl is refused
  TimePoint this_update{};
  TimePoint next_update{};              // always set (RFC 9919)
};

struct OcspResponseParts {
  Bytes responder_key_hash;             // byKey ResponderID: SHA-1 of the responder key's BIT STRING contents
  TimePoint produced_at{};
  std::vector<OcspSingleResponse> responses;
  std::optional<Bytes> nonce;           // echoed (inner content) when the request had one
  bool extended_revoke = false;         // id-pkix-ocsp-extended-revoke in responseExtensions
};

/// The DER ResponseData (tbsResponseData) to be signed. All times GeneralizedTime. InvalidArgument
/// for a key hash that is not 20 octets, no responses, a certID that is not one DER SEQUENCE,
/// next_update <= this_update, a nonce outside 1..32 octets, or times before 1950.
Result<Bytes> encode_response_data(const OcspResponseParts& parts);

/// A successful OCSPResponse wrapping BasicOCSPResponse { data, alg, signature, certs }.
/// `certs` are DER certificates (the delegated responder's), empty = field omitted.
Bytes assemble_ocsp_response(ByteView response_data, SignatureAlgorithm alg, ByteView signature,
                             const std::vector<ByteView>& certs);

/// An unsuccessful OCSPResponse: just the status. Precondition (checked, fatal): not Successful.
Bytes encode_ocsp_error(OcspResponseStatus status);

/// SHA-1 of a SubjectPublicKeyInfo's BIT STRING contents (byKey ResponderID, RFC 6960 §4.2.1).
Result<Bytes> responder_key_hash(ByteView spki_der);

}  // namespace fleetpki::pki
