// SubjectPublicKeyInfo parsing with our DER reader (RFC 5280 §4.1.2.7, RFC 5480, RFC 8410,
// RFC 8017), the key policy, and verification keys built with EVP_PKEY_fromdata.
#include "pki/public_key.h"

#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "common/check.h"
#include "pki/der.h"
#include "pki/detail/oids.h"
#include "pki/ossl/error.h"

namespace fleetpki::pki {
namespace {

constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 8192;  // bounds the cost of one verification (DoS)

tl::unexpected<Error> refuse(std::string why) { return fail(Errc::InvalidArgument, std::move(why)); }

struct RsaParts {
  ByteView n;  // magnitude, no sign octet
  ByteView e;
};

// RFC 8017 App. A.1.1: RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
Result<RsaParts> parse_rsa_public_key(ByteView der) {
  FLEETPKI_TRY(der::Element seq, der::parse_single(der, der::tag::kSequence));
  der::Reader r(seq.content);
  FLEETPKI_TRY(der::Element n, r.expect(der::tag::kInteger));
  FLEETPKI_TRY(der::Element e, r.expect(der::tag::kInteger));
  FLEETPKI_RETURN_IF_ERROR(r.expect_end("RSAPublicKey"));
  FLEETPKI_TRY(ByteView n_mag, der::positive_integer_magnitude(n.content));
  FLEETPKI_TRY(ByteView e_mag, der::positive_integer_magnitude(e.content));
  return RsaParts{n_mag, e_mag};
}

int bit_length(ByteView magnitude) {
  if (magnitude.empty()) {
    return 0;
  }
  int bits = static_cast<int>(magnitude.size() - 1) * 8;
  for (std::uint8_t top = magnitude[0]; top != 0; top >>= 1) {
    ++bits;
  }
  return bits;
}

const char* keymgmt_name(KeyType type) {
  switch (type) {
    case KeyType::EcP256:
    case KeyType::EcP384:
      return "EC";
    case KeyType::Ed25519:
      return "ED25519";
    case KeyType::Rsa:
      return "RSA";
  }
  return "";
}

std::string known_signature_name(const std::string& dotted) {
  struct Known {
    const char* oid;
    const char* name;
  };
  static constexpr Known kKnown[] = {
      {"1.2.840.113549.1.1.4", "md5WithRSAEncryption"},
      {"1.2.840.113549.1.1.5", "sha1WithRSAEncryption"},
      {"1.2.840.113549.1.1.10", "RSASSA-PSS"},
      {"1.2.840.113549.1.1.12", "sha384WithRSAEncryption"},
      {"1.2.840.113549.1.1.13", "sha512WithRSAEncryption"},
      {"1.2.840.10045.4.1", "ecdsa-with-SHA1"},
      {"1.2.840.10045.4.3.4", "ecdsa-with-SHA512"},
      {"1.3.101.113", "Ed448"},
      {"1.2.840.10040.4.3", "dsa-with-sha1"},
  };
  for (const auto& k : kKnown) {
    if (dotted == k.oid) {
      return std::string(k.name) + " (" + dotted + ")";
    }
  }
  return dotted;
}

}  // namespace

Result<PublicKeyInfo> parse_public_key(ByteView spki_der) {
  // SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
  FLEETPKI_TRY(der::Element spki, der::parse_single(spki_der, der::tag::kSequence));
  der::Reader r(spki.content);
  FLEETPKI_TRY(der::Element alg, r.expect(der::tag::kSequence));
  FLEETPKI_TRY(der::Element key_bits, r.expect(der::tag::kBitString));
  FLEETPKI_RETURN_IF_ERROR(r.expect_end("SubjectPublicKeyInfo"));
  der::Reader ar(alg.content);
  FLEETPKI_TRY(der::Element alg_oid, ar.expect(der::tag::kOid));
  std::optional<der::Element> params;
  if (!ar.empty()) {
    FLEETPKI_TRY(der::Element p, ar.next());
    params = p;
  }
  FLEETPKI_RETURN_IF_ERROR(ar.expect_end("AlgorithmIdentifier"));
  FLEETPKI_TRY(ByteView key, der::bit_string_octets(key_bits.content));

  PublicKeyInfo info;
  if (detail::oid_equals(alg_oid.content, detail::kIdEcPublicKey)) {
    // RFC 5480 §2.1.1: parameters are ECParameters; only namedCurve is allowed (RFC 5280 profile).
    if (!params || params->tag != der::tag::kOid) {
      return refuse("EC keys must use a named curve (P-256 or P-384)");
    }
    std::size_t coordinate = 0;
    if (detail::oid_equals(params->content, detail::kSecp256r1)) {
      info.type = KeyType::EcP256;
      info.bits = 256;
      coordinate = 32;
    } else if (detail::oid_equals(params->content, detail::kSecp384r1)) {
      info.type = KeyType::EcP384;
      info.bits = 384;
      coordinate = 48;
    } else {
      FLEETPKI_TRY(std::string curve, der::decode_oid(params->content));
      return refuse("unsupported curve " + curve + ": only P-256 and P-384 are accepted");
    }
    if (key.empty() || key[0] != 0x04) {
      return refuse("EC public key must be an uncompressed point");
    }
    if (key.size() != 1 + 2 * coordinate) {
      return refuse("EC public key has the wrong length for its curve");
    }
  } else if (detail::oid_equals(alg_oid.content, detail::kIdEd25519)) {
    if (params) {
      return refuse("Ed25519 AlgorithmIdentifier must not have parameters");
    }
    if (key.size() != 32) {
      return refuse("Ed25519 public key must be 32 bytes");
    }
    info.type = KeyType::Ed25519;
    info.bits = 255;
  } else if (detail::oid_equals(alg_oid.content, detail::kRsaEncryption)) {
    if (!params || params->tag != der::tag::kNull || !params->content.empty()) {
      return refuse("rsaEncryption parameters must be NULL");
    }
    auto parts = parse_rsa_public_key(key);
    if (!parts) {
      return refuse("malformed RSA public key: " + parts.error().message);
    }
    int bits = bit_length(parts->n);
    if (bits < kMinRsaBits) {
      return refuse("RSA key of " + std::to_string(bits) + " bits: at least " +
                    std::to_string(kMinRsaBits) + " required");
    }
    if (bits > kMaxRsaBits) {
      return refuse("RSA key of " + std::to_string(bits) + " bits: at most " +
                    std::to_string(kMaxRsaBits) + " supported");
    }
    if ((parts->n.back() & 1) == 0) {
      return refuse("RSA modulus must be odd");
    }
    if (parts->e.size() > 8) {
      return refuse("RSA public exponent larger than 64 bits");
    }
    std::uint64_t e = 0;
    for (std::uint8_t b : parts->e) {
      e = (e << 8) | b;
    }
    if ((e & 1) == 0 || e < 65537) {
      return refuse("RSA public exponent must be odd and at least 65537");
    }
    info.type = KeyType::Rsa;
    info.bits = bits;
  } else {
    FLEETPKI_TRY(std::string dotted, der::decode_oid(alg_oid.content));
    return refuse("unsupported public key algorithm " + dotted);
  }
  info.spki_der.assign(spki.encoded.begin(), spki.encoded.end());
  info.subject_public_key.assign(key.begin(), key.end());
  return info;
}

Result<ossl::Ptr<EVP_PKEY>> make_verification_key(const CryptoContext& ctx,
                                                  const PublicKeyInfo& key) {
  if (key.type == KeyType::EcP256 || key.type == KeyType::EcP384) {
    // Fast path: duplicate the pre-built group and set the point. EC_POINT_oct2point inside
    // refuses a point that is not on the curve.
    ossl::Ptr<EVP_PKEY> pkey(::EVP_PKEY_dup(key.type == KeyType::EcP256 ? ctx.p256_template()
                                                                        : ctx.p384_template()));
    if (!pkey) {
      return tl::unexpected(ossl::last_error("EVP_PKEY_dup"));
    }
    if (::EVP_PKEY_set1_encoded_public_key(pkey.get(), key.subject_public_key.data(),
                                           key.subject_public_key.size()) != 1) {
      return tl::unexpected(ossl::last_error("EVP_PKEY_set1_encoded_public_key",
                                             Errc::InvalidArgument,
                                             "EC public key is not a point on the curve"));
    }
    return pkey;
  }
  ossl::Ptr<EVP_PKEY_CTX> pctx(
      ::EVP_PKEY_CTX_new_from_name(ctx.libctx(), keymgmt_name(key.type), ctx.propq()));
  if (!pctx) {
    return tl::unexpected(ossl::last_error("EVP_PKEY_CTX_new_from_name"));
  }
  if (::EVP_PKEY_fromdata_init(pctx.get()) != 1) {
    return tl::unexpected(ossl::last_error("EVP_PKEY_fromdata_init"));
  }
  auto* pub = const_cast<std::uint8_t*>(key.subject_public_key.data());
  const std::size_t pub_len = key.subject_public_key.size();
  EVP_PKEY* raw = nullptr;
  int rc = 0;
  switch (key.type) {
    case KeyType::EcP256:
    case KeyType::EcP384: {
      char* group = const_cast<char*>(key.type == KeyType::EcP256 ? "P-256" : "P-384");
      OSSL_PARAM params[] = {
          ::OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
          ::OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub, pub_len),
          ::OSSL_PARAM_construct_end()};
      rc = ::EVP_PKEY_fromdata(pctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params);
      break;
    }
    case KeyType::Ed25519: {
      OSSL_PARAM params[] = {
          ::OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub, pub_len),
          ::OSSL_PARAM_construct_end()};
      rc = ::EVP_PKEY_fromdata(pctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params);
      break;
    }
    case KeyType::Rsa: {
      auto parts = parse_rsa_public_key(key.subject_public_key);
      if (!parts) {
        return fail(Errc::InvalidArgument, "malformed RSA public key");
      }
      ossl::Ptr<BIGNUM> n(::BN_bin2bn(parts->n.data(), static_cast<int>(parts->n.size()), nullptr));
      ossl::Ptr<BIGNUM> e(::BN_bin2bn(parts->e.data(), static_cast<int>(parts->e.size()), nullptr));
      ossl::Ptr<OSSL_PARAM_BLD> bld(::OSSL_PARAM_BLD_new());
      if (!n || !e || !bld) {
        return tl::unexpected(ossl::last_error("BN_bin2bn/OSSL_PARAM_BLD_new"));
      }
      if (::OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
          ::OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
        return tl::unexpected(ossl::last_error("OSSL_PARAM_BLD_push_BN"));
      }
      ossl::Ptr<OSSL_PARAM> params(::OSSL_PARAM_BLD_to_param(bld.get()));
      if (!params) {
        return tl::unexpected(ossl::last_error("OSSL_PARAM_BLD_to_param"));
      }
      rc = ::EVP_PKEY_fromdata(pctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get());
      break;
    }
  }
  ossl::Ptr<EVP_PKEY> pkey(raw);
  if (rc != 1 || !pkey) {
    // For EC this is where a point that is not on the curve is refused (EC_POINT_oct2point).
    return tl::unexpected(ossl::last_error("EVP_PKEY_fromdata", Errc::InvalidArgument,
                                           "public key is not valid (point not on the curve?)"));
  }
  return pkey;
}

Bytes key_identifier(const CryptoContext& ctx, const PublicKeyInfo& key) {
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  int rc = ::EVP_Digest(key.subject_public_key.data(), key.subject_public_key.size(), out.data(),
                        &len, ctx.sha1(), nullptr);
  FLEETPKI_CHECK(rc == 1 && len == 20, "SHA-1 digest of a buffer cannot fail once fetched");
  out.resize(len);
  return out;
}

Result<bool> verify_signature(const CryptoContext& ctx, EVP_PKEY* key, SignatureAlgorithm alg,
                              ByteView message, ByteView signature) {
  const char* expected_type = alg == SignatureAlgorithm::Ed25519          ? "ED25519"
                              : alg == SignatureAlgorithm::RsaPkcs1Sha256 ? "RSA"
                                                                          : "EC";
  if (key == nullptr || ::EVP_PKEY_is_a(key, expected_type) != 1) {
    return false;  // an algorithm that does not belong to the key never verifies
  }
  ossl::Ptr<EVP_MD_CTX> mctx(::EVP_MD_CTX_new());
  if (!mctx) {
    return tl::unexpected(ossl::last_error("EVP_MD_CTX_new"));
  }
  if (::EVP_DigestVerifyInit_ex(mctx.get(), nullptr, digest_name(alg), ctx.libctx(), ctx.propq(),
                                key, nullptr) != 1) {
    return tl::unexpected(ossl::last_error("EVP_DigestVerifyInit_ex"));
  }
  int rc = ::EVP_DigestVerify(mctx.get(), signature.data(), signature.size(), message.data(),
                              message.size());
  if (rc != 1) {
    ossl::clear_errors();  // a bad or malformed signature is an expected outcome, not an error
    return false;
  }
  return true;
}

Result<SignatureAlgorithm> parse_signature_algorithm(ByteView algorithm_identifier_der) {
  FLEETPKI_TRY(der::Element alg, der::parse_single(algorithm_identifier_der, der::tag::kSequence));
  der::Reader r(alg.content);
  FLEETPKI_TRY(der::Element oid, r.expect(der::tag::kOid));
  std::optional<der::Element> params;
  if (!r.empty()) {
    FLEETPKI_TRY(der::Element p, r.next());
    params = p;
  }
  FLEETPKI_RETURN_IF_ERROR(r.expect_end("AlgorithmIdentifier"));
  const bool null_params = params && params->tag == der::tag::kNull && params->content.empty();
  if (detail::oid_equals(oid.content, detail::kEcdsaWithSha256) ||
      detail::oid_equals(oid.content, detail::kEcdsaWithSha384)) {
    // RFC 5758 §3.2: the parameters field MUST be absent.
    if (params) {
      return refuse("ECDSA AlgorithmIdentifier must not have parameters");
    }
    return detail::oid_equals(oid.content, detail::kEcdsaWithSha256)
               ? SignatureAlgorithm::EcdsaSha256
               : SignatureAlgorithm::EcdsaSha384;
  }
  if (detail::oid_equals(oid.content, detail::kIdEd25519)) {
    if (params) {  // RFC 8410 §3: parameters MUST be absent
      return refuse("Ed25519 AlgorithmIdentifier must not have parameters");
    }
    return SignatureAlgorithm::Ed25519;
  }
  if (detail::oid_equals(oid.content, detail::kSha256WithRsa)) {
    // RFC 4055 §5: NULL; absent parameters are tolerated on input.
    if (params && !null_params) {
      return refuse("sha256WithRSAEncryption parameters must be NULL");
    }
    return SignatureAlgorithm::RsaPkcs1Sha256;
  }
  FLEETPKI_TRY(std::string dotted, der::decode_oid(oid.content));
  return refuse("unsupported signature algorithm " + known_signature_name(dotted));
}

}  // namespace fleetpki::pki
