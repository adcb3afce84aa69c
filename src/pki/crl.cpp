// CRL encoding (RFC 5280 §5) with the strict DER writer: entries encoded once per revocation,
// TBSCertList assembled from them, the envelope shared with certificates.
#include "pki/crl.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "pki/asn1_time.h"
#include "pki/der.h"
#include "pki/extensions.h"
#include "pki/tbs_template.h"

namespace fleetpki::pki {
namespace {

tl::unexpected<Error> invalid(std::string why) {
  return fail(Errc::InvalidArgument, std::move(why));
}

// Pre-encoded OBJECT IDENTIFIER TLVs of the per-entry extensions (RFC 5280 §5.3).
constexpr std::uint8_t kOidReasonCode[] = {0x06, 0x03, 0x55, 0x1D, 0x15};      // 2.5.29.21
constexpr std::uint8_t kOidInvalidityDate[] = {0x06, 0x03, 0x55, 0x1D, 0x18};  // 2.5.29.24
// TBSCertList version v2 (RFC 5280 §5.1.2.1): INTEGER 1, not tagged.
constexpr std::uint8_t kVersion2[] = {0x02, 0x01, 0x01};
constexpr std::uint8_t kEnumerated = 0x0A;

struct ReasonName {
  CrlReason reason;
  std::string_view name;
};
// RFC 5280 §5.3.1 spelling.
constexpr std::array<ReasonName, 10> kReasonNames{{
    {CrlReason::Unspecified, "unspecified"},
    {CrlReason::KeyCompromise, "keyCompromise"},
    {CrlReason::CaCompromise, "cACompromise"},
    {CrlReason::AffiliationChanged, "affiliationChanged"},
    {CrlReason::Superseded, "superseded"},
    {CrlReason::CessationOfOperation, "cessationOfOperation"},
    {CrlReason::CertificateHold, "certificateHold"},
    {CrlReason::RemoveFromCrl, "removeFromCRL"},
    {CrlReason::PrivilegeWithdrawn, "privilegeWithdrawn"},
    {CrlReason::AaCompromise, "aACompromise"},
}};

void append(Bytes& out, ByteView b) {
  out.insert(out.end(), b.begin(), b.end());
}

// A non-critical Extension SEQUENCE { extnID, extnValue } from a pre-encoded OID TLV: the
// per-entry path, where encode_extension()'s dotted-OID parse would dominate.
void append_extension(Bytes& out, ByteView oid_tlv, ByteView value) {
  Bytes content;
  content.reserve(oid_tlv.size() + value.size() + 4);
  append(content, oid_tlv);
  der::append_tlv(content, der::tag::kOctetString, value);
  der::append_tlv(out, der::tag::kSequence, content);
}

// GeneralName uniformResourceIdentifier is an IA5String (RFC 5280 §4.2.1.6): printable ASCII with
// a scheme. The same URL must also be accepted by TbsTemplate for the certificates' CDP.
Status check_url(const std::string& url, std::string_view what) {
  const std::size_t colon = url.find(':');
  bool ok = colon != std::string::npos && colon > 0 && colon + 1 < url.size() &&
            ((url[0] >= 'a' && url[0] <= 'z') || (url[0] >= 'A' && url[0] <= 'Z'));
  for (char c : url) {
    ok = ok && c > 0x20 && c < 0x7F;
  }
  if (!ok) {
    return invalid("bad " + std::string(what) + " URL \"" + url + "\"");
  }
  return fleetpki::ok();
}

// The DistributionPointName [0] { fullName [0] { [6] url } }, cut out of the cRLDistributionPoints
// value that pki/extensions writes into certificates: the IDP name is then byte-identical to the
// CDP of every certificate in scope by construction (RFC 5280 §5.2.5).
Result<Bytes> distribution_point_name(const std::string& url) {
  const Bytes cdp = crl_distribution_points_value({url});
  FLEETPKI_TRY(der::Element points, der::parse_single(cdp, der::tag::kSequence));
  FLEETPKI_TRY(der::Element point, der::parse_single(points.content, der::tag::kSequence));
  FLEETPKI_TRY(der::Element name, der::parse_single(point.content, der::tag::context(0, true)));
  return Bytes(name.encoded.begin(), name.encoded.end());
}

// IssuingDistributionPoint ::= SEQUENCE { distributionPoint [0] DistributionPointName OPTIONAL,
//   onlyContainsUserCerts [1] BOOLEAN DEFAULT FALSE, … } (RFC 5280 §5.2.5; implicit tags).
Result<Bytes> issuing_distribution_point_value(const CrlFixedParts& fixed) {
  Bytes content;
  if (!fixed.distribution_point_url.empty()) {
    FLEETPKI_TRY(Bytes name, distribution_point_name(fixed.distribution_point_url));
    append(content, name);
  }
  if (fixed.only_contains_user_certs) {
    static constexpr std::uint8_t kTrue[] = {0xFF};
    der::append_tlv(content, der::tag::context(1, false), kTrue);
  }
  return der::tlv(der::tag::kSequence, content);
}

}  // namespace

Result<Bytes> encode_generalized_time(TimePoint t) {
  // encode_time() already writes GeneralizedTime from 2050; below that its UTCTime YYMMDDHHMMSSZ
  // only needs the century (RFC 5280 §4.1.2.5.1: YY >= 50 is 19YY, else 20YY).
  FLEETPKI_TRY(Bytes time, encode_time(t));
  if (time[0] == der::tag::kGeneralizedTime) {
    return time;
  }
  const bool nineteen = time[2] >= '5';
  std::array<std::uint8_t, 15> digits{};
  digits[0] = nineteen ? '1' : '2';
  digits[1] = nineteen ? '9' : '0';
  std::copy(time.begin() + 2, time.end(), digits.begin() + 2);
  return der::tlv(der::tag::kGeneralizedTime, digits);
}

std::string_view crl_reason_name(CrlReason reason) {
  for (const auto& r : kReasonNames) {
    if (r.reason == reason) {
      return r.name;
    }
  }
  return "unknown";
}

Result<CrlReason> parse_crl_reason(std::string_view text) {
  for (const auto& r : kReasonNames) {
    if (r.name == text) {
      return r.reason;
    }
  }
  int value = -1;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  const bool canonical = text.size() == 1 || (text.size() == 2 && text[0] != '0');
  if (canonical && ec == std::errc() && ptr == text.data() + text.size() &&
      is_valid_crl_reason(value)) {
    return static_cast<CrlReason>(value);
  }
  return invalid("unknown CRL reason \"" + std::string(text) + "\"");
}

bool is_valid_crl_reason(int value) {
  return value >= 0 && value <= 10 && value != 7;
}

// RFC 5280 §5.1.2.6: SEQUENCE { userCertificate CertificateSerialNumber, revocationDate Time,
// crlEntryExtensions Extensions OPTIONAL }.
Result<Bytes> encode_crl_entry(ByteView serial, TimePoint revocation_date,
                               std::optional<CrlReason> reason,
                               std::optional<TimePoint> invalidity_date) {
  const Bytes serial_content = der::unsigned_integer_content(serial);
  // Content octets: a 00 sign octet is added only before a magnitude with its top bit set, so
  // 1..20 magnitude octets (serial_from_hex's range) give at most 21.
  if (serial_content.size() == 1 && serial_content[0] == 0) {
    return invalid("CRL entry serial must be positive");
  }
  if (serial_content.size() > 21 || (serial_content.size() == 21 && serial_content[0] != 0)) {
    return invalid("CRL entry serial must be at most 20 octets");
  }
  if (reason && !is_valid_crl_reason(static_cast<int>(*reason))) {
    return invalid("invalid CRL reason code");
  }
  FLEETPKI_TRY(Bytes date, encode_time(revocation_date));

  Bytes extensions;
  // RFC 5280 §5.3.1: "the reason code CRL entry extension SHOULD be absent instead of using the
  // unspecified (0) reasonCode value".
  if (reason && *reason != CrlReason::Unspecified) {
    const std::uint8_t code = static_cast<std::uint8_t>(*reason);
    append_extension(extensions, kOidReasonCode, der::tlv(kEnumerated, ByteView(&code, 1)));
  }
  // RFC 5280 §5.3.2: invalidityDate ::= GeneralizedTime.
  if (invalidity_date) {
    FLEETPKI_TRY(Bytes when, encode_generalized_time(*invalidity_date));
    append_extension(extensions, kOidInvalidityDate, when);
  }

  Bytes content;
  content.reserve(serial_content.size() + date.size() + extensions.size() + 12);
  der::append_tlv(content, der::tag::kInteger, serial_content);
  append(content, date);
  if (!extensions.empty()) {
    der::append_tlv(content, der::tag::kSequence, extensions);
  }
  return der::tlv(der::tag::kSequence, content);
}

// RFC 5280 §5.1: TBSCertList ::= SEQUENCE { version v2, signature, issuer, thisUpdate,
// nextUpdate, revokedCertificates SEQUENCE OF … OPTIONAL, crlExtensions [0] EXPLICIT OPTIONAL }.
//
// Performance: the entries are pre-encoded, so the work is one concatenation. Each entry is checked
// to be exactly one DER SEQUENCE (a header read, no allocation). The entry bytes are then copied
// three times (revokedCertificates, TBSCertList body, outer SEQUENCE), since der.h writes a TLV only
// from finished content. Measured 2026-11-22 on the 2-core VM under load (a scratch program, -O2):
// 1,000,000 entries of ~40 octets (40 MB) in ~0.18 s: check ~25 ms, gather ~45 ms, each of the two
// whole-buffer copies ~40 ms (mostly page faults of the fresh 40 MB buffers). A header-only writer
// in der.h would remove those two copies.
Result<Bytes> encode_tbs_crl(const CrlFixedParts& fixed, const CrlVariableParts& variable) {
  if (fixed.authority_key_id.empty()) {  // RFC 5280 §5.2.1: MUST be included
    return invalid("a CRL needs the issuer's key identifier (authorityKeyIdentifier)");
  }
  auto issuer = der::parse_single(fixed.issuer_name_der, der::tag::kSequence);
  if (!issuer) {
    return invalid("CRL issuer is not a DER Name: " + issuer.error().message);
  }
  if (issuer->content.empty()) {  // RFC 5280 §5.1.2.3
    return invalid("CRL issuer name must not be empty");
  }
  if (variable.next_update <= variable.this_update) {
    return invalid("nextUpdate must be after thisUpdate");
  }
  if (variable.delta_base && *variable.delta_base >= variable.number) {
    return invalid("a delta CRL's number must be greater than its BaseCRLNumber");
  }
  if (variable.delta_base && !variable.freshest_crl_url.empty()) {  // RFC 5280 §5.2.6
    return invalid("freshestCRL must not appear in a delta CRL");
  }
  if (!fixed.distribution_point_url.empty()) {
    FLEETPKI_RETURN_IF_ERROR(check_url(fixed.distribution_point_url, "issuing distribution point"));
  }
  if (!variable.freshest_crl_url.empty()) {
    FLEETPKI_RETURN_IF_ERROR(check_url(variable.freshest_crl_url, "freshest CRL"));
  }
  FLEETPKI_TRY(Bytes this_update, encode_time(variable.this_update));
  FLEETPKI_TRY(Bytes next_update, encode_time(variable.next_update));

  // Extensions, in the order of RFC 5280 §5.2: AKI, cRLNumber, deltaCRLIndicator, IDP, freshestCRL.
  Bytes extensions;
  append(extensions, encode_extension("2.5.29.35", false,
                                      authority_key_identifier_value(fixed.authority_key_id)));
  // §5.2.3: non-critical, a non-negative INTEGER (a uint64 always fits the 20-octet bound).
  append(extensions,
         encode_extension("2.5.29.20", false,
                          der::tlv(der::tag::kInteger, der::integer_content(variable.number))));
  if (variable.delta_base) {  // §5.2.4: critical, BaseCRLNumber
    append(extensions, encode_extension("2.5.29.27", true,
                                        der::tlv(der::tag::kInteger,
                                                 der::integer_content(*variable.delta_base))));
  }
  if (!fixed.distribution_point_url.empty() || fixed.only_contains_user_certs) {  // §5.2.5
    FLEETPKI_TRY(Bytes idp, issuing_distribution_point_value(fixed));
    append(extensions, encode_extension("2.5.29.28", true, idp));
  }
  if (!variable.freshest_crl_url.empty()) {  // §5.2.6: non-critical, CRLDistributionPoints syntax
    append(extensions,
           encode_extension("2.5.29.46", false,
                            crl_distribution_points_value({variable.freshest_crl_url})));
  }
  const Bytes extensions_field =
      der::tlv(der::tag::context(0, true), der::tlv(der::tag::kSequence, extensions));

  std::size_t entries_size = 0;
  for (ByteView entry : variable.entries) {
    auto e = der::parse_single(entry, der::tag::kSequence);
    if (!e) {
      return invalid("CRL entry is not one DER SEQUENCE (use encode_crl_entry)");
    }
    entries_size += entry.size();
  }
  Bytes revoked;
  if (!variable.entries.empty()) {  // RFC 5280 §5.1.2.6: absent when there are no entries
    revoked.reserve(entries_size);
    for (ByteView entry : variable.entries) {
      append(revoked, entry);
    }
  }

  const Bytes algorithm = signature_algorithm_der(fixed.signature_algorithm);
  Bytes body;
  body.reserve(sizeof kVersion2 + algorithm.size() + fixed.issuer_name_der.size() +
               this_update.size() + next_update.size() + revoked.size() + 8 +
               extensions_field.size());
  append(body, kVersion2);
  append(body, algorithm);
  append(body, fixed.issuer_name_der);
  append(body, this_update);
  append(body, next_update);
  if (!variable.entries.empty()) {
    der::append_tlv(body, der::tag::kSequence, revoked);
  }
  append(body, extensions_field);
  return der::tlv(der::tag::kSequence, body);
}

// CertificateList has the same envelope as Certificate (RFC 5280 §5.1 and §4.1).
Bytes assemble_crl(ByteView tbs, SignatureAlgorithm alg, ByteView signature) {
  return assemble_certificate(tbs, alg, signature);
}

}  // namespace fleetpki::pki
