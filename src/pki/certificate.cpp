// Certificate parsing (RFC 5280 §4.1) with the strict DER reader; not on the issuance hot path.
#include "pki/certificate.h"

#include "pki/asn1_time.h"
#include "pki/der.h"
#include "pki/detail/oids.h"
#include "pki/pem.h"

namespace fleetpki::pki {
namespace {

tl::unexpected<Error> invalid(std::string why) { return fail(Errc::InvalidArgument, std::move(why)); }

}  // namespace

Result<Certificate> Certificate::from_der(const CryptoContext& ctx, ByteView der) {
  (void)ctx;  // parsing needs no crypto; kept so verification can be added without an API change
  Certificate cert;
  auto parse = [&]() -> Status {
    // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }
    FLEETPKI_TRY(der::SignedEnvelope env, der::parse_signed_envelope(der, "Certificate"));
    const der::Element& tbs = env.to_be_signed;
    const der::Element& outer_alg = env.algorithm;

    der::Reader t(tbs.content);
    FLEETPKI_TRY(auto version, t.optional(der::tag::context(0, true)));
    std::uint64_t v = 0;
    if (version) {
      FLEETPKI_TRY(der::Element vi, der::parse_single(version->content, der::tag::kInteger));
      FLEETPKI_TRY(v, der::small_non_negative_integer(vi.content));
      if (v > 2) {
        return invalid("unknown certificate version");
      }
    }
    FLEETPKI_TRY(der::Element serial, t.expect(der::tag::kInteger));
    if (serial.content.empty() || serial.content.size() > 21) {
      return invalid("certificate serial number has a bad length");
    }
    FLEETPKI_TRY(der::Element inner_alg, t.expect(der::tag::kSequence));
    if (!std::equal(inner_alg.encoded.begin(), inner_alg.encoded.end(),
                    outer_alg.encoded.begin(), outer_alg.encoded.end())) {
      return invalid("signatureAlgorithm differs from tbsCertificate.signature");
    }
    FLEETPKI_TRY(der::Element issuer, t.expect(der::tag::kSequence));
    FLEETPKI_TRY(der::Element validity, t.expect(der::tag::kSequence));
    FLEETPKI_TRY(der::Element subject, t.expect(der::tag::kSequence));
    FLEETPKI_TRY(der::Element spki, t.expect(der::tag::kSequence));
    FLEETPKI_TRY(auto issuer_uid, t.optional(der::tag::context(1, false)));
    FLEETPKI_TRY(auto subject_uid, t.optional(der::tag::context(2, false)));
    (void)issuer_uid;
    (void)subject_uid;
    FLEETPKI_TRY(auto extensions, t.optional(der::tag::context(3, true)));
    FLEETPKI_RETURN_IF_ERROR(t.expect_end("TBSCertificate"));
    if (extensions && v != 2) {
      return invalid("extensions require a v3 certificate");
    }

    der::Reader vr(validity.content);
    FLEETPKI_TRY(der::Element nb, vr.next());
    FLEETPKI_TRY(der::Element na, vr.next());
    FLEETPKI_RETURN_IF_ERROR(vr.expect_end("Validity"));
    FLEETPKI_TRY(cert.not_before_, decode_time(nb.encoded));
    FLEETPKI_TRY(cert.not_after_, decode_time(na.encoded));

    cert.serial_.assign(serial.content.begin(), serial.content.end());
    cert.issuer_der_.assign(issuer.encoded.begin(), issuer.encoded.end());
    cert.subject_der_.assign(subject.encoded.begin(), subject.encoded.end());
    FLEETPKI_TRY(cert.subject_, decode_name(subject.encoded));
    FLEETPKI_TRY(cert.public_key_, parse_public_key(spki.encoded));

    if (extensions) {
      FLEETPKI_TRY(der::Element list, der::parse_single(extensions->content, der::tag::kSequence));
      der::Reader er(list.content);
      while (!er.empty()) {
        FLEETPKI_TRY(der::Element ext, er.expect(der::tag::kSequence));
        der::Reader f(ext.content);
        FLEETPKI_TRY(der::Element id, f.expect(der::tag::kOid));
        FLEETPKI_TRY(auto critical, f.optional(der::tag::kBoolean));
        (void)critical;
        FLEETPKI_TRY(der::Element value, f.expect(der::tag::kOctetString));
        FLEETPKI_RETURN_IF_ERROR(f.expect_end("Extension"));
        if (detail::oid_equals(id.content, detail::kSubjectKeyIdentifier)) {
          FLEETPKI_TRY(der::Element ski, der::parse_single(value.content, der::tag::kOctetString));
          cert.subject_key_id_.assign(ski.content.begin(), ski.content.end());
        } else if (detail::oid_equals(id.content, detail::kSubjectAltName)) {
          FLEETPKI_TRY(cert.subject_alt_names_, decode_general_names(value.content));
        } else if (detail::oid_equals(id.content, detail::kBasicConstraints)) {
          FLEETPKI_TRY(der::Element bc, der::parse_single(value.content, der::tag::kSequence));
          der::Reader br(bc.content);
          FLEETPKI_TRY(auto ca, br.optional(der::tag::kBoolean));
          if (ca) {
            FLEETPKI_TRY(cert.is_ca_, der::decode_boolean(ca->content));
          }
        }
      }
    }
    return ok();
  };
  if (auto s = parse(); !s) {
    return tl::unexpected(std::move(s).error().with_context("invalid certificate"));
  }
  cert.der_.assign(der.begin(), der.end());
  return cert;
}

Result<Certificate> Certificate::from_pem(const CryptoContext& ctx, std::string_view pem) {
  auto der = pem_decode(pem, {"CERTIFICATE"});
  if (!der) {
    return tl::unexpected(std::move(der).error().with_context("invalid certificate"));
  }
  return from_der(ctx, *der);
}

std::string Certificate::pem() const { return pem_encode(der_, "CERTIFICATE"); }

std::string Certificate::subject_string() const { return name_to_string(subject_); }

}  // namespace fleetpki::pki
