// OCSP (RFC 6960) with the strict DER reader/writer: request parsing for an internet-facing
// responder (hostile input: bounded work, no recursion, every length checked by der::Reader) and
// response encoding for the lightweight profile (RFC 9919: byKey, nextUpdate always).
#include "pki/ocsp.h"

#include <openssl/evp.h>

#include <algorithm>

#include "common/check.h"
#include "pki/der.h"
#include "pki/detail/oids.h"
#include "pki/ossl/error.h"

namespace fleetpki::pki {
namespace {

// Every parse error is InvalidArgument (answered malformedRequest); parse_ocsp_request() prefixes
// the message with "malformed OCSP request".
tl::unexpected<Error> malformed(std::string why) {
  return fail(Errc::InvalidArgument, std::move(why));
}

// Hash algorithms of CertID (RFC 6960 §4.1.1; RFC 5754 §2.2 for SHA-256).
inline constexpr detail::OidBytes<5> kSha1{0x2B, 0x0E, 0x03, 0x02, 0x1A};
inline constexpr detail::OidBytes<9> kSha256{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};
// id-pkix-ocsp arcs 1.3.6.1.5.5.7.48.1.x (RFC 6960 §4.2.1, §4.4.1, §4.4.8).
inline constexpr detail::OidBytes<9> kIdPkixOcspBasic{0x2B, 0x06, 0x01, 0x05, 0x05,
                                                      0x07, 0x30, 0x01, 0x01};
inline constexpr detail::OidBytes<9> kIdPkixOcspNonce{0x2B, 0x06, 0x01, 0x05, 0x05,
                                                      0x07, 0x30, 0x01, 0x02};
inline constexpr detail::OidBytes<9> kIdPkixOcspExtendedRevoke{0x2B, 0x06, 0x01, 0x05, 0x05,
                                                               0x07, 0x30, 0x01, 0x09};

constexpr std::uint8_t kEnumerated = 0x0A;
constexpr std::size_t kMaxNonce = 32;         // RFC 8954 §2.1
constexpr std::size_t kMaxExtensions = 16;    // per Extensions list: bounds the duplicate check
constexpr std::size_t kMaxSerialOctets = 20;  // RFC 5280 §4.1.2.2 (magnitude)

void append(Bytes& out, ByteView b) {
  out.insert(out.end(), b.begin(), b.end());
}

template <std::size_t N>
Bytes oid_tlv(const detail::OidBytes<N>& oid) {
  return der::tlv(der::tag::kOid, ByteView(oid.data(), oid.size()));
}

std::size_t hash_size(OcspHashAlgorithm hash) {
  return hash == OcspHashAlgorithm::Sha1 ? 20 : 32;
}

Result<Bytes> digest(const char* name, ByteView data) {
  Bytes out(EVP_MAX_MD_SIZE);
  std::size_t len = 0;
  if (::EVP_Q_digest(nullptr, name, nullptr, data.data(), data.size(), out.data(), &len) != 1) {
    return tl::unexpected(ossl::last_error("EVP_Q_digest"));
  }
  out.resize(len);
  return out;
}

// SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }:
// the BIT STRING contents without the unused-bits octet (RFC 6960 §4.1.1, §4.2.1 KeyHash).
Result<ByteView> subject_public_key_bits(ByteView spki_der) {
  FLEETPKI_TRY(der::Element spki, der::parse_single(spki_der, der::tag::kSequence));
  der::Reader r(spki.content);
  FLEETPKI_TRY(der::Element alg, r.expect(der::tag::kSequence));
  (void)alg;
  FLEETPKI_TRY(der::Element bits, r.expect(der::tag::kBitString));
  FLEETPKI_RETURN_IF_ERROR(r.expect_end("SubjectPublicKeyInfo"));
  return der::bit_string_octets(bits.content);
}

// Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension
// Extension  ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
// `explicit_content` is the content of the [n] EXPLICIT wrapper. With `nonce` non-null the nonce
// (RFC 8954) is recognized and stored; every other extension is ignored unless critical.
Status parse_extensions(ByteView explicit_content, std::string_view where,
                        std::optional<Bytes>* nonce) {
  auto list = der::parse_single(explicit_content, der::tag::kSequence);
  if (!list) {
    return malformed(std::string(where) + " is not one Extensions SEQUENCE");
  }
  if (list->content.empty()) {
    return malformed(std::string(where) + " is empty (SIZE (1..MAX))");
  }
  std::vector<ByteView> seen;
  der::Reader r(list->content);
  while (!r.empty()) {
    if (seen.size() == kMaxExtensions) {
      return malformed("too many " + std::string(where));
    }
    FLEETPKI_TRY(der::Element ext, r.expect(der::tag::kSequence));
    der::Reader f(ext.content);
    FLEETPKI_TRY(der::Element id, f.expect(der::tag::kOid));
    FLEETPKI_TRY(auto critical_element, f.optional(der::tag::kBoolean));
    FLEETPKI_TRY(der::Element value, f.expect(der::tag::kOctetString));
    FLEETPKI_RETURN_IF_ERROR(f.expect_end("Extension"));
    FLEETPKI_TRY(std::string dotted, der::decode_oid(id.content));
    bool critical = false;
    if (critical_element) {
      FLEETPKI_TRY(critical, der::decode_boolean(critical_element->content));
      if (!critical) {  // X.690 §11.5: a DEFAULT value is never encoded in DER
        return malformed("extension " + dotted + " encodes critical FALSE (not DER)");
      }
    }
    if (std::any_of(seen.begin(), seen.end(), [&](ByteView s) {
          return std::equal(s.begin(), s.end(), id.content.begin(), id.content.end());
        })) {
      return malformed("duplicate extension " + dotted);
    }
    seen.push_back(id.content);

    if (nonce != nullptr && detail::oid_equals(id.content, kIdPkixOcspNonce)) {
      // RFC 8954 §2.1: Nonce ::= OCTET STRING (SIZE(1..32)), inside extnValue's OCTET STRING.
      auto inner = der::parse_single(value.content, der::tag::kOctetString);
      if (!inner) {
        return malformed("nonce is not a DER OCTET STRING inside extnValue");
      }
      if (inner->content.empty() || inner->content.size() > kMaxNonce) {
        return malformed("nonce must be 1 to 32 octets");
      }
      *nonce = Bytes(inner->content.begin(), inner->content.end());
    } else if (critical) {
      return malformed("unsupported critical extension " + dotted);
    }
  }
  return ok();
}

// CertID ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, issuerNameHash OCTET STRING,
//                       issuerKeyHash OCTET STRING, serialNumber CertificateSerialNumber }
Result<OcspCertId> parse_cert_id(const der::Element& cert_id) {
  der::Reader c(cert_id.content);
  FLEETPKI_TRY(der::Element alg, c.expect(der::tag::kSequence));
  FLEETPKI_TRY(der::Element name_hash, c.expect(der::tag::kOctetString));
  FLEETPKI_TRY(der::Element key_hash, c.expect(der::tag::kOctetString));
  FLEETPKI_TRY(der::Element serial, c.expect(der::tag::kInteger));
  FLEETPKI_RETURN_IF_ERROR(c.expect_end("CertID"));

  OcspCertId id;
  der::Reader a(alg.content);
  FLEETPKI_TRY(der::Element oid, a.expect(der::tag::kOid));
  if (detail::oid_equals(oid.content, kSha1)) {
    id.hash = OcspHashAlgorithm::Sha1;
  } else if (detail::oid_equals(oid.content, kSha256)) {
    id.hash = OcspHashAlgorithm::Sha256;
  } else {
    return malformed("unsupported CertID hash algorithm " + der::oid_to_string(oid.content) +
                     " (SHA-1 or SHA-256 only)");
  }
  // RFC 5754 §2: parameters absent or NULL.
  FLEETPKI_TRY(auto params, a.optional(der::tag::kNull));
  if ((params && !params->content.empty()) || !a.empty()) {
    return malformed("CertID hash algorithm parameters must be absent or NULL");
  }
  const std::size_t want = hash_size(id.hash);
  if (name_hash.content.size() != want || key_hash.content.size() != want) {
    return malformed("CertID hash lengths do not match the hash algorithm");
  }
  auto magnitude = der::positive_integer_magnitude(serial.content);
  if (!magnitude) {
    return malformed("CertID serial number: " + magnitude.error().message);
  }
  if (magnitude->size() > kMaxSerialOctets) {
    return malformed("CertID serial number longer than 20 octets");
  }
  id.issuer_name_hash.assign(name_hash.content.begin(), name_hash.content.end());
  id.issuer_key_hash.assign(key_hash.content.begin(), key_hash.content.end());
  id.serial.assign(magnitude->begin(), magnitude->end());
  id.encoded.assign(cert_id.encoded.begin(), cert_id.encoded.end());
  return id;
}

Result<OcspRequest> parse_request(ByteView der, const OcspRequestLimits& limits) {
  // RFC 6960 §4.1.1: OCSPRequest ::= SEQUENCE { tbsRequest TBSRequest,
  //   optionalSignature [0] EXPLICIT Signature OPTIONAL }
  FLEETPKI_TRY(der::Element top, der::parse_single(der, der::tag::kSequence));
  der::Reader o(top.content);
  FLEETPKI_TRY(der::Element tbs, o.expect(der::tag::kSequence));
  FLEETPKI_TRY(auto signature, o.optional(der::tag::context(0, true)));
  FLEETPKI_RETURN_IF_ERROR(o.expect_end("OCSPRequest"));
  if (signature) {  // accepted and ignored (RFC 9919 clients do not sign), but well-formed
    FLEETPKI_TRY(der::Element sig, der::parse_single(signature->content, der::tag::kSequence));
    (void)sig;
  }

  // TBSRequest ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1,
  //   requestorName [1] EXPLICIT GeneralName OPTIONAL, requestList SEQUENCE OF Request,
  //   requestExtensions [2] EXPLICIT Extensions OPTIONAL }
  der::Reader t(tbs.content);
  FLEETPKI_TRY(auto version, t.optional(der::tag::context(0, true)));
  if (version) {
    FLEETPKI_TRY(der::Element v, der::parse_single(version->content, der::tag::kInteger));
    if (v.content.size() != 1 || v.content[0] != 0) {
      return malformed("unsupported version (v1 only)");
    }
  }
  FLEETPKI_TRY(auto requestor, t.optional(der::tag::context(1, true)));
  if (requestor) {  // ignored, but exactly one element
    der::Reader g(requestor->content);
    FLEETPKI_TRY(der::Element name, g.next());
    (void)name;
    FLEETPKI_RETURN_IF_ERROR(g.expect_end("requestorName"));
  }
  FLEETPKI_TRY(der::Element list, t.expect(der::tag::kSequence));
  FLEETPKI_TRY(auto extensions, t.optional(der::tag::context(2, true)));
  FLEETPKI_RETURN_IF_ERROR(t.expect_end("TBSRequest"));

  OcspRequest request;
  der::Reader l(list.content);
  while (!l.empty()) {
    if (request.cert_ids.size() >= limits.max_entries) {
      return malformed("more than " + std::to_string(limits.max_entries) + " requests");
    }
    // Request ::= SEQUENCE { reqCert CertID,
    //   singleRequestExtensions [0] EXPLICIT Extensions OPTIONAL }
    FLEETPKI_TRY(der::Element req, l.expect(der::tag::kSequence));
    der::Reader q(req.content);
    FLEETPKI_TRY(der::Element cert_id, q.expect(der::tag::kSequence));
    FLEETPKI_TRY(auto single_extensions, q.optional(der::tag::context(0, true)));
    FLEETPKI_RETURN_IF_ERROR(q.expect_end("Request"));
    FLEETPKI_TRY(OcspCertId id, parse_cert_id(cert_id));
    if (single_extensions) {
      FLEETPKI_RETURN_IF_ERROR(
          parse_extensions(single_extensions->content, "singleRequestExtensions", nullptr));
    }
    request.cert_ids.push_back(std::move(id));
  }
  if (request.cert_ids.empty()) {
    return malformed("empty requestList");
  }
  if (extensions) {
    FLEETPKI_RETURN_IF_ERROR(
        parse_extensions(extensions->content, "requestExtensions", &request.nonce));
  }
  return request;
}

// Extension SEQUENCE { extnID, extnValue } (never critical here).
template <std::size_t N>
void append_extension(Bytes& out, const detail::OidBytes<N>& oid, ByteView value) {
  Bytes content = oid_tlv(oid);
  der::append_tlv(content, der::tag::kOctetString, value);
  der::append_tlv(out, der::tag::kSequence, content);
}

// SingleResponse ::= SEQUENCE { certID, certStatus, thisUpdate GeneralizedTime,
//   nextUpdate [0] EXPLICIT GeneralizedTime OPTIONAL, singleExtensions [1] EXPLICIT … OPTIONAL }
Status append_single_response(Bytes& out, const OcspSingleResponse& r) {
  if (!der::parse_single(r.cert_id_der, der::tag::kSequence)) {
    return fail(Errc::InvalidArgument, "OCSP certID is not one DER SEQUENCE");
  }
  if (r.next_update <= r.this_update) {
    return fail(Errc::InvalidArgument, "OCSP nextUpdate must be after thisUpdate");
  }
  Bytes content;
  append(content, r.cert_id_der);
  switch (r.status) {
    case OcspCertStatus::Good:  // good [0] IMPLICIT NULL
      content.insert(content.end(), {der::tag::context(0, false), 0x00});
      break;
    case OcspCertStatus::Unknown:  // unknown [2] IMPLICIT NULL
      content.insert(content.end(), {der::tag::context(2, false), 0x00});
      break;
    case OcspCertStatus::Revoked: {
      // revoked [1] IMPLICIT RevokedInfo ::= SEQUENCE { revocationTime GeneralizedTime,
      //                                       revocationReason [0] EXPLICIT CRLReason OPTIONAL }
      FLEETPKI_TRY(Bytes info, encode_generalized_time(r.revocation_time));
      if (r.revocation_reason) {
        const CrlReason reason = *r.revocation_reason;
        if (!is_valid_crl_reason(static_cast<int>(reason)) || reason == CrlReason::RemoveFromCrl) {
          return fail(Errc::InvalidArgument, "invalid OCSP revocation reason");
        }
        // As in CRL entries (RFC 5280 §5.3.1), unspecified is left out rather than sent.
        if (reason != CrlReason::Unspecified) {
          const std::uint8_t code = static_cast<std::uint8_t>(reason);
          der::append_tlv(info, der::tag::context(0, true),
                          der::tlv(kEnumerated, ByteView(&code, 1)));
        }
      }
      der::append_tlv(content, der::tag::context(1, true), info);
      break;
    }
    default:
      return fail(Errc::InvalidArgument, "invalid OCSP certificate status");
  }
  FLEETPKI_TRY(Bytes this_update, encode_generalized_time(r.this_update));
  FLEETPKI_TRY(Bytes next_update, encode_generalized_time(r.next_update));
  append(content, this_update);
  der::append_tlv(content, der::tag::context(0, true), next_update);
  der::append_tlv(out, der::tag::kSequence, content);
  return ok();
}

}  // namespace

Result<OcspRequest> parse_ocsp_request(ByteView der, const OcspRequestLimits& limits) {
  auto request = parse_request(der, limits);
  if (!request) {
    return tl::unexpected(std::move(request).error().with_context("malformed OCSP request"));
  }
  return request;
}

Bytes encode_cert_id(OcspHashAlgorithm hash, ByteView issuer_name_hash, ByteView issuer_key_hash,
                     ByteView serial) {
  Bytes alg = hash == OcspHashAlgorithm::Sha1 ? oid_tlv(kSha1) : oid_tlv(kSha256);
  alg.insert(alg.end(), {der::tag::kNull, 0x00});
  Bytes content = der::tlv(der::tag::kSequence, alg);
  der::append_tlv(content, der::tag::kOctetString, issuer_name_hash);
  der::append_tlv(content, der::tag::kOctetString, issuer_key_hash);
  der::append_tlv(content, der::tag::kInteger, der::unsigned_integer_content(serial));
  return der::tlv(der::tag::kSequence, content);
}

Result<IssuerHashes> issuer_hashes(ByteView issuer_name_der, ByteView issuer_spki_der) {
  if (!der::parse_single(issuer_name_der, der::tag::kSequence)) {
    return fail(Errc::InvalidArgument, "issuer name is not a DER Name");
  }
  auto key = subject_public_key_bits(issuer_spki_der);
  if (!key) {
    return fail(Errc::InvalidArgument,
                "issuer key is not a DER SubjectPublicKeyInfo: " + key.error().message);
  }
  IssuerHashes h;
  FLEETPKI_TRY(h.name_sha1, digest("SHA1", issuer_name_der));
  FLEETPKI_TRY(h.key_sha1, digest("SHA1", *key));
  FLEETPKI_TRY(h.name_sha256, digest("SHA256", issuer_name_der));
  FLEETPKI_TRY(h.key_sha256, digest("SHA256", *key));
  return h;
}

Result<Bytes> responder_key_hash(ByteView spki_der) {
  auto key = subject_public_key_bits(spki_der);
  if (!key) {
    return fail(Errc::InvalidArgument,
                "responder key is not a DER SubjectPublicKeyInfo: " + key.error().message);
  }
  return digest("SHA1", *key);
}

// RFC 6960 §4.2.1: ResponseData ::= SEQUENCE { version [0] EXPLICIT DEFAULT v1 (omitted),
//   responderID ResponderID, producedAt GeneralizedTime, responses SEQUENCE OF SingleResponse,
//   responseExtensions [1] EXPLICIT Extensions OPTIONAL }
Result<Bytes> encode_response_data(const OcspResponseParts& parts) {
  if (parts.responder_key_hash.size() != 20) {
    return fail(Errc::InvalidArgument, "byKey ResponderID must be a 20-octet SHA-1 hash");
  }
  if (parts.responses.empty()) {
    return fail(Errc::InvalidArgument, "an OCSP response needs at least one SingleResponse");
  }
  if (parts.nonce && (parts.nonce->empty() || parts.nonce->size() > kMaxNonce)) {
    return fail(Errc::InvalidArgument, "OCSP nonce must be 1 to 32 octets");
  }
  FLEETPKI_TRY(Bytes produced_at, encode_generalized_time(parts.produced_at));
  Bytes responses;
  for (const auto& r : parts.responses) {
    FLEETPKI_RETURN_IF_ERROR(append_single_response(responses, r));
  }
  Bytes extensions;
  if (parts.nonce) {  // RFC 8954: the nonce echoed, double-wrapped
    append_extension(extensions, kIdPkixOcspNonce, der::tlv(der::tag::kOctetString, *parts.nonce));
  }
  if (parts.extended_revoke) {  // RFC 6960 §4.4.8: extnValue NULL
    static constexpr std::uint8_t kNull[] = {der::tag::kNull, 0x00};
    append_extension(extensions, kIdPkixOcspExtendedRevoke, kNull);
  }

  Bytes body;
  body.reserve(32 + produced_at.size() + responses.size() + extensions.size());
  // ResponderID byKey [2] EXPLICIT KeyHash (OCTET STRING).
  der::append_tlv(body, der::tag::context(2, true),
                  der::tlv(der::tag::kOctetString, parts.responder_key_hash));
  append(body, produced_at);
  der::append_tlv(body, der::tag::kSequence, responses);
  if (!extensions.empty()) {
    der::append_tlv(body, der::tag::context(1, true), der::tlv(der::tag::kSequence, extensions));
  }
  return der::tlv(der::tag::kSequence, body);
}

// RFC 6960 §4.2.1: OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED,
//   responseBytes [0] EXPLICIT SEQUENCE { responseType OID, response OCTET STRING } }
// BasicOCSPResponse ::= SEQUENCE { tbsResponseData, signatureAlgorithm, signature BIT STRING,
//   certs [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
Bytes assemble_ocsp_response(ByteView response_data, SignatureAlgorithm alg, ByteView signature,
                             const std::vector<ByteView>& certs) {
  const Bytes alg_der = signature_algorithm_der(alg);
  Bytes bits;
  bits.reserve(signature.size() + 1);
  bits.push_back(0x00);  // no unused bits
  append(bits, signature);
  Bytes basic;
  basic.reserve(response_data.size() + alg_der.size() + bits.size() + 16);
  append(basic, response_data);
  append(basic, alg_der);
  der::append_tlv(basic, der::tag::kBitString, bits);
  if (!certs.empty()) {
    Bytes list;
    for (ByteView cert : certs) {
      append(list, cert);
    }
    der::append_tlv(basic, der::tag::context(0, true), der::tlv(der::tag::kSequence, list));
  }
  Bytes response_bytes = oid_tlv(kIdPkixOcspBasic);
  der::append_tlv(response_bytes, der::tag::kOctetString, der::tlv(der::tag::kSequence, basic));
  Bytes content = {kEnumerated, 0x01, 0x00};  // successful (0)
  der::append_tlv(content, der::tag::context(0, true),
                  der::tlv(der::tag::kSequence, response_bytes));
  return der::tlv(der::tag::kSequence, content);
}

Bytes encode_ocsp_error(OcspResponseStatus status) {
  const int code = static_cast<int>(status);
  FLEETPKI_CHECK(status != OcspResponseStatus::Successful && code >= 1 && code <= 6 && code != 4,
                 "encode_ocsp_error takes an unsuccessful OCSPResponseStatus (RFC 6960 §4.2.1)");
  return {der::tag::kSequence, 0x03, kEnumerated, 0x01, static_cast<std::uint8_t>(code)};
}

}  // namespace fleetpki::pki
