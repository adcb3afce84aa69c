#include "pki/csr.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "pki/der.h"
#include "pki/extensions.h"
#include "pki/pem.h"
#include "test_util.h"

namespace fleetpki::pki {
namespace {

class CsrTest : public ::testing::Test {
 protected:
  CryptoContext ctx_;
};

struct VectorCase {
  const char* file;
  KeyType type;
  int bits;
  const char* cn;
};

class CsrCliVector : public ::testing::TestWithParam<VectorCase> {};

TEST_P(CsrCliVector, AcceptsOpensslCliRequest) {
  CryptoContext ctx;
  Bytes der = test::read_data_file(GetParam().file);
  ASSERT_FALSE(der.empty()) << GetParam().file;
  auto csr = Csr::from_der(ctx, der);
  ASSERT_TRUE(csr) << csr.error().message << " / " << csr.error().detail;
  EXPECT_EQ(csr->public_key().type, GetParam().type);
  EXPECT_EQ(csr->public_key().bits, GetParam().bits);
  EXPECT_EQ(csr->der(), der);
  ASSERT_FALSE(csr->subject().empty());
  EXPECT_EQ(csr->subject().back().short_name, "CN");
  EXPECT_EQ(csr->subject().back().value, GetParam().cn);
  EXPECT_FALSE(csr->challenge_password());
}

INSTANTIATE_TEST_SUITE_P(
    Pki, CsrCliVector,
    ::testing::Values(VectorCase{"csr_p256.der", KeyType::EcP256, 256, "dev-p256"},
                      VectorCase{"csr_p384.der", KeyType::EcP384, 384, "dev-p384"},
                      VectorCase{"csr_ed25519.der", KeyType::Ed25519, 255, "dev-ed25519"},
                      VectorCase{"csr_rsa2048.der", KeyType::Rsa, 2048, "dev-rsa2048"}));

TEST_F(CsrTest, RefusesRsa1024WithReason) {
  auto csr = Csr::from_der(ctx_, test::read_data_file("csr_rsa1024.der"));
  ASSERT_FALSE(csr);
  EXPECT_EQ(csr.error().code, Errc::InvalidArgument);
  EXPECT_NE(csr.error().message.find("RSA key of 1024 bits: at least 2048 required"),
            std::string::npos)
      << csr.error().message;
}

TEST_F(CsrTest, RefusesSecp256k1WithReason) {
  auto csr = Csr::from_der(ctx_, test::read_data_file("csr_secp256k1.der"));
  ASSERT_FALSE(csr);
  EXPECT_NE(csr.error().message.find("unsupported curve 1.3.132.0.10"), std::string::npos)
      << csr.error().message;
}

TEST_F(CsrTest, RefusesP224WithReason) {
  auto csr = Csr::from_der(ctx_, test::read_data_file("csr_p224.der"));
  ASSERT_FALSE(csr);
  EXPECT_NE(csr.error().message.find("unsupported curve 1.3.132.0.33"), std::string::npos)
      << csr.error().message;
}

TEST_F(CsrTest, AcceptsRequestsBuiltWithEveryKeyType) {
  for (auto [kind, md] : std::vector<std::pair<std::string, const char*>>{
           {"P-256", "SHA256"}, {"P-256", "SHA384"}, {"P-384", "SHA384"}, {"ED25519", nullptr},
           {"RSA-2048", "SHA256"}}) {
    auto key = test::make_key(kind);
    Bytes der = test::make_csr(key.get(), md, "dev");
    ASSERT_FALSE(der.empty()) << kind;
    auto csr = Csr::from_der(ctx_, der);
    EXPECT_TRUE(csr) << kind << ": " << csr.error().message;
  }
}

TEST_F(CsrTest, RejectsWrongSignature) {
  Bytes der = test::read_data_file("csr_p256.der");
  ASSERT_GT(der.size(), 10u);
  der[der.size() - 5] ^= 0x01;  // inside s of the ECDSA signature
  auto csr = Csr::from_der(ctx_, der);
  ASSERT_FALSE(csr);
  EXPECT_EQ(csr.error().code, Errc::InvalidArgument);
  EXPECT_EQ(csr.error().message, "CSR signature does not verify");
}

TEST_F(CsrTest, RejectsTamperedSubject) {
  Bytes der = test::read_data_file("csr_ed25519.der");
  std::string_view text(reinterpret_cast<const char*>(der.data()), der.size());
  auto pos = text.find("dev-ed25519");
  ASSERT_NE(pos, std::string_view::npos);
  der[pos] = 'D';
  auto csr = Csr::from_der(ctx_, der);
  ASSERT_FALSE(csr);
  EXPECT_EQ(csr.error().message, "CSR signature does not verify");
}

TEST_F(CsrTest, RejectsSignatureByAnotherKey) {
  auto key = test::make_key("P-256");
  auto other = test::make_key("P-256");
  Bytes der = test::make_csr(key.get(), "SHA256", "dev");
  Bytes forged = test::make_csr(other.get(), "SHA256", "dev");
  // Keep key's CertificationRequestInfo, take the signature of `other`: lengths may differ, so
  // rebuild from parts.
  auto info_of = [](const Bytes& d) {
    der::Reader r(d);
    auto top = r.next();
    der::Reader in(top->content);
    auto info = in.next();
    auto alg = in.next();
    auto sig = in.next();
    return std::make_tuple(Bytes(info->encoded.begin(), info->encoded.end()),
                           Bytes(alg->encoded.begin(), alg->encoded.end()),
                           Bytes(sig->encoded.begin(), sig->encoded.end()));
  };
  auto [info, alg, sig_mine] = info_of(der);
  auto [info2, alg2, sig_other] = info_of(forged);
  Bytes body = info;
  body.insert(body.end(), alg.begin(), alg.end());
  body.insert(body.end(), sig_other.begin(), sig_other.end());
  auto csr = Csr::from_der(ctx_, der::tlv(der::tag::kSequence, body));
  ASSERT_FALSE(csr);
  EXPECT_EQ(csr.error().message, "CSR signature does not verify");
}

TEST_F(CsrTest, RejectsEveryTruncation) {
  Bytes der = test::read_data_file("csr_p256.der");
  for (std::size_t n = 0; n < der.size(); ++n) {
    auto csr = Csr::from_der(ctx_, ByteView(der.data(), n));
    EXPECT_FALSE(csr) << "truncated to " << n;
  }
}

TEST_F(CsrTest, RejectsTrailingGarbage) {
  Bytes der = test::read_data_file("csr_p256.der");
  der.push_back(0x00);
  auto csr = Csr::from_der(ctx_, der);
  ASSERT_FALSE(csr);
  EXPECT_NE(csr.error().message.find("trailing"), std::string::npos) << csr.error().message;
}

TEST_F(CsrTest, RejectsWrongVersion) {
  auto key = test::make_key("P-256");
  // X509_REQ_set_version refuses anything but v1, so patch the encoded INTEGER and re-sign.
  Bytes der = test::make_csr(key.get(), "SHA256", "dev");
  der::Reader r(der);
  auto top = r.next();
  der::Reader in(top->content);
  auto info = in.next();
  ASSERT_TRUE(info);
  der::Reader fields(info->content);
  auto version = fields.expect(der::tag::kInteger);
  ASSERT_TRUE(version);
  ASSERT_EQ(version->content.size(), 1u);
  const auto offset = static_cast<std::size_t>(version->content.data() - info->encoded.data());
  Bytes info_der(info->encoded.begin(), info->encoded.end());
  info_der.at(offset) = 0x01;  // version 1 instead of 0
  Bytes sig = test::sign(key.get(), "SHA256", info_der);
  Bytes bits = {0x00};
  bits.insert(bits.end(), sig.begin(), sig.end());
  Bytes body = info_der;
  Bytes alg = signature_algorithm_der(SignatureAlgorithm::EcdsaSha256);
  body.insert(body.end(), alg.begin(), alg.end());
  der::append_tlv(body, der::tag::kBitString, bits);
  auto csr = Csr::from_der(ctx_, der::tlv(der::tag::kSequence, body));
  ASSERT_FALSE(csr);
  EXPECT_NE(csr.error().message.find("version"), std::string::npos) << csr.error().message;
}

TEST_F(CsrTest, AcceptsPemWithBothLabels) {
  std::string pem = test::read_text_file("csr_p256.pem");
  auto csr = Csr::from_pem(ctx_, pem);
  ASSERT_TRUE(csr) << csr.error().message;
  EXPECT_EQ(csr->der(), test::read_data_file("csr_p256.der"));
  std::string legacy = pem_encode(test::read_data_file("csr_p256.der"), "NEW CERTIFICATE REQUEST");
  EXPECT_TRUE(Csr::from_pem(ctx_, legacy));
}

TEST_F(CsrTest, RejectsWrongPemLabel) {
  std::string pem = pem_encode(test::read_data_file("csr_p256.der"), "CERTIFICATE");
  auto csr = Csr::from_pem(ctx_, pem);
  ASSERT_FALSE(csr);
  EXPECT_NE(csr.error().message.find("unexpected PEM label"), std::string::npos);
}

TEST_F(CsrTest, RejectsMalformedPem) {
  std::string pem = test::read_text_file("csr_p256.pem");
  EXPECT_FALSE(Csr::from_pem(ctx_, "garbage\n" + pem));
  EXPECT_FALSE(Csr::from_pem(ctx_, pem + pem));
  std::string broken = pem;
  broken[40] = '*';
  EXPECT_FALSE(Csr::from_pem(ctx_, broken));
  EXPECT_FALSE(Csr::from_pem(ctx_, pem.substr(0, pem.size() - 10)));
}

TEST_F(CsrTest, RejectsOversizedInput) {
  Bytes big(kMaxCsrBytes + 1, 0x30);
  auto csr = Csr::from_der(ctx_, big);
  ASSERT_FALSE(csr);
  EXPECT_EQ(csr.error().message, "CSR too large");
}

TEST_F(CsrTest, DetectsRequestedExtensionsFromCliVector) {
  auto csr = Csr::from_der(ctx_, test::read_data_file("csr_p256_exts.der"));
  ASSERT_TRUE(csr) << csr.error().message;
  const RequestedExtensions& r = csr->requested_extensions();
  EXPECT_TRUE(r.basic_constraints_ca);
  EXPECT_TRUE(r.key_cert_sign);
  ASSERT_TRUE(r.key_usage);
  EXPECT_EQ(*r.key_usage, kKeyCertSign | kCrlSign);
  EXPECT_EQ(r.ext_key_usages, (std::vector<std::string>{oid::kServerAuth, oid::kClientAuth}));
  EXPECT_TRUE(r.name_constraints);
  EXPECT_TRUE(r.crl_distribution_points);
  EXPECT_TRUE(r.authority_info_access);
  EXPECT_EQ(r.other_oids, std::vector<std::string>{"1.2.3.4.5"});
  ASSERT_EQ(r.subject_alt_names.size(), 6u);
  EXPECT_EQ(r.subject_alt_names[0].type, GeneralNameType::Dns);
  EXPECT_EQ(r.subject_alt_names[0].value, "dev1.example.com");
  EXPECT_EQ(r.subject_alt_names[1].type, GeneralNameType::Ip);
  EXPECT_EQ(r.subject_alt_names[1].value, "10.0.0.1");
  EXPECT_EQ(r.subject_alt_names[2].value, "2001:db8::1");
  EXPECT_EQ(r.subject_alt_names[3].type, GeneralNameType::Uri);
  EXPECT_EQ(r.subject_alt_names[3].value, "urn:dev:ops:acme-1234");
  EXPECT_EQ(r.subject_alt_names[4].type, GeneralNameType::Email);
  EXPECT_EQ(r.subject_alt_names[5].type, GeneralNameType::OtherName);
  EXPECT_EQ(r.subject_alt_names[5].value, "1.3.6.1.4.1.311.20.2.3");
}

TEST_F(CsrTest, PlainRequestAsksForNothing) {
  auto csr = Csr::from_der(ctx_, test::read_data_file("csr_p256.der"));
  ASSERT_TRUE(csr);
  const RequestedExtensions& r = csr->requested_extensions();
  EXPECT_FALSE(r.basic_constraints_ca);
  EXPECT_FALSE(r.key_cert_sign);
  EXPECT_FALSE(r.key_usage);
  EXPECT_TRUE(r.ext_key_usages.empty());
  EXPECT_TRUE(r.subject_alt_names.empty());
}

TEST_F(CsrTest, DetectsKeyCertSignAndDigitalSignatureBits) {
  auto key = test::make_key("P-256");
  auto csr = Csr::from_der(ctx_, test::make_csr(key.get(), "SHA256", "dev",
                                                {{"keyUsage", "digitalSignature"},
                                                 {"basicConstraints", "CA:FALSE"}}));
  ASSERT_TRUE(csr) << csr.error().message;
  EXPECT_EQ(csr->requested_extensions().key_usage, std::optional<std::uint16_t>(kDigitalSignature));
  EXPECT_FALSE(csr->requested_extensions().key_cert_sign);
  EXPECT_FALSE(csr->requested_extensions().basic_constraints_ca);
  auto crl_only = Csr::from_der(ctx_, test::make_csr(key.get(), "SHA256", "dev",
                                                     {{"keyUsage", "cRLSign"}}));
  ASSERT_TRUE(crl_only);
  EXPECT_TRUE(crl_only->requested_extensions().key_cert_sign);
}

TEST_F(CsrTest, ReadsChallengePassword) {
  auto csr = Csr::from_der(ctx_, test::read_data_file("csr_p256_challenge.der"));
  ASSERT_TRUE(csr) << csr.error().message;
  ASSERT_TRUE(csr->challenge_password());
  EXPECT_EQ(*csr->challenge_password(), "s3cret-tls-unique");
}

TEST_F(CsrTest, AcceptsEmptySubjectWithSan) {
  auto key = test::make_key("P-256");
  auto csr = Csr::from_der(
      ctx_, test::make_csr(key.get(), "SHA256", "", {{"subjectAltName", "URI:urn:dev:x"}}));
  ASSERT_TRUE(csr) << csr.error().message;
  EXPECT_TRUE(csr->subject().empty());
  EXPECT_EQ(csr->subject_der(), (Bytes{0x30, 0x00}));
}

}  // namespace
}  // namespace fleetpki::pki
