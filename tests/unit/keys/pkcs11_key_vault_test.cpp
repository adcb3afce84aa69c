// Pkcs11KeyVault against real SoftHSM2 tokens made in a temporary folder: every key type signs
// and verifies with OpenSSL against the SPKI read from the token, concurrent signing, a wrong
// PIN, token removal and return, the private key's attributes.
#include "keys/pkcs11/pkcs11_key_vault.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <thread>
#include <vector>

#include "keys/pkcs11/pkcs11_signer.h"
#include "keys/pkcs11/pkcs11_uri.h"
#include "keys/software/software_key_vault.h"
#include "keys_test_support.h"
#include "pkcs11_test_support.h"

namespace fleetpki::keys {
namespace {

using testing::kSoftHsmModule;
using testing::SoftHsmToken;
using testing::verifies;

Pkcs11VaultConfig config_for(const SoftHsmToken& token, std::string pin = {}) {
  Pkcs11VaultConfig config;
  config.module_path = kSoftHsmModule;
  config.token_label = token.label();
  config.pin = SecureBytes(as_bytes(pin.empty() ? token.pin() : pin));
  config.pool.backoff = std::chrono::milliseconds(10);
  return config;
}

class Pkcs11KeyVaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto vault = Pkcs11KeyVault::open(crypto_, config_for(token_));
    ASSERT_TRUE(vault) << vault.error().message;
    vault_ = std::move(*vault);
  }

  SoftHsmToken token_;
  pki::CryptoContext crypto_;
  std::unique_ptr<Pkcs11KeyVault> vault_;
};

TEST_F(Pkcs11KeyVaultTest, GeneratesSignsAndVerifiesEveryKeyType) {
  struct Case {
    KeyAlgorithm algorithm;
    pki::SignatureAlgorithm signature;
    int bits;
  };
  const Case cases[] = {
      {KeyAlgorithm::EcP256, pki::SignatureAlgorithm::EcdsaSha256, 256},
      {KeyAlgorithm::EcP384, pki::SignatureAlgorithm::EcdsaSha384, 384},
      {KeyAlgorithm::Ed25519, pki::SignatureAlgorithm::Ed25519, 256},
      {KeyAlgorithm::Rsa2048, pki::SignatureAlgorithm::RsaPkcs1Sha256, 2048},
      {KeyAlgorithm::Rsa3072, pki::SignatureAlgorithm::RsaPkcs1Sha256, 3072},
      {KeyAlgorithm::Rsa4096, pki::SignatureAlgorithm::RsaPkcs1Sha256, 4096},
  };
  const Bytes message(1000, 0x42);
  for (const Case& c : cases) {
    const std::string label = "key-" + std::string(key_algorithm_name(c.algorithm));
    auto ref = vault_->generate(c.algorithm, label);
    ASSERT_TRUE(ref) << label << ": " << ref.error().message;
    auto uri = parse_pkcs11_uri(*ref);
    ASSERT_TRUE(uri) << *ref;
    EXPECT_EQ(uri->token, token_.label());
    EXPECT_EQ(uri->object, label);
    EXPECT_EQ(uri->type, "private");
    ASSERT_TRUE(uri->id);
    EXPECT_EQ(uri->id->size(), 16u);

    auto signer = vault_->open_signer(*ref);
    ASSERT_TRUE(signer) << signer.error().message;
    EXPECT_EQ((*signer)->algorithm(), c.signature);
    const Bytes& spki = (*signer)->public_key_spki();
    const unsigned char* p = spki.data();
    pki::ossl::Ptr<EVP_PKEY> key(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size())));
    ASSERT_TRUE(key);
    EXPECT_EQ(EVP_PKEY_get_bits(key.get()), c.bits);
    for (int i = 0; i < 3; ++i) {
      auto signature = (*signer)->sign(message);
      ASSERT_TRUE(signature) << signature.error().message;
      EXPECT_TRUE(verifies(**signer, message, *signature)) << label;
      Bytes tampered = message;
      tampered[0] ^= 1;
      EXPECT_FALSE(verifies(**signer, tampered, *signature)) << label;
    }
  }
}

TEST_F(Pkcs11KeyVaultTest, AnotherVaultInstanceOpensTheSameKey) {
  auto ref = vault_->generate(KeyAlgorithm::EcP256, "issuing-ca");
  ASSERT_TRUE(ref);
  auto first = vault_->open_signer(*ref);
  ASSERT_TRUE(first);
  auto again = vault_->open_signer(*ref);
  ASSERT_TRUE(again);
  EXPECT_EQ(first->get(), again->get());  // cached
  vault_.reset();
  auto reopened = Pkcs11KeyVault::open(crypto_, config_for(token_));
  ASSERT_TRUE(reopened) << reopened.error().message;
  auto signer = (*reopened)->open_signer(*ref);
  ASSERT_TRUE(signer) << signer.error().message;
  const Bytes message = {1, 2, 3};
  auto signature = (*signer)->sign(message);
  ASSERT_TRUE(signature);
  EXPECT_TRUE(verifies(**signer, message, *signature));
  // By label alone, as an operator would write it.
  auto by_label = (*reopened)->open_signer("pkcs11:token=" + token_.label() + ";object=issuing-ca");
  ASSERT_TRUE(by_label) << by_label.error().message;
  EXPECT_EQ((*by_label)->public_key_spki(), (*signer)->public_key_spki());
}

TEST_F(Pkcs11KeyVaultTest, RawEcdsaFormForCose) {
  auto ref = vault_->generate(KeyAlgorithm::EcP384, "cose");
  ASSERT_TRUE(ref);
  auto signer = vault_->open_signer(*ref);
  ASSERT_TRUE(signer);
  const auto* p11 = dynamic_cast<const Pkcs11Signer*>(signer->get());
  ASSERT_NE(p11, nullptr);
  const Bytes message(77, 9);
  auto raw = p11->sign_raw(message);
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->size(), 96u);
  auto der = ecdsa_raw_to_der(*raw);
  ASSERT_TRUE(der);
  EXPECT_TRUE(verifies(*p11, message, *der));
}

TEST_F(Pkcs11KeyVaultTest, Ed25519SignsTheWholeMessageInTheToken) {
  auto ref = vault_->generate(KeyAlgorithm::Ed25519, "cose-ed25519");
  ASSERT_TRUE(ref) << ref.error().message;
  auto signer = vault_->open_signer(*ref);
  ASSERT_TRUE(signer) << signer.error().message;
  const auto* p11 = dynamic_cast<const Pkcs11Signer*>(signer->get());
  ASSERT_NE(p11, nullptr);
  // Longer than any digest: PureEdDSA gets the message itself, not a hash of it.
  const Bytes message(5000, 0x5a);
  auto raw = p11->sign_raw(message);
  ASSERT_TRUE(raw) << raw.error().message;
  EXPECT_EQ(raw->size(), 64u);
  EXPECT_TRUE(verifies(*p11, message, *raw));
  Bytes other = message;
  other.back() ^= 1;
  EXPECT_FALSE(verifies(*p11, other, *raw));
}

TEST(Pkcs11Signer, RawToDerHandlesLeadingZerosAndHighBits) {
  Bytes raw(64, 0);
  raw[31] = 1;     // r = 1
  raw[32] = 0x80;  // s has its high bit set: INTEGER needs a 00 pad
  auto der = ecdsa_raw_to_der(raw);
  ASSERT_TRUE(der);
  ASSERT_EQ(der->size(), 2u + 3u + 2u + 33u);
  EXPECT_EQ((*der)[0], 0x30);
  EXPECT_EQ((*der)[2], 0x02);
  EXPECT_EQ((*der)[3], 0x01);
  EXPECT_EQ((*der)[4], 0x01);
  EXPECT_EQ((*der)[5], 0x02);
  EXPECT_EQ((*der)[6], 33);
  EXPECT_EQ((*der)[7], 0x00);
  EXPECT_FALSE(ecdsa_raw_to_der(Bytes(63, 1)));
  EXPECT_FALSE(ecdsa_raw_to_der(Bytes{}));
}

TEST_F(Pkcs11KeyVaultTest, RefusesTakenLabelsAndUnsupportedRequests) {
  ASSERT_TRUE(vault_->generate(KeyAlgorithm::EcP256, "root"));
  auto again = vault_->generate(KeyAlgorithm::EcP384, "root");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::AlreadyExists);
  EXPECT_FALSE(vault_->generate(KeyAlgorithm::EcP256, "bad label"));
  EXPECT_FALSE(vault_->generate(KeyAlgorithm::EcP256, ""));

  auto tls = vault_->tls_private_key("pkcs11:token=" + token_.label() + ";object=root");
  ASSERT_FALSE(tls);
  EXPECT_EQ(tls.error().code, Errc::Unimplemented);

  auto other = vault_->open_signer("pkcs11:token=another;object=root;type=private");
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, Errc::NotFound);
  auto missing = vault_->open_signer("pkcs11:token=" + token_.label() + ";object=nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::NotFound);
  EXPECT_FALSE(vault_->open_signer("software:root"));
  EXPECT_FALSE(vault_->open_signer("pkcs11:token=" + token_.label() + ";object=root;type=public"));
}

TEST_F(Pkcs11KeyVaultTest, PrivateKeyIsSensitiveNeverExtractableSignOnly) {
  auto ref = vault_->generate(KeyAlgorithm::EcP256, "attrs");
  ASSERT_TRUE(ref);
  auto uri = parse_pkcs11_uri(*ref);
  ASSERT_TRUE(uri);
  unsigned char sensitive = 0, extractable = 1, sign = 0, decrypt = 1, unwrap = 1, derive = 1,
                token = 0, is_private = 0, always_sensitive = 0, never_extractable = 0;
  ck_rv_t value_rv = CKR_OK;
  auto status = vault_->pool()->run([&](const Pkcs11Session& s, std::string& what) {
    ck_object_class_t cls = CKO_PRIVATE_KEY;
    std::vector<ck_attribute> search = {{CKA_CLASS, &cls, sizeof cls},
                                        {CKA_ID, uri->id->data(), uri->id->size()}};
    ck_object_handle_t key = 0;
    ck_rv_t rv = p11::find_one(s, search, key, what);
    if (rv != CKR_OK) return rv;
    ck_attribute attributes[] = {
        {CKA_SENSITIVE, &sensitive, 1},
        {CKA_EXTRACTABLE, &extractable, 1},
        {CKA_SIGN, &sign, 1},
        {CKA_DECRYPT, &decrypt, 1},
        {CKA_UNWRAP, &unwrap, 1},
        {CKA_DERIVE, &derive, 1},
        {CKA_TOKEN, &token, 1},
        {CKA_PRIVATE, &is_private, 1},
        {CKA_ALWAYS_SENSITIVE, &always_sensitive, 1},
        {CKA_NEVER_EXTRACTABLE, &never_extractable, 1},
    };
    what = "C_GetAttributeValue";
    rv = s.functions->C_GetAttributeValue(s.handle, key, attributes, 10);
    if (rv != CKR_OK) return rv;
    unsigned char value[128];
    ck_attribute secret{CKA_VALUE, value, sizeof value};
    value_rv = s.functions->C_GetAttributeValue(s.handle, key, &secret, 1);
    return CKR_OK;
  });
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(sensitive, 1);
  EXPECT_EQ(extractable, 0);
  EXPECT_EQ(sign, 1);
  EXPECT_EQ(decrypt, 0);
  EXPECT_EQ(unwrap, 0);
  EXPECT_EQ(derive, 0);
  EXPECT_EQ(token, 1);
  EXPECT_EQ(is_private, 1);
  EXPECT_EQ(always_sensitive, 1);
  EXPECT_EQ(never_extractable, 1);
  EXPECT_EQ(value_rv, static_cast<ck_rv_t>(CKR_ATTRIBUTE_SENSITIVE));
}

TEST_F(Pkcs11KeyVaultTest, ConcurrentSigningFromManyThreads) {
  auto ref = vault_->generate(KeyAlgorithm::EcP256, "busy");
  ASSERT_TRUE(ref);
  auto signer = vault_->open_signer(*ref);
  ASSERT_TRUE(signer);
  constexpr int kThreads = 6;
  constexpr int kEach = 150;
  std::atomic<int> good{0};
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const Bytes message = {static_cast<std::uint8_t>(t), static_cast<std::uint8_t>(i), 7};
        auto signature = (*signer)->sign(message);
        if (signature && verifies(**signer, message, *signature)) {
          ++good;
        } else {
          ++bad;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(good.load(), kThreads * kEach);
  EXPECT_EQ(bad.load(), 0);
}

TEST(Pkcs11KeyVault, WrongPinIsAClearErrorWithoutThePin) {
  SoftHsmToken token("pin-test", "4711");
  pki::CryptoContext crypto;
  ::testing::internal::CaptureStderr();
  auto vault = Pkcs11KeyVault::open(crypto, config_for(token, "98765-wrong"));
  const std::string logged = ::testing::internal::GetCapturedStderr();
  ASSERT_FALSE(vault);
  EXPECT_EQ(vault.error().code, Errc::Unauthenticated);
  EXPECT_NE(vault.error().message.find("PKCS#11 login failed for token 'pin-test'"),
            std::string::npos)
      << vault.error().message;
  for (const std::string& text : {vault.error().message, vault.error().detail, logged}) {
    EXPECT_EQ(text.find("98765"), std::string::npos) << text;
    EXPECT_EQ(text.find("4711"), std::string::npos) << text;
  }
  // The right PIN still works (a wrong PIN is not retried, so the token's counter barely moves).
  auto good = Pkcs11KeyVault::open(crypto, config_for(token));
  ASSERT_TRUE(good) << good.error().message;
}

TEST(Pkcs11KeyVault, MissingTokenOrModule) {
  SoftHsmToken token;
  pki::CryptoContext crypto;
  Pkcs11VaultConfig config = config_for(token);
  config.token_label = "no-such-token";
  auto vault = Pkcs11KeyVault::open(crypto, std::move(config));
  ASSERT_FALSE(vault);
  EXPECT_EQ(vault.error().code, Errc::FailedPrecondition);
  EXPECT_NE(vault.error().message.find("no-such-token"), std::string::npos);

  Pkcs11VaultConfig bad_module = config_for(token);
  bad_module.module_path = "/nonexistent/libnothing.so";
  auto no_module = Pkcs11KeyVault::open(crypto, std::move(bad_module));
  ASSERT_FALSE(no_module);
  EXPECT_EQ(no_module.error().code, Errc::FailedPrecondition);
}

TEST_F(Pkcs11KeyVaultTest, TokenRemovedThenBackRecovers) {
  auto ref = vault_->generate(KeyAlgorithm::EcP256, "survivor");
  ASSERT_TRUE(ref);
  auto signer = vault_->open_signer(*ref);
  ASSERT_TRUE(signer);
  const Bytes message = {4, 5, 6};
  ASSERT_TRUE((*signer)->sign(message));

  token_.remove_token();
  // The token is gone: signing may keep working from the module's memory for a while, but it
  // must never hang or crash, and once it fails it answers Unavailable (HTTP 503).
  bool failed = false;
  for (int i = 0; i < 5 && !failed; ++i) {
    auto signature = (*signer)->sign(message);
    if (!signature) {
      failed = true;
      EXPECT_EQ(signature.error().code, Errc::Unavailable) << signature.error().message;
    }
  }

  token_.restore_token();
  auto signature = (*signer)->sign(message);
  ASSERT_TRUE(signature) << signature.error().message;
  EXPECT_TRUE(verifies(**signer, message, *signature));
  // And new keys can be made after the recovery.
  auto later = vault_->generate(KeyAlgorithm::EcP256, "after-recovery");
  ASSERT_TRUE(later) << later.error().message;
}

TEST_F(Pkcs11KeyVaultTest, SigningThreadsRideThroughARemovalAndReturn) {
  auto ref = vault_->generate(KeyAlgorithm::EcP256, "busy-survivor");
  ASSERT_TRUE(ref);
  auto signer = vault_->open_signer(*ref);
  ASSERT_TRUE(signer);
  std::atomic<bool> stop{false};
  std::atomic<int> good{0};
  std::atomic<int> unavailable{0};
  std::atomic<int> other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      const Bytes message = {static_cast<std::uint8_t>(t)};
      while (!stop) {
        auto signature = (*signer)->sign(message);
        if (signature && verifies(**signer, message, *signature)) {
          ++good;
        } else if (!signature && signature.error().code == Errc::Unavailable) {
          ++unavailable;
        } else {
          ++other;
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  token_.remove_token();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  token_.restore_token();
  const int before = good.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_GT(good.load(), before) << "signing resumed after the token came back";
  auto signature = (*signer)->sign(Bytes{9});
  ASSERT_TRUE(signature) << signature.error().message;
}

TEST_F(Pkcs11KeyVaultTest, TokenRecreatedMidRunServesNewKeys) {
  auto ref = vault_->generate(KeyAlgorithm::EcP256, "old");
  ASSERT_TRUE(ref);
  auto signer = vault_->open_signer(*ref);
  ASSERT_TRUE(signer);
  token_.remove_token();
  token_.init_token();  // same label, new token: the old key is gone for good
  auto fresh = vault_->generate(KeyAlgorithm::EcP256, "new");
  ASSERT_TRUE(fresh) << fresh.error().message;
  auto fresh_signer = vault_->open_signer(*fresh);
  ASSERT_TRUE(fresh_signer) << fresh_signer.error().message;
  const Bytes message = {1};
  auto signature = (*fresh_signer)->sign(message);
  ASSERT_TRUE(signature) << signature.error().message;
  EXPECT_TRUE(verifies(**fresh_signer, message, *signature));
  auto old = (*signer)->sign(message);
  ASSERT_FALSE(old);
  EXPECT_TRUE(old.error().code == Errc::NotFound || old.error().code == Errc::Unavailable)
      << old.error().message;
}

TEST_F(Pkcs11KeyVaultTest, ImportsSoftwareKeysIntoTheToken) {
  // The migration path: a software vault key (decrypted in memory) becomes a token key.
  fleetpki::testing::TempDir dir;
  auto software = SoftwareKeyVault::open(crypto_, dir.path() / "keys", SecureBytes(Bytes(32, 7)));
  ASSERT_TRUE(software);
  const std::pair<KeyAlgorithm, const char*> cases[] = {
      {KeyAlgorithm::EcP256, "mig-p256"},
      {KeyAlgorithm::EcP384, "mig-p384"},
      {KeyAlgorithm::Rsa2048, "mig-rsa"},
  };
  for (const auto& [algorithm, label] : cases) {
    auto software_ref = (*software)->generate(algorithm, label);
    ASSERT_TRUE(software_ref);
    auto software_signer = (*software)->open_signer(*software_ref);
    ASSERT_TRUE(software_signer);
    auto key = (*software)->tls_private_key(*software_ref);
    ASSERT_TRUE(key);
    auto ref = vault_->import_key(key->get(), label);
    ASSERT_TRUE(ref) << label << ": " << ref.error().message;
    auto signer = vault_->open_signer(*ref);
    ASSERT_TRUE(signer);
    EXPECT_EQ((*signer)->public_key_spki(), (*software_signer)->public_key_spki()) << label;
    const Bytes message(50, 3);
    auto signature = (*signer)->sign(message);
    ASSERT_TRUE(signature);
    EXPECT_TRUE(verifies(**software_signer, message, *signature)) << label;
    auto again = vault_->import_key(key->get(), label);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, Errc::AlreadyExists);
  }
  auto ed = pki::ossl::Ptr<EVP_PKEY>(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  EXPECT_FALSE(vault_->import_key(ed.get(), "ed"));
}

TEST(Pkcs11Pin, FromFileOrEnvironment) {
  fleetpki::testing::TempDir dir;
  ::unsetenv(kPkcs11PinEnv);
  auto none = load_pkcs11_pin(std::nullopt);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::FailedPrecondition);

  ::setenv(kPkcs11PinEnv, "2468", 1);
  auto from_env = load_pkcs11_pin(std::nullopt);
  ASSERT_TRUE(from_env);
  EXPECT_EQ(as_chars(from_env->view()), "2468");

  const auto file = dir.path() / "pin";
  std::ofstream(file) << "1357\n";
  ::chmod(file.c_str(), 0644);
  auto loose = load_pkcs11_pin(file);
  ASSERT_FALSE(loose);
  EXPECT_EQ(loose.error().message.find("1357"), std::string::npos);
  ::chmod(file.c_str(), 0600);
  auto from_file = load_pkcs11_pin(file);  // the file wins over the environment
  ASSERT_TRUE(from_file);
  EXPECT_EQ(as_chars(from_file->view()), "1357");
  ::unsetenv(kPkcs11PinEnv);
}

}  // namespace
}  // namespace fleetpki::keys
