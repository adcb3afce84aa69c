// Unit tests of SoftwareKeyVault: generation, encrypted storage on disk, signing, refusals.
#include "keys/software/software_key_vault.h"

#include <gtest/gtest.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "keys_test_support.h"

namespace fleetpki::keys {
namespace {

using testing::TempDir;
using testing::verifies;

SecureBytes secret_of(std::string_view text) { return SecureBytes(as_bytes(text)); }

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class SoftwareKeyVaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = SoftwareKeyVault::open(ctx_, key_dir(), secret_of("correct horse battery staple"));
    ASSERT_TRUE(opened) << opened.error().message;
    vault_ = std::move(*opened);
  }
  std::filesystem::path key_dir() const { return dir_.path() / "keys"; }

  pki::CryptoContext ctx_;
  TempDir dir_;
  std::unique_ptr<SoftwareKeyVault> vault_;
};

TEST_F(SoftwareKeyVaultTest, CreatesTheKeyDirectoryWithMode0700) {
  struct stat st {};
  ASSERT_EQ(stat(key_dir().c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(SoftwareKeyVaultTest, GeneratesOpensAndSignsForEveryAlgorithm) {
  struct Case {
    KeyAlgorithm algorithm;
    pki::SignatureAlgorithm signs_with;
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
  for (const Case& c : cases) {
    std::string label = "key-" + std::string(key_algorithm_name(c.algorithm));
    auto ref = vault_->generate(c.algorithm, label);
    ASSERT_TRUE(ref) << label << ": " << ref.error().message << " " << ref.error().detail;
    EXPECT_EQ(*ref, "software:" + label);
    auto signer = vault_->open_signer(*ref);
    ASSERT_TRUE(signer) << label << ": " << signer.error().message << " " << signer.error().detail;
    EXPECT_EQ((*signer)->algorithm(), c.signs_with) << label;
    auto message = as_bytes("tbsCertificate bytes");
    auto signature = (*signer)->sign(message);
    ASSERT_TRUE(signature) << label;
    EXPECT_TRUE(verifies(**signer, message, *signature)) << label;

    auto tls_key = vault_->tls_private_key(*ref);
    ASSERT_TRUE(tls_key) << label;
    EXPECT_EQ(EVP_PKEY_get_bits(tls_key->get()), c.bits) << label;
  }
}

TEST_F(SoftwareKeyVaultTest, KeyFileIsMode0600EncryptedAndHoldsNoPlainScalar) {
  auto ref = vault_->generate(KeyAlgorithm::EcP256, "issuing-ca");
  ASSERT_TRUE(ref);
  std::filesystem::path file = key_dir() / "issuing-ca.p8";
  struct stat st {};
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string text = read_text(file);
  EXPECT_EQ(text.rfind("-----BEGIN ENCRYPTED PRIVATE KEY-----", 0), 0u);
  EXPECT_NE(text.find("ENCRYPTED"), std::string::npos);

  // Without a passphrase the file does not decode into a key.
  EVP_PKEY* plain = nullptr;
  OSSL_DECODER_CTX* dctx = OSSL_DECODER_CTX_new_for_pkey(&plain, "PEM", nullptr, nullptr,
                                                         EVP_PKEY_KEYPAIR, nullptr, nullptr);
  ASSERT_NE(dctx, nullptr);
  const auto* data = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t length = text.size();
  EXPECT_NE(OSSL_DECODER_from_data(dctx, &data, &length), 1);
  EXPECT_EQ(plain, nullptr);
  OSSL_DECODER_CTX_free(dctx);
  EVP_PKEY_free(plain);
  ERR_clear_error();

  // The private scalar does not appear in the file, neither raw nor in hex, nor in the PEM body.
  auto key = vault_->tls_private_key(*ref);
  ASSERT_TRUE(key);
  BIGNUM* priv = nullptr;
  ASSERT_EQ(EVP_PKEY_get_bn_param(key->get(), "priv", &priv), 1);
  Bytes scalar(32);
  ASSERT_EQ(BN_bn2binpad(priv, scalar.data(), 32), 32);
  BN_clear_free(priv);
  EXPECT_EQ(text.find(std::string(as_chars(scalar))), std::string::npos);
  EXPECT_EQ(text.find(to_hex(scalar)), std::string::npos);
  // The unencrypted PKCS#8 PEM of the same key shares no base64 line with the file.
  OSSL_ENCODER_CTX* ectx = OSSL_ENCODER_CTX_new_for_pkey(key->get(), EVP_PKEY_KEYPAIR, "PEM",
                                                         "PrivateKeyInfo", nullptr);
  ASSERT_NE(ectx, nullptr);
  unsigned char* clear_pem = nullptr;
  std::size_t clear_length = 0;
  ASSERT_EQ(OSSL_ENCODER_to_data(ectx, &clear_pem, &clear_length), 1);
  std::string clear(reinterpret_cast<char*>(clear_pem), clear_length);
  OPENSSL_clear_free(clear_pem, clear_length);
  OSSL_ENCODER_CTX_free(ectx);
  std::string body_line = clear.substr(clear.find('\n') + 1, 64);
  EXPECT_EQ(text.find(body_line), std::string::npos);
}

TEST_F(SoftwareKeyVaultTest, NoTemporaryFilesAreLeftBehind) {
  ASSERT_TRUE(vault_->generate(KeyAlgorithm::Ed25519, "a"));
  ASSERT_TRUE(vault_->generate(KeyAlgorithm::Ed25519, "b"));
  int entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(key_dir())) {
    EXPECT_EQ(entry.path().extension(), ".p8") << entry.path();
    ++entries;
  }
  EXPECT_EQ(entries, 2);
}

TEST_F(SoftwareKeyVaultTest, WrongMasterSecretIsAnErrorNotACrash) {
  auto ref = vault_->generate(KeyAlgorithm::EcP256, "root");
  ASSERT_TRUE(ref);
  auto other = SoftwareKeyVault::open(ctx_, key_dir(), secret_of("a different secret entirely"));
  ASSERT_TRUE(other);
  auto signer = (*other)->open_signer(*ref);
  ASSERT_FALSE(signer);
  EXPECT_EQ(signer.error().code, Errc::FailedPrecondition);
  EXPECT_NE(signer.error().message.find("master secret"), std::string::npos);
  EXPECT_FALSE((*other)->tls_private_key(*ref));
}

TEST_F(SoftwareKeyVaultTest, KeyFileRenamedToAnotherLabelDoesNotDecrypt) {
  ASSERT_TRUE(vault_->generate(KeyAlgorithm::EcP256, "original"));
  std::filesystem::copy_file(key_dir() / "original.p8", key_dir() / "impostor.p8");
  auto signer = vault_->open_signer("software:impostor");
  ASSERT_FALSE(signer);
  EXPECT_EQ(signer.error().code, Errc::FailedPrecondition);
}

TEST_F(SoftwareKeyVaultTest, UnencryptedKeyFileIsRefused) {
  auto key = pki::ossl::Ptr<EVP_PKEY>(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  OSSL_ENCODER_CTX* ectx = OSSL_ENCODER_CTX_new_for_pkey(key.get(), EVP_PKEY_KEYPAIR, "PEM",
                                                         "PrivateKeyInfo", nullptr);
  unsigned char* pem = nullptr;
  std::size_t length = 0;
  ASSERT_EQ(OSSL_ENCODER_to_data(ectx, &pem, &length), 1);
  {
    std::ofstream out(key_dir() / "planted.p8", std::ios::binary);
    out.write(reinterpret_cast<char*>(pem), static_cast<std::streamsize>(length));
  }
  OPENSSL_clear_free(pem, length);
  OSSL_ENCODER_CTX_free(ectx);
  auto signer = vault_->open_signer("software:planted");
  ASSERT_FALSE(signer);
  EXPECT_EQ(signer.error().code, Errc::DataLoss);
}

TEST_F(SoftwareKeyVaultTest, BadLabelsAreRefused) {
  for (const char* label : {"", "../etc/passwd", "a/b", ".hidden", "-dash", "UPPER", "sp ace",
                            "é", "a\nb"}) {
    auto ref = vault_->generate(KeyAlgorithm::EcP256, label);
    ASSERT_FALSE(ref) << label;
    EXPECT_EQ(ref.error().code, Errc::InvalidArgument) << label;
  }
  std::string too_long(65, 'a');
  EXPECT_FALSE(vault_->generate(KeyAlgorithm::EcP256, too_long));
  EXPECT_TRUE(vault_->generate(KeyAlgorithm::Ed25519, std::string(64, 'a')));
  EXPECT_TRUE(vault_->generate(KeyAlgorithm::Ed25519, "0.ok_label-1"));
  for (const char* ref : {"software:../x", "pkcs11:issuing", "issuing", "software:"}) {
    auto signer = vault_->open_signer(ref);
    ASSERT_FALSE(signer) << ref;
    EXPECT_EQ(signer.error().code, Errc::InvalidArgument) << ref;
  }
}

TEST_F(SoftwareKeyVaultTest, DuplicateLabelIsAlreadyExistsAndKeepsTheFirstKey) {
  auto first = vault_->generate(KeyAlgorithm::EcP256, "issuing");
  ASSERT_TRUE(first);
  auto spki = (*vault_->open_signer(*first))->public_key_spki();
  auto second = vault_->generate(KeyAlgorithm::EcP256, "issuing");
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, Errc::AlreadyExists);
  auto reopened = SoftwareKeyVault::open(ctx_, key_dir(), secret_of("correct horse battery staple"));
  ASSERT_TRUE(reopened);
  auto signer = (*reopened)->open_signer(*first);
  ASSERT_TRUE(signer);
  EXPECT_EQ((*signer)->public_key_spki(), spki);
}

TEST_F(SoftwareKeyVaultTest, ConcurrentGenerateOfOneLabelCreatesOneKey) {
  std::atomic<int> created{0}, exists{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto ref = vault_->generate(KeyAlgorithm::Ed25519, "race");
      if (ref) {
        ++created;
      } else if (ref.error().code == Errc::AlreadyExists) {
        ++exists;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(exists.load(), 3);
}

TEST_F(SoftwareKeyVaultTest, UnknownKeyIsNotFound) {
  auto signer = vault_->open_signer("software:missing");
  ASSERT_FALSE(signer);
  EXPECT_EQ(signer.error().code, Errc::NotFound);
}

TEST_F(SoftwareKeyVaultTest, OpenSignerReturnsTheCachedSigner) {
  auto ref = vault_->generate(KeyAlgorithm::EcP256, "cached");
  ASSERT_TRUE(ref);
  auto a = vault_->open_signer(*ref);
  auto b = vault_->open_signer(*ref);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->get(), b->get());
}

TEST(SoftwareKeyVault, EmptyMasterSecretIsRefused) {
  pki::CryptoContext ctx;
  TempDir dir;
  auto vault = SoftwareKeyVault::open(ctx, dir.path() / "keys", SecureBytes());
  ASSERT_FALSE(vault);
  EXPECT_EQ(vault.error().code, Errc::InvalidArgument);
}

}  // namespace
}  // namespace fleetpki::keys
