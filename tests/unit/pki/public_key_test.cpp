#include "pki/public_key.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace fleetpki::pki {
namespace {

struct KeyCase {
  const char* kind;
  KeyType type;
  int bits;
};

class PublicKeyAccepted : public ::testing::TestWithParam<KeyCase> {};

TEST_P(PublicKeyAccepted, ParsesAndBuildsAVerificationKey) {
  CryptoContext ctx;
  auto key = test::make_key(GetParam().kind);
  ASSERT_TRUE(key);
  Bytes spki = test::spki_of(key.get());
  auto info = parse_public_key(spki);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->type, GetParam().type);
  EXPECT_EQ(info->bits, GetParam().bits);
  EXPECT_EQ(info->spki_der, spki);
  auto pkey = make_verification_key(ctx, *info);
  ASSERT_TRUE(pkey) << pkey.error().detail;
  EXPECT_EQ(::EVP_PKEY_eq(pkey->get(), key.get()), 1);
  EXPECT_EQ(key_identifier(ctx, *info).size(), 20u);
}

INSTANTIATE_TEST_SUITE_P(Pki, PublicKeyAccepted,
                         ::testing::Values(KeyCase{"P-256", KeyType::EcP256, 256},
                                           KeyCase{"P-384", KeyType::EcP384, 384},
                                           KeyCase{"ED25519", KeyType::Ed25519, 255},
                                           KeyCase{"RSA-2048", KeyType::Rsa, 2048}));

TEST(PublicKey, RefusesSecp256k1WithTheCurveOid) {
  auto r = parse_public_key(test::spki_of(test::make_key("secp256k1").get()));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  EXPECT_NE(r.error().message.find("unsupported curve 1.3.132.0.10"), std::string::npos)
      << r.error().message;
}

TEST(PublicKey, RefusesP224) {
  auto r = parse_public_key(test::spki_of(test::make_key("P-224").get()));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("unsupported curve 1.3.132.0.33"), std::string::npos);
}

TEST(PublicKey, RefusesRsa1024WithTheSize) {
  auto r = parse_public_key(test::spki_of(test::make_key("RSA-1024").get()));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "RSA key of 1024 bits: at least 2048 required");
}

TEST(PublicKey, RefusesCompressedPoint) {
  auto key = test::make_key("P-256");
  ASSERT_EQ(::EVP_PKEY_set_utf8_string_param(key.get(), "point-format", "compressed"), 1);
  auto r = parse_public_key(test::spki_of(key.get()));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("uncompressed"), std::string::npos);
}

TEST(PublicKey, RefusesPointNotOnTheCurve) {
  CryptoContext ctx;
  Bytes spki = test::spki_of(test::make_key("P-256").get());
  spki.back() ^= 0x01;  // changes Y: the point leaves the curve
  auto info = parse_public_key(spki);
  ASSERT_TRUE(info);
  auto pkey = make_verification_key(ctx, *info);
  ASSERT_FALSE(pkey);
  EXPECT_EQ(pkey.error().code, Errc::InvalidArgument);
}

TEST(PublicKey, RefusesTrailingDataAndUnknownAlgorithms) {
  Bytes spki = test::spki_of(test::make_key("P-256").get());
  spki.push_back(0);
  EXPECT_FALSE(parse_public_key(spki));
  auto ed448 = parse_public_key(test::spki_of(
      ossl::Ptr<EVP_PKEY>(::EVP_PKEY_Q_keygen(nullptr, nullptr, "ED448")).get()));
  ASSERT_FALSE(ed448);
  EXPECT_NE(ed448.error().message.find("1.3.101.113"), std::string::npos);
}

TEST(PublicKey, KeyIdentifierIsSha1OfTheKeyBits) {
  CryptoContext ctx;
  auto info = parse_public_key(test::spki_of(test::make_key("P-256").get()));
  ASSERT_TRUE(info);
  unsigned char md[20];
  size_t len = 0;
  ASSERT_EQ(::EVP_Q_digest(nullptr, "SHA1", nullptr, info->subject_public_key.data(),
                           info->subject_public_key.size(), md, &len),
            1);
  EXPECT_EQ(key_identifier(ctx, *info), Bytes(md, md + 20));
  EXPECT_EQ(info->subject_public_key.size(), 65u);
}

TEST(PublicKey, VerifySignatureAcceptsGoodAndRefusesBad) {
  CryptoContext ctx;
  auto key = test::make_key("P-384");
  auto info = parse_public_key(test::spki_of(key.get()));
  ASSERT_TRUE(info);
  auto pkey = make_verification_key(ctx, *info);
  ASSERT_TRUE(pkey);
  Bytes msg = {1, 2, 3};
  Bytes sig = test::sign(key.get(), "SHA384", msg);
  EXPECT_TRUE(*verify_signature(ctx, pkey->get(), SignatureAlgorithm::EcdsaSha384, msg, sig));
  EXPECT_FALSE(*verify_signature(ctx, pkey->get(), SignatureAlgorithm::EcdsaSha256, msg, sig));
  EXPECT_FALSE(*verify_signature(ctx, pkey->get(), SignatureAlgorithm::Ed25519, msg, sig));
  sig[sig.size() / 2] ^= 0x40;
  EXPECT_FALSE(*verify_signature(ctx, pkey->get(), SignatureAlgorithm::EcdsaSha384, msg, sig));
  EXPECT_FALSE(*verify_signature(ctx, pkey->get(), SignatureAlgorithm::EcdsaSha384, msg, Bytes{}));
}

TEST(PublicKey, ParseSignatureAlgorithmAcceptsExactlyTheFour) {
  for (auto alg : {SignatureAlgorithm::EcdsaSha256, SignatureAlgorithm::EcdsaSha384,
                   SignatureAlgorithm::Ed25519, SignatureAlgorithm::RsaPkcs1Sha256}) {
    auto r = parse_signature_algorithm(signature_algorithm_der(alg));
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, alg);
  }
  // sha256WithRSAEncryption with absent parameters is tolerated.
  EXPECT_TRUE(parse_signature_algorithm(
      Bytes{0x30, 0x0B, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B}));
  // ecdsa-with-SHA256 with NULL parameters is refused (RFC 5758 §3.2).
  EXPECT_FALSE(parse_signature_algorithm(
      Bytes{0x30, 0x0C, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02, 0x05, 0x00}));
  // sha1WithRSAEncryption is refused with its name.
  auto sha1 = parse_signature_algorithm(Bytes{0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86,
                                              0xF7, 0x0D, 0x01, 0x01, 0x05, 0x05, 0x00});
  ASSERT_FALSE(sha1);
  EXPECT_NE(sha1.error().message.find("sha1WithRSAEncryption"), std::string::npos);
}

}  // namespace
}  // namespace fleetpki::pki
