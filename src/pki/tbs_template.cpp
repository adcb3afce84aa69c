// TBSCertificate assembly (RFC 5280 §4.1): fixed parts encoded once in create(), the per-certificate
// parts written by encode() with no OpenSSL object in between.
#include "pki/tbs_template.h"

#include "pki/asn1_time.h"
#include "pki/der.h"
#include "pki/extensions.h"

namespace fleetpki::pki {
namespace {

// Pre-encoded OBJECT IDENTIFIER TLVs of the per-certificate extensions.
constexpr std::uint8_t kOidSki[] = {0x06, 0x03, 0x55, 0x1D, 0x0E};
constexpr std::uint8_t kOidSan[] = {0x06, 0x03, 0x55, 0x1D, 0x11};
// GeneralizedTime 99991231235959Z (RFC 5280 §4.1.2.5).
constexpr std::uint8_t kNoExpiry[] = {0x18, 0x0F, 0x39, 0x39, 0x39, 0x39, 0x31, 0x32, 0x33,
                                      0x31, 0x32, 0x33, 0x35, 0x39, 0x35, 0x39, 0x5A};
// [0] EXPLICIT Version v3 (INTEGER 2).
constexpr std::uint8_t kVersion3[] = {0xA0, 0x03, 0x02, 0x01, 0x02};

void append_extension(Bytes& out, ByteView oid_tlv, bool critical, ByteView value) {
  Bytes content;
  content.reserve(oid_tlv.size() + value.size() + 8);
  content.insert(content.end(), oid_tlv.begin(), oid_tlv.end());
  if (critical) {
    content.insert(content.end(), {0x01, 0x01, 0xFF});
  }
  der::append_tlv(content, der::tag::kOctetString, value);
  der::append_tlv(out, der::tag::kSequence, content);
}

void append(Bytes& out, ByteView b) { out.insert(out.end(), b.begin(), b.end()); }

bool valid_url(const std::string& url) {
  std::size_t colon = url.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == url.size()) {
    return false;
  }
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!alpha(url[0])) {
    return false;
  }
  for (std::size_t i = 0; i < url.size(); ++i) {
    char c = url[i];
    if (c <= 0x20 || c >= 0x7F) {
      return false;
    }
    if (i < colon && !alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') {
      return false;
    }
  }
  return true;
}

Status check_urls(const std::vector<std::string>& urls, std::string_view what) {
  for (const auto& url : urls) {
    if (!valid_url(url)) {
      return fail(Errc::InvalidArgument, "bad " + std::string(what) + " URL \"" + url + "\"");
    }
  }
  return ok();
}

// RFC 5280 §4.1.2.2: positive, at most 20 octets, minimal.
Status check_serial(ByteView s) {
  if (s.empty() || s.size() > 20) {
    return fail(Errc::InvalidArgument, "serial must be 1 to 20 octets");
  }
  if ((s[0] & 0x80) != 0) {
    return fail(Errc::InvalidArgument, "serial must be positive");
  }
  if (s[0] == 0 && (s.size() == 1 || (s[1] & 0x80) == 0)) {
    return fail(Errc::InvalidArgument, "serial must be positive and minimally encoded");
  }
  return ok();
}

// RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a particular
// extension"; the ones the template writes itself are refused here.
Status append_extra_extensions(Bytes& out, const std::vector<ExtraExtensionPart>& extras) {
  static constexpr std::string_view kOwn[] = {"2.5.29.19", "2.5.29.15", "2.5.29.37", "2.5.29.14",
                                              "2.5.29.35", "2.5.29.17", "2.5.29.31", "1.3.6.1.5.5.7.1.1",
                                              "1.3.6.1.5.5.7.48.1.5"};
  for (std::size_t i = 0; i < extras.size(); ++i) {
    const ExtraExtensionPart& e = extras[i];
    for (std::string_view own : kOwn) {
      if (e.oid == own) {
        return fail(Errc::InvalidArgument, "extra extension " + e.oid + " is written by the CA itself");
      }
    }
    for (std::size_t k = 0; k < i; ++k) {
      if (extras[k].oid == e.oid) {
        return fail(Errc::InvalidArgument, "extra extension " + e.oid + " appears twice");
      }
    }
    FLEETPKI_TRY(Bytes oid, der::oid(e.oid));
    der::Reader value(e.value);
    auto element = value.next();
    if (!element || !value.expect_end("extension value")) {
      return fail(Errc::InvalidArgument, "extra extension " + e.oid + ": value is not one DER element");
    }
    append_extension(out, oid, e.critical, e.value);
  }
  return ok();
}

}  // namespace

Result<TbsTemplate> TbsTemplate::create(const TbsFixedParts& fixed) {
  if (fixed.path_len && fixed.basic_constraints_ca != true) {
    return fail(Errc::InvalidArgument, "pathLenConstraint requires basicConstraints cA TRUE");
  }
  if (fixed.path_len && *fixed.path_len < 0) {
    return fail(Errc::InvalidArgument, "pathLenConstraint must not be negative");
  }
  if (!fixed.issuer_name_der.empty()) {
    auto issuer = der::parse_single(fixed.issuer_name_der, der::tag::kSequence);
    if (!issuer) {
      return fail(Errc::InvalidArgument, "issuer name is not a DER Name: " + issuer.error().message);
    }
    if (issuer->content.empty()) {  // RFC 5280 §4.1.2.4
      return fail(Errc::InvalidArgument, "issuer name must not be empty");
    }
  }
  if ((fixed.key_usage & ~0x01FFu) != 0) {
    return fail(Errc::InvalidArgument, "unknown keyUsage bits");
  }
  FLEETPKI_RETURN_IF_ERROR(check_urls(fixed.crl_urls, "CRL distribution point"));
  FLEETPKI_RETURN_IF_ERROR(check_urls(fixed.ocsp_urls, "OCSP"));
  FLEETPKI_RETURN_IF_ERROR(check_urls(fixed.ca_issuer_urls, "CA issuers"));

  TbsTemplate t;
  t.fixed_ = fixed;
  t.algorithm_der_ = signature_algorithm_der(fixed.signature_algorithm);
  // RFC 5280 §4.2.1.9: critical in CA certificates; we mark it critical whenever present.
  if (fixed.basic_constraints_ca) {
    append(t.fixed_extensions_der_,
           encode_extension("2.5.29.19", true,
                            basic_constraints_value(*fixed.basic_constraints_ca, fixed.path_len)));
  }
  // RFC 5280 §4.2.1.3: SHOULD be critical.
  if (fixed.key_usage != 0) {
    append(t.fixed_extensions_der_,
           encode_extension("2.5.29.15", true, key_usage_value(fixed.key_usage)));
  }
  if (!fixed.ext_key_usages.empty()) {
    FLEETPKI_TRY(Bytes eku, ext_key_usage_value(fixed.ext_key_usages));
    append(t.fixed_extensions_der_, encode_extension("2.5.29.37", false, eku));
  }
  if (!fixed.authority_key_id.empty()) {
    append(t.fixed_extensions_tail_der_,
           encode_extension("2.5.29.35", false,
                            authority_key_identifier_value(fixed.authority_key_id)));
    t.aki_size_ = t.fixed_extensions_tail_der_.size();
  }
  if (!fixed.crl_urls.empty()) {  // SHOULD be non-critical
    append(t.fixed_extensions_tail_der_,
           encode_extension("2.5.29.31", false, crl_distribution_points_value(fixed.crl_urls)));
  }
  if (!fixed.ocsp_urls.empty() || !fixed.ca_issuer_urls.empty()) {  // MUST be non-critical
    append(t.fixed_extensions_tail_der_,
           encode_extension("1.3.6.1.5.5.7.1.1", false,
                            authority_info_access_value(fixed.ocsp_urls, fixed.ca_issuer_urls)));
  }
  if (fixed.ocsp_no_check) {  // RFC 6960 §4.2.2.2.1: extnValue is NULL
    static constexpr std::uint8_t kNull[] = {0x05, 0x00};
    append(t.fixed_extensions_tail_der_, encode_extension("1.3.6.1.5.5.7.48.1.5", false, kNull));
  }
  FLEETPKI_RETURN_IF_ERROR(append_extra_extensions(t.fixed_extensions_tail_der_, fixed.extra_extensions));
  return t;
}

Result<Bytes> TbsTemplate::encode(const TbsVariableParts& v) const {
  FLEETPKI_RETURN_IF_ERROR(check_serial(v.serial));
  FLEETPKI_TRY(Bytes not_before, encode_time(v.not_before));
  Bytes not_after;
  if (v.not_after) {
    if (*v.not_after < v.not_before) {
      return fail(Errc::InvalidArgument, "notAfter is before notBefore");
    }
    FLEETPKI_TRY(not_after, encode_time(*v.not_after));
  } else {
    not_after.assign(std::begin(kNoExpiry), std::end(kNoExpiry));
  }
  auto subject = der::parse_single(v.subject_name_der, der::tag::kSequence);
  if (!subject) {
    return fail(Errc::InvalidArgument, "subject is not a DER Name: " + subject.error().message);
  }
  auto spki = der::parse_single(v.spki_der, der::tag::kSequence);
  if (!spki) {
    return fail(Errc::InvalidArgument,
                "subjectPublicKeyInfo is not a DER SEQUENCE: " + spki.error().message);
  }
  const bool empty_subject = subject->content.empty();
  const bool has_san = v.subject_alt_names != nullptr && !v.subject_alt_names->empty();
  if (empty_subject && !has_san) {  // RFC 5280 §4.1.2.6
    return fail(Errc::InvalidArgument, "an empty subject requires subjectAltName");
  }
  ByteView issuer = fixed_.issuer_name_der;
  if (issuer.empty()) {
    if (empty_subject) {
      return fail(Errc::InvalidArgument, "a self-signed certificate needs a non-empty subject");
    }
    issuer = v.subject_name_der;
  }

  // Order: basicConstraints, keyUsage, extKeyUsage, SKI, AKI, SAN, CRL DP, AIA, ocsp-nocheck, extras.
  Bytes extensions;
  extensions.reserve(fixed_extensions_der_.size() + fixed_extensions_tail_der_.size() + 256);
  append(extensions, fixed_extensions_der_);
  if (!v.subject_key_id.empty()) {
    append_extension(extensions, kOidSki, false, key_identifier_value(v.subject_key_id));
  }
  const ByteView tail = fixed_extensions_tail_der_;
  append(extensions, tail.first(aki_size_));
  if (has_san) {
    // RFC 5280 §4.2.1.6: critical when the subject field is an empty sequence.
    append_extension(extensions, kOidSan, empty_subject,
                     subject_alt_name_value(*v.subject_alt_names));
  }
  append(extensions, tail.subspan(aki_size_));

  Bytes body;
  body.reserve(64 + v.serial.size() + algorithm_der_.size() + issuer.size() +
               v.subject_name_der.size() + v.spki_der.size() + extensions.size());
  append(body, kVersion3);
  der::append_tlv(body, der::tag::kInteger, v.serial);
  append(body, algorithm_der_);
  append(body, issuer);
  Bytes validity;
  validity.reserve(not_before.size() + not_after.size());
  append(validity, not_before);
  append(validity, not_after);
  der::append_tlv(body, der::tag::kSequence, validity);
  append(body, v.subject_name_der);
  append(body, v.spki_der);
  if (!extensions.empty()) {
    der::append_tlv(body, der::tag::context(3, true), der::tlv(der::tag::kSequence, extensions));
  }
  return der::tlv(der::tag::kSequence, body);
}

Bytes assemble_certificate(ByteView tbs, SignatureAlgorithm alg, ByteView signature) {
  Bytes alg_der = signature_algorithm_der(alg);
  Bytes bits;
  bits.reserve(signature.size() + 1);
  bits.push_back(0x00);  // no unused bits
  append(bits, signature);
  Bytes body;
  body.reserve(tbs.size() + alg_der.size() + bits.size() + 8);
  append(body, tbs);
  append(body, alg_der);
  der::append_tlv(body, der::tag::kBitString, bits);
  return der::tlv(der::tag::kSequence, body);
}

}  // namespace fleetpki::pki
