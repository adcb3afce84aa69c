#include "pki/tbs_template.h"

#include <gtest/gtest.h>
#include <openssl/x509v3.h>

#include <algorithm>

#include "pki/asn1_time.h"
#include "pki/certificate.h"
#include "pki/extensions.h"
#include "pki/pem.h"
#include "pki/public_key.h"
#include "pki/serial_number.h"
#include "test_util.h"

namespace fleetpki::pki {
namespace {

using namespace std::chrono;
using test::CaCase;

struct Issued {
  Bytes der;
  ossl::Ptr<X509> x509;
};

ossl::Ptr<X509> parse_x509(const Bytes& der) {
  const unsigned char* p = der.data();
  ossl::Ptr<X509> x(::d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (x && p != der.data() + der.size()) {
    return nullptr;
  }
  return x;
}

Bytes i2d(X509* x) {
  unsigned char* out = nullptr;
  int len = ::i2d_X509(x, &out);
  Bytes b(out, out + (len > 0 ? len : 0));
  ::OPENSSL_free(out);
  return b;
}

class TbsTemplateIssuance : public ::testing::TestWithParam<CaCase> {
 protected:
  void SetUp() override {
    ca_key_ = test::make_key(GetParam().key_kind);
    ASSERT_TRUE(ca_key_);
    auto info = parse_public_key(test::spki_of(ca_key_.get()));
    ASSERT_TRUE(info) << info.error().message;
    ca_info_ = *info;
    ca_ski_ = key_identifier(ctx_, ca_info_);
    ca_subject_ = *encode_name({{"C", "DE"}, {"O", "Acme"}, {"CN", "Acme Device Root"}});
    now_ = time_point_cast<seconds>(system_clock::now());

    TbsFixedParts root;
    root.signature_algorithm = GetParam().alg;
    root.basic_constraints_ca = true;
    root.path_len = 0;
    root.key_usage = kKeyCertSign | kCrlSign;
    auto tpl = TbsTemplate::create(root);
    ASSERT_TRUE(tpl) << tpl.error().message;
    Bytes serial = *generate_serial();
    TbsVariableParts v;
    v.serial = serial;
    v.not_before = now_ - minutes(5);
    v.not_after = now_ + days(3650);
    v.subject_name_der = ca_subject_;
    v.spki_der = ca_info_.spki_der;
    v.subject_key_id = ca_ski_;
    auto tbs = tpl->encode(v);
    ASSERT_TRUE(tbs) << tbs.error().message;
    ca_der_ = assemble_certificate(*tbs, GetParam().alg,
                                   test::sign(ca_key_.get(), digest_name(GetParam().alg), *tbs));
    ca_x509_ = parse_x509(ca_der_);
    ASSERT_TRUE(ca_x509_);
  }

  TbsFixedParts device_profile() const {
    TbsFixedParts f;
    f.signature_algorithm = GetParam().alg;
    f.issuer_name_der = ca_subject_;
    f.authority_key_id = ca_ski_;
    f.basic_constraints_ca = false;
    f.key_usage = kDigitalSignature;
    f.ext_key_usages = {oid::kClientAuth};
    f.crl_urls = {"http://crl.example.com/acme/0.crl"};
    f.ocsp_urls = {"http://ocsp.example.com"};
    f.ca_issuer_urls = {"http://ca.example.com/root.cer"};
    return f;
  }

  Result<Issued> issue(const TbsFixedParts& fixed, EVP_PKEY* subject_key, ByteView subject,
                       const std::vector<GeneralName>* sans,
                       std::optional<TimePoint> not_after = std::nullopt) {
    FLEETPKI_TRY(TbsTemplate tpl, TbsTemplate::create(fixed));
    FLEETPKI_TRY(PublicKeyInfo info, parse_public_key(test::spki_of(subject_key)));
    Bytes ski = key_identifier(ctx_, info);
    FLEETPKI_TRY(Bytes serial, generate_serial());
    TbsVariableParts v;
    v.serial = serial;
    v.not_before = now_ - minutes(5);
    v.not_after = not_after;
    v.subject_name_der = subject;
    v.spki_der = info.spki_der;
    v.subject_key_id = ski;
    v.subject_alt_names = sans;
    FLEETPKI_TRY(Bytes tbs, tpl.encode(v));
    Issued out;
    out.der = assemble_certificate(tbs, GetParam().alg,
                                   test::sign(ca_key_.get(), digest_name(GetParam().alg), tbs));
    out.x509 = parse_x509(out.der);
    return out;
  }

  CryptoContext ctx_;
  ossl::Ptr<EVP_PKEY> ca_key_;
  PublicKeyInfo ca_info_;
  Bytes ca_ski_, ca_subject_, ca_der_;
  ossl::Ptr<X509> ca_x509_;
  TimePoint now_;
};

TEST_P(TbsTemplateIssuance, SelfSignedRootVerifiesAndIsCanonicalDer) {
  EXPECT_EQ(::X509_verify(ca_x509_.get(), ca_key_.get()), 1);
  EXPECT_EQ(::X509_check_issued(ca_x509_.get(), ca_x509_.get()), X509_V_OK);
  EXPECT_EQ(i2d(ca_x509_.get()), ca_der_);
  EXPECT_EQ(::X509_get_version(ca_x509_.get()), X509_VERSION_3);
  EXPECT_EQ(::X509_check_ca(ca_x509_.get()), 1);
  EXPECT_EQ(::X509_get_pathlen(ca_x509_.get()), 0);
  const ASN1_OCTET_STRING* ski = ::X509_get0_subject_key_id(ca_x509_.get());
  ASSERT_NE(ski, nullptr);
  EXPECT_EQ(Bytes(ski->data, ski->data + ski->length), ca_ski_);
  EXPECT_EQ(::X509_get0_authority_key_id(ca_x509_.get()), nullptr);
}

TEST_P(TbsTemplateIssuance, DeviceCertificateChainsToTheRoot) {
  auto dev_key = test::make_key("P-256");
  Bytes subject = *encode_name({{"O", "Acme"}, {"CN", "dev-0001"}});
  std::vector<GeneralName> sans = {uri_name("urn:dev:ops:acme-0001"), dns_name("dev1.example")};
  auto issued = issue(device_profile(), dev_key.get(), subject, &sans, now_ + days(365));
  ASSERT_TRUE(issued) << issued.error().message;
  ASSERT_TRUE(issued->x509) << "d2i_X509 refused the certificate";
  X509* ee = issued->x509.get();
  EXPECT_EQ(::X509_verify(ee, ca_key_.get()), 1);
  EXPECT_EQ(::X509_check_issued(ca_x509_.get(), ee), X509_V_OK);
  EXPECT_EQ(i2d(ee), issued->der);  // OpenSSL re-encodes to the same bytes: canonical DER

  const ASN1_OCTET_STRING* aki = ::X509_get0_authority_key_id(ee);
  const ASN1_OCTET_STRING* ca_ski = ::X509_get0_subject_key_id(ca_x509_.get());
  ASSERT_NE(aki, nullptr);
  ASSERT_NE(ca_ski, nullptr);
  EXPECT_EQ(::ASN1_OCTET_STRING_cmp(aki, ca_ski), 0);

  // Full path validation with OpenSSL, including the client-auth purpose.
  ossl::Ptr<X509_STORE> store(::X509_STORE_new());
  ASSERT_EQ(::X509_STORE_add_cert(store.get(), ca_x509_.get()), 1);
  ossl::Ptr<X509_STORE_CTX> sctx(::X509_STORE_CTX_new_ex(nullptr, nullptr));
  ASSERT_EQ(::X509_STORE_CTX_init(sctx.get(), store.get(), ee, nullptr), 1);
  ::X509_STORE_CTX_set_purpose(sctx.get(), X509_PURPOSE_SSL_CLIENT);
  EXPECT_EQ(::X509_verify_cert(sctx.get()), 1)
      << ::X509_verify_cert_error_string(::X509_STORE_CTX_get_error(sctx.get()));

  // Extension order: basicConstraints, keyUsage, extKeyUsage, SKI, AKI, SAN, CRL DP, AIA.
  std::vector<int> nids;
  for (int i = 0; i < ::X509_get_ext_count(ee); ++i) {
    nids.push_back(::OBJ_obj2nid(::X509_EXTENSION_get_object(::X509_get_ext(ee, i))));
  }
  EXPECT_EQ(nids, (std::vector<int>{NID_basic_constraints, NID_key_usage, NID_ext_key_usage,
                                    NID_subject_key_identifier, NID_authority_key_identifier,
                                    NID_subject_alt_name, NID_crl_distribution_points,
                                    NID_info_access}));
  EXPECT_EQ(::X509_EXTENSION_get_critical(::X509_get_ext(ee, 0)), 1);  // basicConstraints
  EXPECT_EQ(::X509_EXTENSION_get_critical(::X509_get_ext(ee, 1)), 1);  // keyUsage
  EXPECT_EQ(::X509_EXTENSION_get_critical(::X509_get_ext(ee, 5)), 0);  // SAN: subject not empty
  EXPECT_EQ(::X509_get_key_usage(ee), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));
}

TEST_P(TbsTemplateIssuance, EmptySubjectMakesSanCritical) {
  auto dev_key = test::make_key("ED25519");
  std::vector<GeneralName> sans = {uri_name("urn:dev:ops:acme-0002")};
  Bytes empty = {0x30, 0x00};
  auto issued = issue(device_profile(), dev_key.get(), empty, &sans);
  ASSERT_TRUE(issued) << issued.error().message;
  ASSERT_TRUE(issued->x509);
  int idx = ::X509_get_ext_by_NID(issued->x509.get(), NID_subject_alt_name, -1);
  ASSERT_GE(idx, 0);
  EXPECT_EQ(::X509_EXTENSION_get_critical(::X509_get_ext(issued->x509.get(), idx)), 1);
  EXPECT_EQ(::X509_verify(issued->x509.get(), ca_key_.get()), 1);
  EXPECT_EQ(i2d(issued->x509.get()), issued->der);
}

TEST_P(TbsTemplateIssuance, NoExpiryUsesGeneralizedTime99991231235959Z) {
  auto dev_key = test::make_key("P-384");
  Bytes subject = *encode_name({{"CN", "dev-idevid"}});
  auto issued = issue(device_profile(), dev_key.get(), subject, nullptr);
  ASSERT_TRUE(issued);
  ASSERT_TRUE(issued->x509);
  const ASN1_TIME* na = ::X509_get0_notAfter(issued->x509.get());
  EXPECT_EQ(::ASN1_STRING_type(na), V_ASN1_GENERALIZEDTIME);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(::ASN1_STRING_get0_data(na)),
                        static_cast<std::size_t>(::ASN1_STRING_length(na))),
            "99991231235959Z");
  EXPECT_EQ(::ASN1_STRING_type(::X509_get0_notBefore(issued->x509.get())), V_ASN1_UTCTIME);
}

TEST_P(TbsTemplateIssuance, OcspResponderProfileCarriesNoCheck) {
  TbsFixedParts f = device_profile();
  f.basic_constraints_ca.reset();
  f.ext_key_usages = {oid::kOcspSigning};
  f.crl_urls.clear();
  f.ocsp_urls.clear();
  f.ca_issuer_urls.clear();
  f.ocsp_no_check = true;
  auto key = test::make_key("P-256");
  Bytes subject = *encode_name({{"CN", "Acme OCSP"}});
  auto issued = issue(f, key.get(), subject, nullptr);
  ASSERT_TRUE(issued);
  ASSERT_TRUE(issued->x509);
  int idx = ::X509_get_ext_by_NID(issued->x509.get(), NID_id_pkix_OCSP_noCheck, -1);
  ASSERT_GE(idx, 0);
  const ASN1_OCTET_STRING* value = ::X509_EXTENSION_get_data(::X509_get_ext(issued->x509.get(), idx));
  EXPECT_EQ(Bytes(value->data, value->data + value->length), (Bytes{0x05, 0x00}));
  EXPECT_EQ(::X509_get_ext_by_NID(issued->x509.get(), NID_basic_constraints, -1), -1);
  EXPECT_EQ(i2d(issued->x509.get()), issued->der);
}

TEST_P(TbsTemplateIssuance, CertificateFromDerReadsEveryField) {
  auto dev_key = test::make_key("RSA-2048");
  Bytes subject = *encode_name({{"O", "Acme"}, {"CN", "dev-0003"}});
  auto issued = issue(device_profile(), dev_key.get(), subject, nullptr, now_ + days(30));
  ASSERT_TRUE(issued);
  auto cert = Certificate::from_der(ctx_, issued->der);
  ASSERT_TRUE(cert) << cert.error().message;
  EXPECT_EQ(cert->der(), issued->der);
  EXPECT_EQ(cert->subject_der(), subject);
  EXPECT_EQ(cert->issuer_der(), ca_subject_);
  EXPECT_EQ(cert->subject_string(), "CN=dev-0003,O=Acme");
  EXPECT_EQ(cert->not_before(), now_ - minutes(5));
  EXPECT_EQ(cert->not_after(), now_ + days(30));
  EXPECT_EQ(cert->public_key().type, KeyType::Rsa);
  EXPECT_EQ(cert->subject_key_id(), key_identifier(ctx_, cert->public_key()));
  EXPECT_FALSE(cert->is_ca());
  EXPECT_EQ(cert->serial().size(), 16u);
  const ASN1_INTEGER* serial = ::X509_get0_serialNumber(issued->x509.get());
  EXPECT_EQ(Bytes(serial->data, serial->data + serial->length), cert->serial());

  auto root = Certificate::from_pem(ctx_, pem_encode(ca_der_, "CERTIFICATE"));
  ASSERT_TRUE(root) << root.error().message;
  EXPECT_TRUE(root->is_ca());
  EXPECT_EQ(root->subject_key_id(), ca_ski_);
  EXPECT_EQ(root->subject_string(), "CN=Acme Device Root,O=Acme,C=DE");
  EXPECT_EQ(Certificate::from_pem(ctx_, root->pem())->der(), ca_der_);
}

INSTANTIATE_TEST_SUITE_P(Pki, TbsTemplateIssuance, test::kEveryCaKind, test::ca_case_name);

TEST(TbsTemplate, CreateRefusesInconsistentParts) {
  TbsFixedParts f;
  f.path_len = 0;
  EXPECT_FALSE(TbsTemplate::create(f));
  f.basic_constraints_ca = false;
  EXPECT_FALSE(TbsTemplate::create(f));
  TbsFixedParts g;
  g.crl_urls = {"not a url"};
  EXPECT_FALSE(TbsTemplate::create(g));
  TbsFixedParts h;
  h.ext_key_usages = {"x.y"};
  EXPECT_FALSE(TbsTemplate::create(h));
  TbsFixedParts i;
  i.issuer_name_der = {0x30, 0x00};
  EXPECT_FALSE(TbsTemplate::create(i));
}

TEST(TbsTemplate, EncodeRefusesBadVariableParts) {
  TbsFixedParts fixed;
  fixed.issuer_name_der = *encode_name({{"CN", "ca"}});
  auto tpl = TbsTemplate::create(fixed);
  ASSERT_TRUE(tpl);
  Bytes spki = test::spki_of(test::make_key("P-256").get());
  Bytes subject = *encode_name({{"CN", "dev"}});
  Bytes empty = {0x30, 0x00};
  Bytes serial = {0x01};
  Bytes negative = {0x80};
  Bytes non_minimal = {0x00, 0x01};
  TbsVariableParts v;
  v.serial = serial;
  v.not_before = from_unix(1700000000);
  v.subject_name_der = subject;
  v.spki_der = spki;
  EXPECT_TRUE(tpl->encode(v));
  TbsVariableParts w = v;
  w.subject_name_der = empty;
  EXPECT_FALSE(tpl->encode(w));  // empty subject without SAN
  w = v;
  w.serial = negative;
  EXPECT_FALSE(tpl->encode(w));
  w.serial = non_minimal;
  EXPECT_FALSE(tpl->encode(w));
  w = v;
  w.not_after = from_unix(1600000000);
  EXPECT_FALSE(tpl->encode(w));  // notAfter before notBefore
  w = v;
  w.not_before = from_unix(-700000000);
  EXPECT_FALSE(tpl->encode(w));  // before 1950
}

}  // namespace
}  // namespace fleetpki::pki
