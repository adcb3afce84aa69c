// X.509 v3 extension encoders (RFC 5280 §4.2). DEFAULT values are never encoded (X.690 §11.5).
#include "pki/extensions.h"

#include "common/check.h"
#include "pki/der.h"

namespace fleetpki::pki {

Bytes encode_extension(std::string_view dotted_oid, bool critical, ByteView value) {
  auto oid = der::oid(dotted_oid);
  FLEETPKI_CHECK(oid.has_value(), "extension OIDs are constants of the code base");
  Bytes content = std::move(*oid);
  if (critical) {
    static constexpr std::uint8_t kTrue[] = {0x01, 0x01, 0xFF};
    content.insert(content.end(), std::begin(kTrue), std::end(kTrue));
  }
  der::append_tlv(content, der::tag::kOctetString, value);
  return der::tlv(der::tag::kSequence, content);
}

// RFC 5280 §4.2.1.9: BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE,
// pathLenConstraint INTEGER (0..MAX) OPTIONAL }. cA FALSE encodes as 30 00.
Bytes basic_constraints_value(bool ca, std::optional<int> path_len) {
  Bytes content;
  if (ca) {
    content = {0x01, 0x01, 0xFF};
    if (path_len && *path_len >= 0) {
      der::append_tlv(content, der::tag::kInteger,
                      der::integer_content(static_cast<std::uint64_t>(*path_len)));
    }
  }
  return der::tlv(der::tag::kSequence, content);
}

// RFC 5280 §4.2.1.3 with X.690 §11.2.2: named bit list, trailing zero bits removed.
Bytes key_usage_value(std::uint16_t bits) {
  bits &= 0x01FF;
  int highest = -1;
  for (int i = 0; i < 9; ++i) {
    if ((bits >> i) & 1) {
      highest = i;
    }
  }
  if (highest < 0) {
    return {0x03, 0x01, 0x00};
  }
  const std::size_t nbits = static_cast<std::size_t>(highest) + 1;
  const std::size_t nbytes = (nbits + 7) / 8;
  Bytes content(1 + nbytes, 0);
  content[0] = static_cast<std::uint8_t>(nbytes * 8 - nbits);
  for (std::size_t i = 0; i < nbits; ++i) {
    if ((bits >> i) & 1) {
      content[1 + i / 8] |= static_cast<std::uint8_t>(0x80 >> (i % 8));
    }
  }
  return der::tlv(der::tag::kBitString, content);
}

Result<Bytes> ext_key_usage_value(const std::vector<std::string>& dotted_oids) {
  if (dotted_oids.empty()) {
    return fail(Errc::InvalidArgument, "extKeyUsage needs at least one purpose");
  }
  Bytes content;
  for (const auto& dotted : dotted_oids) {
    FLEETPKI_TRY(Bytes oid, der::oid(dotted));
    content.insert(content.end(), oid.begin(), oid.end());
  }
  return der::tlv(der::tag::kSequence, content);
}

Bytes key_identifier_value(ByteView key_id) { return der::tlv(der::tag::kOctetString, key_id); }

// RFC 5280 §4.2.1.1: AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT … }
Bytes authority_key_identifier_value(ByteView key_id) {
  return der::tlv(der::tag::kSequence, der::tlv(der::tag::context(0, false), key_id));
}

Bytes subject_alt_name_value(const std::vector<GeneralName>& names) {
  Bytes content;
  for (const auto& n : names) {
    content.insert(content.end(), n.der.begin(), n.der.end());
  }
  return der::tlv(der::tag::kSequence, content);
}

// RFC 5280 §4.2.1.13: one DistributionPoint whose fullName lists every URL (alternatives for the
// same CRL): SEQUENCE { SEQUENCE { [0] { [0] { [6] url … } } } }.
Bytes crl_distribution_points_value(const std::vector<std::string>& urls) {
  Bytes full_name;
  for (const auto& url : urls) {
    der::append_tlv(full_name, der::tag::context(6, false), as_bytes(url));
  }
  Bytes dp_name = der::tlv(der::tag::context(0, true), full_name);
  Bytes dp = der::tlv(der::tag::context(0, true), dp_name);
  return der::tlv(der::tag::kSequence, der::tlv(der::tag::kSequence, dp));
}

// RFC 5280 §4.2.2.1: SEQUENCE OF AccessDescription { accessMethod, accessLocation GeneralName }.
Bytes authority_info_access_value(const std::vector<std::string>& ocsp_urls,
                                  const std::vector<std::string>& ca_issuer_urls) {
  static constexpr std::uint8_t kIdAdOcsp[] = {0x06, 0x08, 0x2B, 0x06, 0x01,
                                               0x05, 0x05, 0x07, 0x30, 0x01};
  static constexpr std::uint8_t kIdAdCaIssuers[] = {0x06, 0x08, 0x2B, 0x06, 0x01,
                                                    0x05, 0x05, 0x07, 0x30, 0x02};
  Bytes content;
  auto add = [&content](ByteView method, const std::string& url) {
    Bytes ad(method.begin(), method.end());
    der::append_tlv(ad, der::tag::context(6, false), as_bytes(url));
    der::append_tlv(content, der::tag::kSequence, ad);
  };
  for (const auto& url : ocsp_urls) {
    add(kIdAdOcsp, url);
  }
  for (const auto& url : ca_issuer_urls) {
    add(kIdAdCaIssuers, url);
  }
  return der::tlv(der::tag::kSequence, content);
}

}  // namespace fleetpki::pki
