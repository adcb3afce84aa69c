// The ceremony over a temporary folder: root, split/combine with another subset, intermediate from
// a CSR, root CRL, and the signed transcript (intact, then tampered).
#include "ceremony/ceremony.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "ceremony/transcript.h"
#include "keys/software/software_key_vault.h"
#include "pki/chain_verify.h"
#include "pki/serial_number.h"
#include "support/csr_factory.h"
#include "support/temp_dir.h"

namespace fleetpki::ceremony {
namespace {

SecureBytes passphrase(std::string_view text) {
  return SecureBytes(as_bytes(text));
}

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class CeremonyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = Ceremony::open(ctx_, clock_, dir_.path() / "ceremony");
    ASSERT_TRUE(c) << c.error().message;
    ceremony_.emplace(std::move(*c));
    access_.passphrase = &pass_;
    access_.kdf_iterations = 1000;  // tests: fast key files
  }
  RootSpec root_spec(keys::KeyAlgorithm alg) {
    RootSpec spec;
    spec.common_name = "Fleet Root";
    spec.organization = "Example";
    spec.algorithm = alg;
    spec.path_len = 1;
    return spec;
  }

  pki::CryptoContext ctx_;
  FakeClock clock_{TimePoint(std::chrono::seconds(1'800'000'000))};
  testing::TempDir dir_;
  std::optional<Ceremony> ceremony_;
  SecureBytes pass_ = passphrase("correct horse battery staple");
  RootKeyAccess access_;
  Operators ops_ = {"alice", "bob"};
};

TEST_F(CeremonyTest, WholeCeremonyWithSharesIntermediateCrlAndTranscript) {
  auto root = ceremony_->create_root(root_spec(keys::KeyAlgorithm::EcP256), access_, ops_);
  ASSERT_TRUE(root) << root.error().message;
  EXPECT_TRUE(root->is_ca());
  EXPECT_TRUE(pki::is_self_signed(ctx_, root->der()));
  EXPECT_FALSE(ceremony_->create_root(root_spec(keys::KeyAlgorithm::EcP256), access_, ops_));

  auto shares = ceremony_->split(3, 5, access_, ops_);
  ASSERT_TRUE(shares) << shares.error().message;
  ASSERT_EQ(shares->size(), 5u);

  // The key file is lost; shares 2, 4 and 5 restore it.
  std::filesystem::remove(ceremony_->root_key_path());
  auto restored = ceremony_->combine({(*shares)[1].text, (*shares)[3].text}, access_, ops_);
  ASSERT_FALSE(restored);  // two shares are not enough
  restored =
      ceremony_->combine({(*shares)[1].text, (*shares)[3].text, (*shares)[4].text}, access_, ops_);
  ASSERT_TRUE(restored) << restored.error().message;

  std::string csr = fleetpki::testing::make_csr_pem({{{"O", "Example"}, {"CN", "Issuing CA 1"}}});
  auto ica = ceremony_->sign_intermediate(csr, {.path_len = 0, .validity_days = 365},
                                          dir_.path() / "ica.pem", access_, ops_);
  ASSERT_TRUE(ica) << ica.error().message;
  EXPECT_TRUE(ica->is_ca());
  EXPECT_EQ(ica->issuer_der(), root->subject_der());
  EXPECT_TRUE(pki::verify_chain(ctx_, ica->der(), {}, {root->der()}, clock_.now(), true));
  // pathLen 1 under a pathLen-1 root is refused.
  EXPECT_FALSE(
      ceremony_->sign_intermediate(csr, {.path_len = 1}, dir_.path() / "ica2.pem", access_, ops_));

  auto crl = ceremony_->issue_crl(
      {.validity_days = 30,
       .revoke = {{pki::serial_to_hex(ica->serial()), pki::CrlReason::KeyCompromise}}},
      access_, ops_);
  ASSERT_TRUE(crl) << crl.error().message;
  EXPECT_EQ(crl->number, 1u);
  EXPECT_EQ(crl->entries, 1u);
  EXPECT_FALSE(
      ceremony_->issue_crl({.revoke = {{"0abc", pki::CrlReason::Unspecified}}}, access_, ops_));

  auto verdict = verify_transcript(ctx_, ceremony_->transcript_path(), *root);
  ASSERT_TRUE(verdict) << verdict.error().message;
  EXPECT_TRUE(verdict->intact) << verdict->reason;
  EXPECT_EQ(verdict->records, 5u);  // create-root, split, combine, sign-intermediate, root-crl

  // Tamper with record 3 (an operator name): record 3 is the first bad one.
  std::string text = read(ceremony_->transcript_path());
  std::size_t line3 = text.find('\n', text.find('\n') + 1) + 1;
  std::size_t at = text.find("alice", line3);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 5, "mallo");
  std::ofstream(ceremony_->transcript_path(), std::ios::trunc) << text;
  verdict = verify_transcript(ctx_, ceremony_->transcript_path(), *root);
  ASSERT_TRUE(verdict);
  EXPECT_FALSE(verdict->intact);
  EXPECT_EQ(verdict->first_bad, 3u);
}

TEST_F(CeremonyTest, SharesOfAnotherRootAndWrongPassphraseAreRefused) {
  ASSERT_TRUE(ceremony_->create_root(root_spec(keys::KeyAlgorithm::Ed25519), access_, ops_));
  auto shares = ceremony_->split(2, 2, access_, ops_);
  ASSERT_TRUE(shares) << shares.error().message;

  auto other = Ceremony::open(ctx_, clock_, dir_.path() / "other");
  ASSERT_TRUE(other);
  ASSERT_TRUE(other->create_root(root_spec(keys::KeyAlgorithm::Ed25519), access_, ops_));
  std::filesystem::remove(other->root_key_path());
  auto wrong = other->combine({(*shares)[0].text, (*shares)[1].text}, access_, ops_);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, Errc::FailedPrecondition);

  SecureBytes bad = passphrase("not the passphrase");
  RootKeyAccess bad_access = access_;
  bad_access.passphrase = &bad;
  auto refused = ceremony_->split(2, 3, bad_access, ops_);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("wrong passphrase"), std::string::npos);
}

TEST_F(CeremonyTest, P384RootRoundTripsThroughShares) {
  auto root = ceremony_->create_root(root_spec(keys::KeyAlgorithm::EcP384), access_, ops_);
  ASSERT_TRUE(root);
  auto shares = ceremony_->split(2, 3, access_, ops_);
  ASSERT_TRUE(shares);
  auto restored = ceremony_->combine({(*shares)[2].text, (*shares)[0].text}, access_, ops_,
                                     dir_.path() / "restored.p8");
  ASSERT_TRUE(restored) << restored.error().message;
  // A corrupted word names its share and line.
  std::string text = (*shares)[1].text;
  std::size_t line = text.find("\n01 ");
  ASSERT_NE(line, std::string::npos);
  std::string corrupted = text;
  std::size_t first_word = corrupted.find_first_not_of(' ', line + 4);
  std::size_t end = corrupted.find(' ', first_word);
  corrupted.replace(
      first_word, end - first_word,
      corrupted.substr(first_word, end - first_word) == "abandon" ? "absurd" : "abandon");
  auto bad =
      ceremony_->combine({(*shares)[0].text, corrupted}, access_, ops_, dir_.path() / "never.p8");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("share 2: check words of line 1"), std::string::npos)
      << bad.error().message;
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "never.p8"));
}

TEST_F(CeremonyTest, RootKeyInAKeyVaultSignsAndIsNeverSplit) {
  // Any keys::KeyVault works (a PKCS#11 token in production); the software vault stands in here.
  auto vault = keys::SoftwareKeyVault::open(ctx_, dir_.path() / "vault", SecureBytes(Bytes(32, 7)));
  ASSERT_TRUE(vault);
  RootKeyAccess token;
  token.vault = vault->get();
  auto root = ceremony_->create_root(root_spec(keys::KeyAlgorithm::EcP384), token, ops_);
  ASSERT_TRUE(root) << root.error().message;
  EXPECT_FALSE(std::filesystem::exists(ceremony_->root_key_path()));
  std::string csr = fleetpki::testing::make_csr_pem({{{"CN", "Issuing CA 2"}}, {}, {}, "P-384"});
  auto ica =
      ceremony_->sign_intermediate(csr, {.path_len = 0}, dir_.path() / "ica.pem", token, ops_);
  ASSERT_TRUE(ica) << ica.error().message;
  auto split = ceremony_->split(2, 3, access_, ops_);
  ASSERT_FALSE(split);
  auto verdict = verify_transcript(ctx_, ceremony_->transcript_path(), *root);
  ASSERT_TRUE(verdict);
  EXPECT_TRUE(verdict->intact) << verdict->reason;
  EXPECT_EQ(verdict->records, 2u);
}

}  // namespace
}  // namespace fleetpki::ceremony
