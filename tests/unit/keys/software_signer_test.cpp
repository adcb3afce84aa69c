// Unit tests of SoftwareSigner over in-memory keys.
#include "keys/software/software_signer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "keys/software/software_key_vault.h"
#include "keys_test_support.h"

namespace fleetpki::keys {
namespace {

using testing::verifies;

pki::ossl::Ptr<EVP_PKEY> ec_key(const char* curve) {
  return pki::ossl::Ptr<EVP_PKEY>(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
}

TEST(SoftwareSigner, AlgorithmFollowsTheKeyType) {
  pki::CryptoContext ctx;
  struct Case {
    const char* name;
    pki::ossl::Ptr<EVP_PKEY> key;
    pki::SignatureAlgorithm want;
  };
  std::vector<Case> cases;
  cases.push_back({"P-256", ec_key("P-256"), pki::SignatureAlgorithm::EcdsaSha256});
  cases.push_back({"P-384", ec_key("P-384"), pki::SignatureAlgorithm::EcdsaSha384});
  cases.push_back({"Ed25519", pki::ossl::Ptr<EVP_PKEY>(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")),
                   pki::SignatureAlgorithm::Ed25519});
  cases.push_back({"RSA", pki::ossl::Ptr<EVP_PKEY>(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048})),
                   pki::SignatureAlgorithm::RsaPkcs1Sha256});
  for (auto& c : cases) {
    ASSERT_TRUE(c.key) << c.name;
    auto signer = make_software_signer(ctx, std::move(c.key));
    ASSERT_TRUE(signer) << c.name << ": " << signer.error().detail;
    EXPECT_EQ((*signer)->algorithm(), c.want) << c.name;
    EXPECT_FALSE((*signer)->public_key_spki().empty());
    auto message = as_bytes("to be signed");
    auto signature = (*signer)->sign(message);
    ASSERT_TRUE(signature) << c.name;
    EXPECT_TRUE(verifies(**signer, message, *signature)) << c.name;
    EXPECT_FALSE(verifies(**signer, as_bytes("something else"), *signature)) << c.name;
  }
}

TEST(SoftwareSigner, RefusesWeakOrUnsupportedKeys) {
  pki::CryptoContext ctx;
  auto rsa1024 = make_software_signer(
      ctx, pki::ossl::Ptr<EVP_PKEY>(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{1024})));
  ASSERT_FALSE(rsa1024);
  EXPECT_EQ(rsa1024.error().code, Errc::InvalidArgument);
  auto secp256k1 = make_software_signer(ctx, ec_key("secp256k1"));
  ASSERT_FALSE(secp256k1);
  EXPECT_EQ(secp256k1.error().code, Errc::InvalidArgument);
  auto x25519 = make_software_signer(
      ctx, pki::ossl::Ptr<EVP_PKEY>(EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519")));
  ASSERT_FALSE(x25519);
  auto none = make_software_signer(ctx, nullptr);
  ASSERT_FALSE(none);
}

TEST(SoftwareSigner, ManyThreadsSignWithOneSignerAtOnce) {
  pki::CryptoContext ctx;
  auto signer = make_software_signer(ctx, ec_key("P-256"));
  ASSERT_TRUE(signer);
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        std::string text = "message " + std::to_string(t) + "/" + std::to_string(i);
        auto signature = (*signer)->sign(as_bytes(text));
        if (!signature || !verifies(**signer, as_bytes(text), *signature)) {
          ++bad;
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace fleetpki::keys
