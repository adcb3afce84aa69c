// CRL encoder: every CRL is read back by OpenSSL (d2i_X509_CRL, X509_CRL_verify, extension
// accessors) and used by OpenSSL's own path validation (X509_V_FLAG_CRL_CHECK, USE_DELTAS).
#include "pki/crl.h"

#include <gtest/gtest.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <chrono>
#include <memory>

#include "pki/der.h"
#include "pki/extensions.h"
#include "pki/public_key.h"
#include "pki/serial_number.h"
#include "pki/tbs_template.h"
#include "test_util.h"

namespace fleetpki::pki {
namespace {

using namespace std::chrono;
using test::CaCase;

template <class T, void (*Fn)(T*)>
struct FreeWith {
  void operator()(T* p) const { Fn(p); }
};
using IdpPtr =
    std::unique_ptr<ISSUING_DIST_POINT, FreeWith<ISSUING_DIST_POINT, ::ISSUING_DIST_POINT_free>>;
using AkidPtr = std::unique_ptr<AUTHORITY_KEYID, FreeWith<AUTHORITY_KEYID, ::AUTHORITY_KEYID_free>>;
using DistPointsPtr =
    std::unique_ptr<CRL_DIST_POINTS, FreeWith<CRL_DIST_POINTS, ::CRL_DIST_POINTS_free>>;

constexpr const char* kCrlUrl = "http://pki.example.com/crl/acme/root.p1.crl";
constexpr const char* kDeltaUrl = "http://pki.example.com/crl/acme/root.p1.delta.crl";

ossl::Ptr<X509_CRL> parse_crl(const Bytes& der) {
  const unsigned char* p = der.data();
  ossl::Ptr<X509_CRL> crl(::d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
  if (crl && p != der.data() + der.size()) {
    return nullptr;
  }
  return crl;
}

ossl::Ptr<X509> parse_x509(const Bytes& der) {
  const unsigned char* p = der.data();
  return ossl::Ptr<X509>(::d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

Bytes i2d_crl(X509_CRL* crl) {
  unsigned char* out = nullptr;
  int len = ::i2d_X509_CRL(crl, &out);
  Bytes b(out, out + (len > 0 ? len : 0));
  ::OPENSSL_free(out);
  return b;
}

Bytes octets(const ASN1_STRING* s) {
  return Bytes(::ASN1_STRING_get0_data(s), ::ASN1_STRING_get0_data(s) + ::ASN1_STRING_length(s));
}

std::string text(const ASN1_STRING* s) {
  Bytes b = octets(s);
  return std::string(b.begin(), b.end());
}

long integer_ext(X509_CRL* crl, int nid, int* critical) {
  ossl::Ptr<ASN1_INTEGER> v(
      static_cast<ASN1_INTEGER*>(::X509_CRL_get_ext_d2i(crl, nid, critical, nullptr)));
  return v ? ::ASN1_INTEGER_get(v.get()) : -1;
}

int critical_of(X509_CRL* crl, int nid) {
  int idx = ::X509_CRL_get_ext_by_NID(crl, nid, -1);
  return idx < 0 ? -1 : ::X509_EXTENSION_get_critical(::X509_CRL_get_ext(crl, idx));
}

TimePoint at(year_month_day ymd, hours h = hours(0)) {
  return TimePoint(sys_days(ymd)) + h;
}

// A self-signed CA (keyCertSign|cRLSign) made by TbsTemplate and device certificates it issues.
class CrlTest : public ::testing::TestWithParam<CaCase> {
 protected:
  void SetUp() override { make_ca(GetParam()); }

  void make_ca(const CaCase& c) {
    alg_ = c.alg;
    ca_key_ = test::make_key(c.key_kind);
    ASSERT_TRUE(ca_key_);
    auto info = parse_public_key(test::spki_of(ca_key_.get()));
    ASSERT_TRUE(info) << info.error().message;
    ca_ski_ = key_identifier(ctx_, *info);
    ca_subject_ = *encode_name({{"O", "Acme"}, {"CN", "Acme CRL Test Root"}});
    now_ = time_point_cast<seconds>(system_clock::now());
    TbsFixedParts root;
    root.signature_algorithm = alg_;
    root.basic_constraints_ca = true;
    root.key_usage = kKeyCertSign | kCrlSign;
    auto tpl = TbsTemplate::create(root);
    ASSERT_TRUE(tpl);
    Bytes serial = *generate_serial();
    TbsVariableParts v;
    v.serial = serial;
    v.not_before = now_ - hours(1);
    v.not_after = now_ + days(365);
    v.subject_name_der = ca_subject_;
    v.spki_der = info->spki_der;
    v.subject_key_id = ca_ski_;
    Bytes tbs = *tpl->encode(v);
    ca_x509_ = parse_x509(
        assemble_certificate(tbs, alg_, test::sign(ca_key_.get(), digest_name(alg_), tbs)));
    ASSERT_TRUE(ca_x509_);
  }

  CrlFixedParts fixed(std::string url = kCrlUrl, bool user_only = true) const {
    CrlFixedParts f;
    f.signature_algorithm = alg_;
    f.issuer_name_der = ca_subject_;
    f.authority_key_id = ca_ski_;
    f.distribution_point_url = std::move(url);
    f.only_contains_user_certs = user_only;
    return f;
  }

  CrlVariableParts variable(std::uint64_t number) const {
    CrlVariableParts v;
    v.this_update = now_ - minutes(1);
    v.next_update = now_ + hours(24);
    v.number = number;
    return v;
  }

  Bytes sign_crl(const CrlFixedParts& f, const CrlVariableParts& v) {
    auto tbs = encode_tbs_crl(f, v);
    EXPECT_TRUE(tbs) << tbs.error().message;
    if (!tbs) {
      return {};
    }
    return assemble_crl(*tbs, f.signature_algorithm,
                        test::sign(ca_key_.get(), digest_name(f.signature_algorithm), *tbs));
  }

  // A device certificate whose CDP is `crl_url`, as the issuance path writes it.
  std::pair<Bytes, ossl::Ptr<X509>> issue(const std::string& crl_url) {
    TbsFixedParts f;
    f.signature_algorithm = alg_;
    f.issuer_name_der = ca_subject_;
    f.authority_key_id = ca_ski_;
    f.key_usage = kDigitalSignature;
    f.ext_key_usages = {oid::kClientAuth};
    f.crl_urls = {crl_url};
    auto tpl = TbsTemplate::create(f);
    EXPECT_TRUE(tpl);
    auto key = test::make_key("P-256");
    Bytes subject = *encode_name({{"CN", "dev"}});
    Bytes spki = test::spki_of(key.get());
    Bytes serial = *generate_serial();
    TbsVariableParts v;
    v.serial = serial;
    v.not_before = now_ - hours(1);
    v.not_after = now_ + days(30);
    v.subject_name_der = subject;
    v.spki_der = spki;
    Bytes tbs = *tpl->encode(v);
    Bytes der = assemble_certificate(tbs, alg_, test::sign(ca_key_.get(), digest_name(alg_), tbs));
    return {serial, parse_x509(der)};
  }

  // OpenSSL path validation of `leaf` with CRL checking over `crls`; returns the verify error.
  int verify_with_crls(X509* leaf, const std::vector<Bytes>& crls, unsigned long extra_flags = 0) {
    ossl::Ptr<X509_STORE> store(::X509_STORE_new());
    EXPECT_EQ(::X509_STORE_add_cert(store.get(), ca_x509_.get()), 1);
    for (const auto& der : crls) {
      auto crl = parse_crl(der);
      EXPECT_TRUE(crl);
      EXPECT_EQ(::X509_STORE_add_crl(store.get(), crl.get()), 1);
    }
    ossl::Ptr<X509_STORE_CTX> sctx(::X509_STORE_CTX_new_ex(nullptr, nullptr));
    EXPECT_EQ(::X509_STORE_CTX_init(sctx.get(), store.get(), leaf, nullptr), 1);
    ::X509_STORE_CTX_set_flags(sctx.get(), X509_V_FLAG_CRL_CHECK | extra_flags);
    if (::X509_verify_cert(sctx.get()) == 1) {
      return X509_V_OK;
    }
    return ::X509_STORE_CTX_get_error(sctx.get());
  }

  CryptoContext ctx_;
  SignatureAlgorithm alg_ = SignatureAlgorithm::EcdsaSha256;
  ossl::Ptr<EVP_PKEY> ca_key_;
  ossl::Ptr<X509> ca_x509_;
  Bytes ca_ski_, ca_subject_;
  TimePoint now_;
};

class CrlP256 : public CrlTest {
 protected:
  void SetUp() override { make_ca({"P-256", SignatureAlgorithm::EcdsaSha256}); }
};

TEST_P(CrlTest, CompleteCrlVerifiesAndCarriesEveryField) {
  const Bytes s1 = {0x41, 0x02, 0x03};
  const Bytes s2 = {0x9F, 0x01};  // top bit set: the entry gets a 00 sign octet
  const Bytes s3 = *generate_serial();
  const Bytes s4 = {0x05};
  const TimePoint revoked_at = now_ - hours(2);
  const TimePoint invalid_since = at(2026y / 3 / 1);
  Bytes e1 = *encode_crl_entry(s1, revoked_at, CrlReason::KeyCompromise, invalid_since);
  Bytes e2 = *encode_crl_entry(s2, revoked_at, CrlReason::Unspecified);
  Bytes e3 = *encode_crl_entry(s3, revoked_at, std::nullopt);
  Bytes e4 = *encode_crl_entry(s4, revoked_at, CrlReason::CertificateHold);
  CrlVariableParts v = variable(42);
  v.entries = {e1, e2, e3, e4};
  Bytes der = sign_crl(fixed(), v);
  auto crl = parse_crl(der);
  ASSERT_TRUE(crl) << "d2i_X509_CRL refused the CRL";
  EXPECT_EQ(i2d_crl(crl.get()), der);  // canonical DER: OpenSSL re-encodes the same bytes
  EXPECT_EQ(::X509_CRL_verify(crl.get(), ca_key_.get()), 1);
  EXPECT_EQ(::X509_CRL_get_version(crl.get()), 1);  // v2
  EXPECT_EQ(
      ::X509_NAME_cmp(::X509_CRL_get_issuer(crl.get()), ::X509_get_subject_name(ca_x509_.get())),
      0);
  EXPECT_EQ(::ASN1_TIME_cmp_time_t(::X509_CRL_get0_lastUpdate(crl.get()), to_unix(v.this_update)),
            0);
  EXPECT_EQ(::ASN1_TIME_cmp_time_t(::X509_CRL_get0_nextUpdate(crl.get()), to_unix(v.next_update)),
            0);

  int critical = -1;
  EXPECT_EQ(integer_ext(crl.get(), NID_crl_number, &critical), 42);
  EXPECT_EQ(critical, 0);
  EXPECT_EQ(integer_ext(crl.get(), NID_delta_crl, &critical), -1);
  EXPECT_EQ(critical, -1);  // absent
  EXPECT_EQ(critical_of(crl.get(), NID_freshest_crl), -1);

  AkidPtr akid(static_cast<AUTHORITY_KEYID*>(
      ::X509_CRL_get_ext_d2i(crl.get(), NID_authority_key_identifier, &critical, nullptr)));
  ASSERT_TRUE(akid);
  ASSERT_NE(akid->keyid, nullptr);
  EXPECT_EQ(octets(akid->keyid), ca_ski_);
  EXPECT_EQ(akid->issuer, nullptr);
  EXPECT_EQ(critical, 0);

  IdpPtr idp(static_cast<ISSUING_DIST_POINT*>(
      ::X509_CRL_get_ext_d2i(crl.get(), NID_issuing_distribution_point, &critical, nullptr)));
  ASSERT_TRUE(idp);
  EXPECT_EQ(critical, 1);
  EXPECT_EQ(idp->onlyuser, 0xFF);  // ASN1_FBOOLEAN keeps the octet
  EXPECT_EQ(idp->onlyCA, 0);
  EXPECT_EQ(idp->indirectCRL, 0);
  EXPECT_EQ(idp->onlysomereasons, nullptr);
  ASSERT_NE(idp->distpoint, nullptr);
  ASSERT_EQ(idp->distpoint->type, 0);  // fullName
  ASSERT_EQ(sk_GENERAL_NAME_num(idp->distpoint->name.fullname), 1);
  const GENERAL_NAME* gn = sk_GENERAL_NAME_value(idp->distpoint->name.fullname, 0);
  ASSERT_EQ(gn->type, GEN_URI);
  EXPECT_EQ(text(gn->d.uniformResourceIdentifier), kCrlUrl);

  STACK_OF(X509_REVOKED)* revoked = ::X509_CRL_get_REVOKED(crl.get());
  ASSERT_EQ(sk_X509_REVOKED_num(revoked), 4);
  struct Want {
    const Bytes* serial;
    long reason;  // -1 = no reasonCode
    bool invalidity;
  };
  const Want wants[] = {{&s1, 1, true}, {&s2, -1, false}, {&s3, -1, false}, {&s4, 6, false}};
  for (const Want& w : wants) {
    ossl::Ptr<ASN1_INTEGER> serial(::ASN1_INTEGER_new());
    ASSERT_EQ(::ASN1_STRING_set(serial.get(), w.serial->data(), static_cast<int>(w.serial->size())),
              1);
    X509_REVOKED* rev = nullptr;
    ASSERT_EQ(::X509_CRL_get0_by_serial(crl.get(), &rev, serial.get()), 1)
        << serial_to_hex(*w.serial);
    EXPECT_EQ(::ASN1_TIME_cmp_time_t(::X509_REVOKED_get0_revocationDate(rev), to_unix(revoked_at)),
              0);
    ossl::Ptr<ASN1_STRING> reason(static_cast<ASN1_ENUMERATED*>(
        ::X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, &critical, nullptr)));
    EXPECT_EQ(reason ? ::ASN1_ENUMERATED_get(reason.get()) : -1, w.reason);
    if (reason) {
      EXPECT_EQ(critical, 0);
    }
    ossl::Ptr<ASN1_STRING> invalidity(static_cast<ASN1_GENERALIZEDTIME*>(
        ::X509_REVOKED_get_ext_d2i(rev, NID_invalidity_date, &critical, nullptr)));
    EXPECT_EQ(invalidity != nullptr, w.invalidity);
    if (invalidity) {
      EXPECT_EQ(::ASN1_STRING_type(invalidity.get()), V_ASN1_GENERALIZEDTIME);
      EXPECT_EQ(text(invalidity.get()), "20260301000000Z");
      EXPECT_EQ(critical, 0);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Pki, CrlTest, test::kEveryCaKind, test::ca_case_name);

TEST_F(CrlP256, DeltaCrlCarriesCriticalIndicatorAndNoFreshestCrl) {
  CrlVariableParts v = variable(43);
  v.delta_base = 40;
  Bytes entry = *encode_crl_entry(Bytes{0x11}, now_ - hours(1), CrlReason::RemoveFromCrl);
  v.entries = {entry};
  Bytes der = sign_crl(fixed(), v);
  auto crl = parse_crl(der);
  ASSERT_TRUE(crl);
  EXPECT_EQ(::X509_CRL_verify(crl.get(), ca_key_.get()), 1);
  int critical = -1;
  EXPECT_EQ(integer_ext(crl.get(), NID_crl_number, &critical), 43);
  EXPECT_EQ(integer_ext(crl.get(), NID_delta_crl, &critical), 40);
  EXPECT_EQ(critical, 1);
  EXPECT_EQ(critical_of(crl.get(), NID_freshest_crl), -1);
  EXPECT_EQ(critical_of(crl.get(), NID_issuing_distribution_point), 1);
  X509_REVOKED* rev = sk_X509_REVOKED_value(::X509_CRL_get_REVOKED(crl.get()), 0);
  ossl::Ptr<ASN1_STRING> reason(static_cast<ASN1_ENUMERATED*>(
      ::X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, nullptr, nullptr)));
  ASSERT_TRUE(reason);
  EXPECT_EQ(::ASN1_ENUMERATED_get(reason.get()), 8);
}

TEST_F(CrlP256, CompleteCrlAdvertisesDeltaWithNonCriticalFreshestCrl) {
  CrlVariableParts v = variable(7);
  v.freshest_crl_url = kDeltaUrl;
  auto crl = parse_crl(sign_crl(fixed(), v));
  ASSERT_TRUE(crl);
  int critical = -1;
  DistPointsPtr points(static_cast<CRL_DIST_POINTS*>(
      ::X509_CRL_get_ext_d2i(crl.get(), NID_freshest_crl, &critical, nullptr)));
  ASSERT_TRUE(points);
  EXPECT_EQ(critical, 0);
  ASSERT_EQ(sk_DIST_POINT_num(points.get()), 1);
  const DIST_POINT* dp = sk_DIST_POINT_value(points.get(), 0);
  ASSERT_NE(dp->distpoint, nullptr);
  ASSERT_EQ(dp->distpoint->type, 0);
  const GENERAL_NAME* gn = sk_GENERAL_NAME_value(dp->distpoint->name.fullname, 0);
  ASSERT_EQ(gn->type, GEN_URI);
  EXPECT_EQ(text(gn->d.uniformResourceIdentifier), kDeltaUrl);
  // The value is exactly what certificates carry as cRLDistributionPoints.
  int idx = ::X509_CRL_get_ext_by_NID(crl.get(), NID_freshest_crl, -1);
  EXPECT_EQ(octets(::X509_EXTENSION_get_data(::X509_CRL_get_ext(crl.get(), idx))),
            crl_distribution_points_value({kDeltaUrl}));
}

TEST_F(CrlP256, EmptyCrlOmitsRevokedCertificates) {
  auto tbs = encode_tbs_crl(fixed(), variable(1));
  ASSERT_TRUE(tbs);
  // TBSCertList: version, signature, issuer, thisUpdate, nextUpdate, then directly [0] extensions.
  auto top = der::parse_single(*tbs, der::tag::kSequence);
  ASSERT_TRUE(top);
  der::Reader r(top->content);
  EXPECT_EQ(r.next()->encoded.size(), 3u);  // INTEGER 1
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(r.next());
  }
  EXPECT_EQ(r.peek_tag(), der::tag::context(0, true));
  auto crl = parse_crl(assemble_crl(*tbs, alg_, test::sign(ca_key_.get(), "SHA256", *tbs)));
  ASSERT_TRUE(crl);
  EXPECT_EQ(::X509_CRL_verify(crl.get(), ca_key_.get()), 1);
  EXPECT_EQ(::X509_CRL_get_REVOKED(crl.get()), nullptr);
}

TEST_F(CrlP256, UnpartitionedCrlHasNoIdpAndUserOnlyAloneIsValid) {
  auto plain = parse_crl(sign_crl(fixed("", false), variable(1)));
  ASSERT_TRUE(plain);
  EXPECT_EQ(critical_of(plain.get(), NID_issuing_distribution_point), -1);
  auto user_only = parse_crl(sign_crl(fixed("", true), variable(2)));
  ASSERT_TRUE(user_only);
  IdpPtr idp(static_cast<ISSUING_DIST_POINT*>(
      ::X509_CRL_get_ext_d2i(user_only.get(), NID_issuing_distribution_point, nullptr, nullptr)));
  ASSERT_TRUE(idp);
  EXPECT_EQ(idp->distpoint, nullptr);
  EXPECT_EQ(idp->onlyuser, 0xFF);  // ASN1_FBOOLEAN keeps the octet
  auto no_flag = parse_crl(sign_crl(fixed(kCrlUrl, false), variable(3)));
  IdpPtr idp2(static_cast<ISSUING_DIST_POINT*>(
      ::X509_CRL_get_ext_d2i(no_flag.get(), NID_issuing_distribution_point, nullptr, nullptr)));
  ASSERT_TRUE(idp2);
  EXPECT_EQ(idp2->onlyuser, 0);  // DEFAULT FALSE is not encoded
  EXPECT_NE(idp2->distpoint, nullptr);
}

TEST_F(CrlP256, IdpNameIsByteIdenticalToTheCertificateCdp) {
  auto [serial, cert] = issue(kCrlUrl);
  ASSERT_TRUE(cert);
  auto crl = parse_crl(sign_crl(fixed(), variable(1)));
  ASSERT_TRUE(crl);
  // CDP value: SEQUENCE { SEQUENCE { [0] DistributionPointName } }.
  int cdp_idx = ::X509_get_ext_by_NID(cert.get(), NID_crl_distribution_points, -1);
  ASSERT_GE(cdp_idx, 0);
  Bytes cdp = octets(::X509_EXTENSION_get_data(::X509_get_ext(cert.get(), cdp_idx)));
  auto points = der::parse_single(cdp, der::tag::kSequence);
  auto point = der::parse_single(points->content, der::tag::kSequence);
  auto cdp_name = der::Reader(point->content).next();
  ASSERT_TRUE(cdp_name);
  // IDP value: SEQUENCE { [0] DistributionPointName, [1] TRUE }.
  int idp_idx = ::X509_CRL_get_ext_by_NID(crl.get(), NID_issuing_distribution_point, -1);
  Bytes idp = octets(::X509_EXTENSION_get_data(::X509_CRL_get_ext(crl.get(), idp_idx)));
  auto idp_seq = der::parse_single(idp, der::tag::kSequence);
  ASSERT_TRUE(idp_seq);
  der::Reader r(idp_seq->content);
  auto idp_name = r.next();
  ASSERT_TRUE(idp_name);
  EXPECT_EQ(Bytes(idp_name->encoded.begin(), idp_name->encoded.end()),
            Bytes(cdp_name->encoded.begin(), cdp_name->encoded.end()));
  auto flag = r.next();
  ASSERT_TRUE(flag);
  EXPECT_EQ(Bytes(flag->encoded.begin(), flag->encoded.end()), (Bytes{0x81, 0x01, 0xFF}));
  EXPECT_TRUE(r.empty());
}

TEST_F(CrlP256, OpenSslPathValidationUsesThePartitionCrl) {
  auto [revoked_serial, revoked] = issue(kCrlUrl);
  auto [good_serial, good] = issue(kCrlUrl);
  auto [other_serial, other_partition] = issue("http://pki.example.com/crl/acme/root.p2.crl");
  ASSERT_TRUE(revoked && good && other_partition);
  Bytes entry = *encode_crl_entry(revoked_serial, now_ - hours(1), CrlReason::KeyCompromise);
  CrlVariableParts v = variable(5);
  v.entries = {entry};
  const std::vector<Bytes> crls = {sign_crl(fixed(), v)};
  EXPECT_EQ(verify_with_crls(revoked.get(), crls), X509_V_ERR_CERT_REVOKED);
  EXPECT_EQ(verify_with_crls(good.get(), crls), X509_V_OK);
  // The IDP scopes the CRL: it does not cover a certificate of another partition.
  EXPECT_EQ(verify_with_crls(other_partition.get(), crls), X509_V_ERR_DIFFERENT_CRL_SCOPE);
}

TEST_F(CrlP256, OpenSslMergesDeltaWithItsBase) {
  auto [held_serial, held] = issue(kCrlUrl);
  auto [new_serial, newly_revoked] = issue(kCrlUrl);
  ASSERT_TRUE(held && newly_revoked);
  Bytes hold = *encode_crl_entry(held_serial, now_ - hours(3), CrlReason::CertificateHold);
  CrlVariableParts base = variable(10);
  base.freshest_crl_url = kDeltaUrl;
  base.entries = {hold};
  Bytes release = *encode_crl_entry(held_serial, now_ - hours(1), CrlReason::RemoveFromCrl);
  Bytes revoke = *encode_crl_entry(new_serial, now_ - hours(1), CrlReason::KeyCompromise);
  CrlVariableParts delta = variable(11);
  delta.delta_base = 10;
  delta.entries = {release, revoke};
  const std::vector<Bytes> base_only = {sign_crl(fixed(), base)};
  const std::vector<Bytes> both = {base_only[0], sign_crl(fixed(), delta)};
  EXPECT_EQ(verify_with_crls(held.get(), base_only), X509_V_ERR_CERT_REVOKED);
  EXPECT_EQ(verify_with_crls(newly_revoked.get(), base_only), X509_V_OK);
  EXPECT_EQ(verify_with_crls(held.get(), both, X509_V_FLAG_USE_DELTAS), X509_V_OK);  // released
  EXPECT_EQ(verify_with_crls(newly_revoked.get(), both, X509_V_FLAG_USE_DELTAS),
            X509_V_ERR_CERT_REVOKED);
}

TEST_F(CrlP256, TimesFollowTheUtcTimeGeneralizedTimeRule) {
  CrlVariableParts v = variable(1);
  v.this_update = at(2049y / 12 / 31, hours(23));
  v.next_update = at(2050y / 1 / 1, hours(1));
  Bytes entry =
      *encode_crl_entry(Bytes{0x01}, at(2050y / 1 / 1), CrlReason::Superseded, at(2030y / 6 / 1));
  v.entries = {entry};
  auto crl = parse_crl(sign_crl(fixed(), v));
  ASSERT_TRUE(crl);
  EXPECT_EQ(::ASN1_STRING_type(::X509_CRL_get0_lastUpdate(crl.get())), V_ASN1_UTCTIME);
  EXPECT_EQ(text(::X509_CRL_get0_lastUpdate(crl.get())), "491231230000Z");
  EXPECT_EQ(::ASN1_STRING_type(::X509_CRL_get0_nextUpdate(crl.get())), V_ASN1_GENERALIZEDTIME);
  EXPECT_EQ(text(::X509_CRL_get0_nextUpdate(crl.get())), "20500101010000Z");
  X509_REVOKED* rev = sk_X509_REVOKED_value(::X509_CRL_get_REVOKED(crl.get()), 0);
  EXPECT_EQ(::ASN1_STRING_type(::X509_REVOKED_get0_revocationDate(rev)), V_ASN1_GENERALIZEDTIME);
  ossl::Ptr<ASN1_STRING> invalidity(static_cast<ASN1_GENERALIZEDTIME*>(
      ::X509_REVOKED_get_ext_d2i(rev, NID_invalidity_date, nullptr, nullptr)));
  ASSERT_TRUE(invalidity);
  EXPECT_EQ(::ASN1_STRING_type(invalidity.get()), V_ASN1_GENERALIZEDTIME);  // even before 2050
  EXPECT_EQ(text(invalidity.get()), "20300601000000Z");
}

TEST(Crl, EncodeTbsRefusesInvalidParts) {
  CrlFixedParts f;
  f.issuer_name_der = *encode_name({{"CN", "ca"}});
  f.authority_key_id = Bytes(20, 0xAB);
  CrlVariableParts v;
  v.this_update = at(2026y / 1 / 1);
  v.next_update = at(2026y / 1 / 2);
  v.number = 3;
  ASSERT_TRUE(encode_tbs_crl(f, v));

  CrlFixedParts no_aki = f;
  no_aki.authority_key_id.clear();
  EXPECT_FALSE(encode_tbs_crl(no_aki, v));
  CrlFixedParts bad_issuer = f;
  bad_issuer.issuer_name_der = {0x30, 0x00};
  EXPECT_FALSE(encode_tbs_crl(bad_issuer, v));
  bad_issuer.issuer_name_der = {0x31, 0x00};
  EXPECT_FALSE(encode_tbs_crl(bad_issuer, v));
  CrlFixedParts bad_url = f;
  bad_url.distribution_point_url = "not a url";
  EXPECT_FALSE(encode_tbs_crl(bad_url, v));

  CrlVariableParts w = v;
  w.next_update = w.this_update;
  EXPECT_FALSE(encode_tbs_crl(f, w));
  w = v;
  w.delta_base = 2;
  w.freshest_crl_url = kDeltaUrl;
  EXPECT_FALSE(encode_tbs_crl(f, w));  // freshestCRL on a delta
  w = v;
  w.delta_base = 3;
  EXPECT_FALSE(encode_tbs_crl(f, w));  // delta number must exceed its base
  w = v;
  w.this_update = at(1949y / 12 / 31);
  EXPECT_FALSE(encode_tbs_crl(f, w));
  w = v;
  const Bytes garbage = {0x02, 0x01, 0x01};
  w.entries = {garbage};
  EXPECT_FALSE(encode_tbs_crl(f, w));
  w.entries = {ByteView()};
  EXPECT_FALSE(encode_tbs_crl(f, w));
}

TEST(Crl, EntryEncodingAndRefusals) {
  const TimePoint t = at(2026y / 5 / 4, hours(3));
  auto plain = encode_crl_entry(Bytes{0x01}, t, std::nullopt);
  ASSERT_TRUE(plain);
  // SEQUENCE { INTEGER 1, UTCTime 260504030000Z }
  EXPECT_EQ(*plain, (Bytes{0x30, 0x12, 0x02, 0x01, 0x01, 0x17, 0x0D, '2', '6', '0',
                           '5',  '0',  '4',  '0',  '3',  '0',  '0',  '0', '0', 'Z'}));
  EXPECT_EQ(*encode_crl_entry(Bytes{0x01}, t, CrlReason::Unspecified), *plain);
  auto with_reason = encode_crl_entry(Bytes{0x01}, t, CrlReason::KeyCompromise);
  ASSERT_TRUE(with_reason);
  // … crlEntryExtensions SEQUENCE { SEQUENCE { 2.5.29.21, OCTET STRING { ENUMERATED 1 } } }
  const Bytes tail = {0x30, 0x0C, 0x30, 0x0A, 0x06, 0x03, 0x55,
                      0x1D, 0x15, 0x04, 0x03, 0x0A, 0x01, 0x01};
  ASSERT_GT(with_reason->size(), tail.size());
  EXPECT_TRUE(
      std::equal(tail.begin(), tail.end(), with_reason->end() - static_cast<long>(tail.size())));
  // Leading zeros of a magnitude are dropped; a sign octet is added before a top bit.
  EXPECT_EQ(*encode_crl_entry(Bytes{0x00, 0x00, 0x01}, t, std::nullopt), *plain);
  auto high = encode_crl_entry(Bytes{0x80}, t, std::nullopt);
  ASSERT_TRUE(high);
  EXPECT_EQ(Bytes(high->begin() + 2, high->begin() + 6), (Bytes{0x02, 0x02, 0x00, 0x80}));
  EXPECT_TRUE(encode_crl_entry(Bytes(20, 0xFF), t, std::nullopt));  // 21 content octets

  EXPECT_FALSE(encode_crl_entry(Bytes{}, t, std::nullopt));
  EXPECT_FALSE(encode_crl_entry(Bytes{0x00}, t, std::nullopt));
  EXPECT_FALSE(encode_crl_entry(Bytes(21, 0x01), t, std::nullopt));
  EXPECT_FALSE(encode_crl_entry(Bytes{0x01}, t, static_cast<CrlReason>(7)));
  EXPECT_FALSE(encode_crl_entry(Bytes{0x01}, t, static_cast<CrlReason>(11)));
  EXPECT_FALSE(encode_crl_entry(Bytes{0x01}, at(1949y / 1 / 1), std::nullopt));
}

TEST(Crl, GeneralizedTimeAcrossTheCenturies) {
  auto text_of = [](TimePoint t) {
    Bytes b = *encode_generalized_time(t);
    EXPECT_EQ(b[0], der::tag::kGeneralizedTime);
    return std::string(b.begin() + 2, b.end());
  };
  EXPECT_EQ(text_of(from_unix(0)), "19700101000000Z");
  EXPECT_EQ(text_of(at(1950y / 1 / 1)), "19500101000000Z");
  EXPECT_EQ(text_of(at(2049y / 12 / 31, hours(23)) + minutes(59) + seconds(59)), "20491231235959Z");
  EXPECT_EQ(text_of(at(2050y / 1 / 1)), "20500101000000Z");
  EXPECT_EQ(text_of(at(2000y / 2 / 29, hours(12))), "20000229120000Z");
  EXPECT_FALSE(encode_generalized_time(at(1949y / 12 / 31)));
}

TEST(Crl, ReasonNamesRoundTrip) {
  for (int v = 0; v <= 10; ++v) {
    if (!is_valid_crl_reason(v)) {
      EXPECT_EQ(v, 7);
      continue;
    }
    const auto reason = static_cast<CrlReason>(v);
    auto by_name = parse_crl_reason(crl_reason_name(reason));
    ASSERT_TRUE(by_name) << v;
    EXPECT_EQ(*by_name, reason);
    auto by_number = parse_crl_reason(std::to_string(v));
    ASSERT_TRUE(by_number) << v;
    EXPECT_EQ(*by_number, reason);
  }
  EXPECT_EQ(crl_reason_name(CrlReason::KeyCompromise), "keyCompromise");
  EXPECT_EQ(crl_reason_name(CrlReason::CaCompromise), "cACompromise");
  EXPECT_EQ(crl_reason_name(CrlReason::RemoveFromCrl), "removeFromCRL");
  EXPECT_FALSE(is_valid_crl_reason(-1));
  EXPECT_FALSE(is_valid_crl_reason(11));
  for (const char* bad :
       {"7", "11", "-1", "", "keycompromise", "KeyCompromise", "01", "1x", "+1"}) {
    EXPECT_FALSE(parse_crl_reason(bad)) << bad;
  }
}

}  // namespace
}  // namespace fleetpki::pki
