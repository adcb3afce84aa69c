// PKCS#10 (RFC 2986) parsed with our strict DER reader and verified with the request's own key.
// This is the issuance hot path: no d2i_X509_REQ, one EVP_PKEY_fromdata and one verification.
#include "pki/csr.h"

#include <algorithm>

#include "pki/der.h"
#include "pki/detail/oids.h"
#include "pki/detail/strings.h"
#include "pki/extensions.h"
#include "pki/pem.h"

namespace fleetpki::pki {
namespace {

tl::unexpected<Error> invalid(std::string why) { return fail(Errc::InvalidArgument, std::move(why)); }

// RFC 5280 §4.2.1.3 KeyUsage BIT STRING → our bit mask (bit 0 = digitalSignature).
Result<std::uint16_t> decode_key_usage(ByteView value) {
  FLEETPKI_TRY(der::Element bits, der::parse_single(value, der::tag::kBitString));
  if (bits.content.empty() || bits.content[0] > 7 ||
      (bits.content.size() == 1 && bits.content[0] != 0)) {
    return invalid("malformed keyUsage");
  }
  std::uint16_t mask = 0;
  const std::size_t nbits = (bits.content.size() - 1) * 8 - bits.content[0];
  for (std::size_t i = 0; i < nbits && i < 9; ++i) {
    if ((bits.content[1 + i / 8] & (0x80 >> (i % 8))) != 0) {
      mask = static_cast<std::uint16_t>(mask | (1u << i));
    }
  }
  return mask;
}

Status parse_extension_request(ByteView extensions_der, RequestedExtensions& req) {
  // Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension
  FLEETPKI_TRY(der::Element exts, der::parse_single(extensions_der, der::tag::kSequence));
  std::vector<ByteView> seen;
  der::Reader r(exts.content);
  while (!r.empty()) {
    FLEETPKI_TRY(der::Element ext, r.expect(der::tag::kSequence));
    der::Reader f(ext.content);
    FLEETPKI_TRY(der::Element id, f.expect(der::tag::kOid));
    FLEETPKI_TRY(auto critical, f.optional(der::tag::kBoolean));
    if (critical) {
      FLEETPKI_TRY(bool c, der::decode_boolean(critical->content));
      (void)c;
    }
    FLEETPKI_TRY(der::Element value_os, f.expect(der::tag::kOctetString));
    FLEETPKI_RETURN_IF_ERROR(f.expect_end("Extension"));
    FLEETPKI_TRY(std::string dotted, der::decode_oid(id.content));
    if (std::any_of(seen.begin(), seen.end(), [&](ByteView s) {
          return std::equal(s.begin(), s.end(), id.content.begin(), id.content.end());
        })) {
      return invalid("extension " + dotted + " requested twice");
    }
    seen.push_back(id.content);
    const ByteView value = value_os.content;
    if (detail::oid_equals(id.content, detail::kBasicConstraints)) {
      FLEETPKI_TRY(der::Element bc, der::parse_single(value, der::tag::kSequence));
      der::Reader br(bc.content);
      FLEETPKI_TRY(auto ca, br.optional(der::tag::kBoolean));
      if (ca) {
        FLEETPKI_TRY(req.basic_constraints_ca, der::decode_boolean(ca->content));
      }
      FLEETPKI_TRY(auto path_len, br.optional(der::tag::kInteger));
      (void)path_len;
      FLEETPKI_RETURN_IF_ERROR(br.expect_end("basicConstraints"));
    } else if (detail::oid_equals(id.content, detail::kKeyUsage)) {
      FLEETPKI_TRY(std::uint16_t ku, decode_key_usage(value));
      req.key_usage = ku;
      req.key_cert_sign = (ku & (kKeyCertSign | kCrlSign)) != 0;
    } else if (detail::oid_equals(id.content, detail::kExtKeyUsage)) {
      FLEETPKI_TRY(der::Element eku, der::parse_single(value, der::tag::kSequence));
      der::Reader er(eku.content);
      while (!er.empty()) {
        FLEETPKI_TRY(der::Element purpose, er.expect(der::tag::kOid));
        FLEETPKI_TRY(std::string p, der::decode_oid(purpose.content));
        req.ext_key_usages.push_back(std::move(p));
      }
    } else if (detail::oid_equals(id.content, detail::kSubjectAltName)) {
      FLEETPKI_TRY(req.subject_alt_names, decode_general_names(value));
    } else {
      // The value must at least be one well-formed DER element.
      FLEETPKI_TRY(der::Element any, der::Reader(value).next());
      if (any.encoded.size() != value.size()) {
        return invalid("trailing data in extension " + dotted);
      }
      if (detail::oid_equals(id.content, detail::kNameConstraints)) {
        req.name_constraints = true;
      } else if (detail::oid_equals(id.content, detail::kCrlDistributionPoints)) {
        req.crl_distribution_points = true;
      } else if (detail::oid_equals(id.content, detail::kAuthorityInfoAccess)) {
        req.authority_info_access = true;
      } else {
        req.other_oids.push_back(std::move(dotted));
      }
    }
  }
  return ok();
}

bool algorithm_fits_key(SignatureAlgorithm alg, KeyType key) {
  switch (alg) {
    case SignatureAlgorithm::EcdsaSha256:
    case SignatureAlgorithm::EcdsaSha384:
      return key == KeyType::EcP256 || key == KeyType::EcP384;
    case SignatureAlgorithm::Ed25519:
      return key == KeyType::Ed25519;
    case SignatureAlgorithm::RsaPkcs1Sha256:
      return key == KeyType::Rsa;
  }
  return false;
}

}  // namespace

Result<Csr> Csr::from_pem(const CryptoContext& ctx, std::string_view pem) {
  if (pem.size() > 2 * kMaxCsrBytes) {
    return invalid("CSR too large");
  }
  auto der = pem_decode(pem, {"CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"});
  if (!der) {
    return tl::unexpected(std::move(der).error().with_context("invalid CSR"));
  }
  return from_der(ctx, *der);
}

Result<Csr> Csr::from_der(const CryptoContext& ctx, ByteView der) {
  if (der.size() > kMaxCsrBytes) {
    return invalid("CSR too large");
  }
  Csr csr;
  SignatureAlgorithm alg{};
  ByteView info_der;
  ByteView signature;
  // Structure first (cheap), the signature last (the one expensive step).
  auto structure = [&]() -> Status {
    // CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm,
    //                                     signature BIT STRING }
    FLEETPKI_TRY(der::SignedEnvelope env, der::parse_signed_envelope(der, "CertificationRequest"));
    const der::Element& info = env.to_be_signed;
    info_der = info.encoded;
    FLEETPKI_TRY(alg, parse_signature_algorithm(env.algorithm.encoded));
    FLEETPKI_TRY(signature, der::bit_string_octets(env.signature.content));

    // CertificationRequestInfo ::= SEQUENCE { version INTEGER { v1(0) }, subject Name,
    //   subjectPKInfo SubjectPublicKeyInfo, attributes [0] Attributes }
    der::Reader ir(info.content);
    FLEETPKI_TRY(der::Element version, ir.expect(der::tag::kInteger));
    if (version.content.size() != 1 || version.content[0] != 0) {
      return invalid("unsupported CSR version (only v1 = 0 is defined)");
    }
    FLEETPKI_TRY(der::Element subject, ir.expect(der::tag::kSequence));
    FLEETPKI_TRY(der::Element spki, ir.expect(der::tag::kSequence));
    FLEETPKI_TRY(der::Element attributes, ir.expect(der::tag::context(0, true)));
    FLEETPKI_RETURN_IF_ERROR(ir.expect_end("CertificationRequestInfo"));

    csr.subject_der_.assign(subject.encoded.begin(), subject.encoded.end());
    FLEETPKI_TRY(csr.subject_, decode_name(subject.encoded));
    FLEETPKI_TRY(csr.public_key_, parse_public_key(spki.encoded));

    // Attribute ::= SEQUENCE { type OBJECT IDENTIFIER, values SET SIZE(1..MAX) OF ANY }
    bool seen_ext_req = false;
    der::Reader ar(attributes.content);
    while (!ar.empty()) {
      FLEETPKI_TRY(der::Element attr, ar.expect(der::tag::kSequence));
      der::Reader af(attr.content);
      FLEETPKI_TRY(der::Element type, af.expect(der::tag::kOid));
      FLEETPKI_TRY(der::Element values, af.expect(der::tag::kSet));
      FLEETPKI_RETURN_IF_ERROR(af.expect_end("Attribute"));
      if (detail::oid_equals(type.content, detail::kExtensionRequest)) {
        if (seen_ext_req) {
          return invalid("extensionRequest attribute present twice");
        }
        seen_ext_req = true;
        FLEETPKI_TRY(der::Element exts, der::parse_single(values.content, der::tag::kSequence));
        FLEETPKI_RETURN_IF_ERROR(parse_extension_request(exts.encoded, csr.requested_));
      } else if (detail::oid_equals(type.content, detail::kChallengePassword)) {
        if (csr.challenge_password_) {
          return invalid("challengePassword attribute present twice");
        }
        der::Reader vr(values.content);
        FLEETPKI_TRY(der::Element value, vr.next());
        FLEETPKI_RETURN_IF_ERROR(vr.expect_end("challengePassword (exactly one value)"));
        auto text = detail::decode_string(value);
        if (!text) {
          return invalid("challengePassword must be a DirectoryString");
        }
        csr.challenge_password_ = std::move(*text);
      } else {
        // Other attributes (unstructuredName, …) are ignored but must be well formed.
        der::Reader vr(values.content);
        if (vr.empty()) {
          return invalid("attribute without values");
        }
        while (!vr.empty()) {
          FLEETPKI_TRY(der::Element ignored, vr.next());
          (void)ignored;
        }
      }
    }
    return ok();
  };
  if (auto s = structure(); !s) {
    return tl::unexpected(std::move(s).error().with_context("invalid CSR"));
  }
  if (!algorithm_fits_key(alg, csr.public_key_.type)) {
    return invalid("CSR signature algorithm does not match its " +
                   std::string(key_type_name(csr.public_key_.type)) + " key");
  }
  FLEETPKI_TRY(auto key, make_verification_key(ctx, csr.public_key_));
  FLEETPKI_TRY(bool good, verify_signature(ctx, key.get(), alg, info_der, signature));
  if (!good) {
    return invalid("CSR signature does not verify");
  }
  csr.der_.assign(der.begin(), der.end());
  return csr;
}

}  // namespace fleetpki::pki
